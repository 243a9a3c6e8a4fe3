"""The treatment-resistant depression course as shipped in content/."""
import re
from pathlib import Path

import pytest

from course import create_app
from course.content.loader import load_catalogue
from course.core.extensions import db
from tests.factories import app_settings, make_user, sign_in

CONTENT = Path(__file__).resolve().parent.parent / "content"
SLUG = "treatment-resistant-depression"


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(CONTENT)


@pytest.fixture(scope="module")
def trd(catalogue):
    assert catalogue.problems == ()
    return catalogue.courses[SLUG]


def test_course_has_the_two_source_objectives(trd):
    texts = [o.text.lower() for o in trd.objectives]
    assert [o.id for o in trd.objectives] == ["nonpharmacologic", "pharmacologic"]
    assert "nonpharmacologic" in texts[0]
    assert "pharmacologic" in texts[1] and "treatment-resistant" in texts[1]
    assert trd.estimated_minutes == 60


def test_every_question_is_well_formed(trd):
    objective_ids = {o.id for o in trd.objectives}
    reference_ids = {r.id for r in trd.references}
    questions = [q for bank in trd.banks.values() for q in bank.questions]
    for question in questions:
        # Every item is single best answer (NBME style), with 4 or 5 options.
        assert question.type == "single" and len(question.correct) == 1, question.id
        assert 4 <= len(question.options) <= 5, question.id
        assert question.correct <= {option_id for option_id, _ in question.options}, question.id
        rationale = re.sub("<[^>]+>", "", question.rationale_html)
        assert len(rationale.split()) >= 12, question.id
        # Options are shuffled and unlettered, so a rationale never names one by letter.
        assert not re.search(r"\b(option|answer|choice)\s+[a-e]\b|\([a-e]\)", rationale, re.I), question.id
        assert question.reference in reference_ids, question.id
        assert question.objective in objective_ids, question.id
    for objective in objective_ids:
        bank = trd.banks[objective]
        assert len(bank.questions) >= 12, objective
        # A blueprint: topics declared, at most one per question drawn, two questions or more each.
        assert bank.topics, objective
        assert len(bank.topics) <= trd.quiz.questions_per_attempt, objective
        for topic in bank.topics:
            assert sum(q.topic == topic.id for q in bank.questions) >= 2, (objective, topic.id)
        assert all(q.topic in {t.id for t in bank.topics} for q in bank.questions), objective
    assert len({q.id for q in questions}) == len(questions)


def test_every_reference_is_cited_and_none_is_the_unreviewed_ai_summary(trd):
    # Source 003 is an AI-generated summary "pending human review"; its claims are cited to
    # the primary literature instead, and a reference list carries only works the course cites.
    cited = {n for module in trd.modules for n in module.cited}
    for question in trd.banks["nonpharmacologic"].questions + trd.banks["pharmacologic"].questions:
        cited.add(question.reference)
        cited.update(int(n) for n in re.findall(r'href="#ref-(\d+)"', question.rationale_html))
        cited.update(int(n) for group in re.findall(r"\[(\d+(?:,\d+)*)\]", question.rationale_html)
                     for n in group.split(","))
    listed = {r.id for r in trd.references}
    assert listed - cited == set()
    assert not [r.id for r in trd.references if "Dr.Oracle" in r.citation or "Guideline directed" in r.citation]


def test_every_designation_rests_on_a_provider_approval(catalogue, trd):
    approvals = catalogue.provider.approvals
    designated = {d.approval_id for d in trd.designations}
    assert designated <= set(approvals)
    assert {"apa-cep", "royal-college", "joint-accreditation"}.isdisjoint(designated)
    amounts = {d.approval_id: (str(d.amount), d.claim) for d in trd.designations}
    assert amounts["ama-pra"] == ("1", "variable")
    assert amounts["nursing-al"][0] == "1.2"
    assert amounts["nbcc"][0] == "0.5"
    assert amounts["iacet"][0] == "0.1"
    ancc = next(d for d in trd.designations if d.approval_id == "ancc")
    assert str(ancc.pharmacology_hours) == "1"
    assert str(approvals["nursing-al"].valid_until) == "2025-07-29"
    assert str(approvals["nursing-ky"].valid_until) == "2025-12-31"


@pytest.fixture
def trd_client(tmp_path):
    app = create_app(app_settings(CONTENT_DIR=str(CONTENT),
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'trd.sqlite3'}"))
    with app.app_context():
        db.create_all()
        yield app.test_client()
        db.session.remove()
        db.engine.dispose()


def test_every_module_renders_with_citations_linked_to_its_reference_list(trd, trd_client):
    make_user(email="reader@example.org")
    sign_in(trd_client, "reader@example.org")
    for module in trd.modules:
        response = trd_client.get(f"/courses/{SLUG}/modules/{module.id}")
        assert response.status_code == 200, module.id
        page = response.get_data(as_text=True)
        linked = set(re.findall(r'href="#ref-(\d+)"', page))
        listed = set(re.findall(r'id="ref-(\d+)"', page))
        assert linked, f"{module.id} cites nothing"
        assert linked <= listed, (module.id, linked - listed)
    nonpharm = trd_client.get(f"/courses/{SLUG}/modules/nonpharmacologic").get_data(as_text=True)
    assert "<table>" in nonpharm and '<aside class="evidence"' in nonpharm
