"""The evaluation, claim validation and issuing each certificate exactly once."""
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from course.content.loader import load_catalogue
from course.core.extensions import db
from credits import claims
from credits.evaluation import check_evaluation_answers
from credits.models import Certificate, EvaluationResponse
from tests.factories import FIXTURE_CONTENT
from tests.factories import (
    build_certificate, complete_course, make_user, post_claim, post_form, sign_in, submit_evaluation,
)

EVALUATION_URL = "/courses/sample-course/evaluation"
GOOD_EVALUATION = {
    "item-objective-first-objective": "Agree",
    "item-time-spent": "45",
    "item-change": "Ask about adherence first.",
    "item-intent": "I plan a change",
}


def certificate_rows() -> list[Certificate]:
    db.session.expire_all()
    return list(db.session.scalars(select(Certificate).order_by(Certificate.id)))


def evaluation_count() -> int:
    return db.session.scalar(select(func.count()).select_from(EvaluationResponse))


def learner(client, email="learner@example.org", *, completed=True, evaluated=True, **profile):
    profile.setdefault("profession", "physician")
    user = make_user(email=email, **profile)
    if completed:
        complete_course(user)
    if evaluated:
        submit_evaluation(user)
    sign_in(client, email)
    return user


# --- Evaluation -------------------------------------------------------------------------


def test_evaluation_opens_only_after_completion(client):
    learner(client, completed=False, evaluated=False)
    page = client.get(EVALUATION_URL).get_data(as_text=True)
    assert "opens once you have passed every quiz" in page
    response = post_form(client, EVALUATION_URL, GOOD_EVALUATION, form_url="/profile")
    assert response.status_code == 409
    assert "Pass every quiz in the course before filling in its evaluation." in response.get_data(as_text=True)
    assert evaluation_count() == 0


def test_evaluation_enforces_required_items_and_valid_values(client):
    user = learner(client, evaluated=False)
    page = client.get(EVALUATION_URL).get_data(as_text=True)
    assert "<legend>I can describe the first thing.</legend>" in page
    assert "What will you change? (optional)" in page

    response = post_form(client, EVALUATION_URL, {"item-change": "Nothing yet"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.count("Answer this question.") == 3
    assert "Please correct the problems marked below." in body

    bad_values = {**GOOD_EVALUATION, "item-objective-first-objective": "Brilliant", "item-time-spent": "forty",
                  "item-intent": "Maybe"}
    body = post_form(client, EVALUATION_URL, bad_values).get_data(as_text=True)
    assert body.count("Choose one of the options.") == 2
    assert "Enter a whole number." in body
    for minutes, message in [("0", "Enter a number from 1 to 600."), ("601", "Enter a number from 1 to 600."),
                             ("-5", "Enter a number from 1 to 600."), ("4.5", "Enter a whole number.")]:
        response = post_form(client, EVALUATION_URL, {**GOOD_EVALUATION, "item-time-spent": minutes})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    response = post_form(client, EVALUATION_URL, {**GOOD_EVALUATION, "item-change": "x" * 2001})
    assert response.status_code == 422
    assert "Keep your answer to 2,000 characters or fewer." in response.get_data(as_text=True)
    assert evaluation_count() == 0

    response = post_form(client, EVALUATION_URL, GOOD_EVALUATION)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/courses/sample-course/credit")
    stored = db.session.scalars(select(EvaluationResponse)).one()
    assert stored.user_id == user.id
    assert stored.answers == {"objective-first-objective": "Agree", "time-spent": 45,
                              "change": "Ask about adherence first.", "intent": "I plan a change"}

    again = post_form(client, EVALUATION_URL, GOOD_EVALUATION, form_url="/profile")
    assert again.status_code == 409
    assert evaluation_count() == 1
    assert "You submitted the evaluation on" in client.get(EVALUATION_URL).get_data(as_text=True)


def test_evaluation_without_csrf_token_is_refused(client):
    learner(client, evaluated=False)
    response = client.post(EVALUATION_URL, data=GOOD_EVALUATION)
    assert response.status_code == 400
    assert evaluation_count() == 0


def test_check_evaluation_answers_reads_each_item_type():
    course = load_catalogue(FIXTURE_CONTENT).courses["sample-course"]
    answers, errors = check_evaluation_answers(course.evaluation, {
        "objective-first-objective": "Strongly agree", "time-spent": " 600 ", "change": "  ", "intent": "Not applicable",
        "not-an-item": "ignored",
    })
    assert errors == {}
    assert answers == {"objective-first-objective": "Strongly agree", "time-spent": 600, "intent": "Not applicable"}
    _, errors = check_evaluation_answers(course.evaluation, {"time-spent": "1e3"})
    assert errors == {"objective-first-objective": "Answer this question.", "time-spent": "Enter a whole number.",
                      "intent": "Answer this question."}


# --- Claims -----------------------------------------------------------------------------


def test_claim_requires_a_completed_course(client):
    learner(client, completed=False, evaluated=False, profession="nurse")
    response = post_claim(client, "ancc")
    assert response.status_code == 409
    assert "Pass every quiz in the course before claiming credit." in response.get_data(as_text=True)
    assert certificate_rows() == []


def test_claim_requires_the_evaluation(client):
    learner(client, evaluated=False, profession="nurse")
    page = client.get("/courses/sample-course/credit").get_data(as_text=True)
    assert "Submit the <a href=\"/courses/sample-course/evaluation\">course evaluation</a> to complete the course" in page
    response = post_claim(client, "ancc")
    assert response.status_code == 409
    assert "Submit the course evaluation before claiming credit." in response.get_data(as_text=True)
    assert certificate_rows() == []


@pytest.mark.parametrize(("amount", "message"), [
    ("0.3", "Claim in steps of 0.25, such as 0.5 or 0.75."),
    ("0.1", "Claim in steps of 0.25, such as 0.5 or 0.75."),
    ("1.25", "You can claim at most 1 AMA PRA Category 1 Credit™."),
    ("99999999999999999999", "You can claim at most 1 AMA PRA Category 1 Credit™."),
    ("1e9", "Enter the amount as a number, such as 0.75."),
    ("1e-999999999", "Enter the amount as a number, such as 0.75."),
    ("0.00000000000000001", "Claim in steps of 0.25, such as 0.5 or 0.75."),
    ("0", "The amount must be more than zero."),
    ("-0.25", "The amount must be more than zero."),
    ("abc", "Enter the amount as a number, such as 0.75."),
    ("NaN", "Enter the amount as a number, such as 0.75."),
    ("Infinity", "Enter the amount as a number, such as 0.75."),
    ("0,75", "Enter the amount as a number, such as 0.75."),
    ("", "Enter the amount of credit you claim."),
])
def test_variable_claim_refuses_bad_amounts(client, amount, message):
    learner(client)
    response = post_claim(client, "ama-pra", amount=amount, attested=True)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert 'aria-invalid="true"' in body
    assert certificate_rows() == []


def test_variable_claim_needs_the_attestation(client):
    learner(client)
    response = post_claim(client, "ama-pra", amount="0.75")
    assert response.status_code == 422
    assert "Confirm that the amount you claim matches your participation." in response.get_data(as_text=True)
    assert certificate_rows() == []


def test_variable_claim_issues_the_amount_claimed(client):
    user = learner(client)
    response = post_claim(client, "ama-pra", amount="0.75", attested=True)
    assert response.status_code == 303
    [certificate] = certificate_rows()
    assert response.headers["Location"].endswith(f"/certificates/{certificate.id}")
    assert (certificate.user_id, certificate.approval_id, certificate.status) == (user.id, "ama-pra", "valid")
    assert certificate.amount == Decimal("0.75")
    assert certificate.unit == "AMA PRA Category 1 Credit™"
    assert certificate.attested_at is not None
    assert certificate.moc_board is None


def test_fixed_credit_is_awarded_whole_whatever_is_sent(client):
    learner(client, profession="nurse")
    assert post_claim(client, "ancc", amount="0.25").status_code == 303
    [certificate] = certificate_rows()
    assert certificate.amount == Decimal("1")
    assert certificate.pharmacology_hours == Decimal("1")
    assert certificate.attested_at is None


@pytest.mark.parametrize(("profession", "states", "completed_at", "approval_id"), [
    ("nurse", (), datetime(2025, 7, 29, tzinfo=UTC), "ama-pra"),           # another profession's credit
    ("physician", ("AL",), datetime(2025, 7, 29, tzinfo=UTC), "nursing-al"),
    ("nurse", ("KY",), datetime(2025, 7, 29, tzinfo=UTC), "nursing-al"),   # no licence in that state
    ("nurse", ("AL",), datetime(2025, 7, 30, tzinfo=UTC), "nursing-al"),   # approval ended the day before
    ("nurse", ("KY",), datetime(2026, 1, 1, tzinfo=UTC), "nursing-ky"),
    ("psychologist", (), datetime(2025, 7, 29, tzinfo=UTC), "apa-cep"),     # approval the course designates nothing under
    ("nurse", (), datetime(2025, 7, 29, tzinfo=UTC), "no-such-credit"),
])
def test_credit_not_offered_is_refused(client, profession, states, completed_at, approval_id):
    user = make_user(email="l@example.org", profession=profession, licences=[(s, f"{s}-1") for s in states])
    complete_course(user, completed_at=completed_at)
    submit_evaluation(user)
    sign_in(client, "l@example.org")
    response = post_claim(client, approval_id, amount="1", attested=True)
    assert response.status_code == 422
    assert "That credit is not offered to you for this course." in response.get_data(as_text=True)
    assert certificate_rows() == []


MOC_READY = {"profession": "physician", "board_ids": [("ABIM", "123456")], "birth_month": 2, "birth_day": 29}


@pytest.mark.parametrize(("profile", "consent", "message"), [
    ({"profession": "physician"}, True,
     "ABIM MOC credit needs your American Board of Internal Medicine (ABIM) ID and your birth month and day in your profile."),
    ({"profession": "physician"}, False,
     "ABIM MOC credit needs your American Board of Internal Medicine (ABIM) ID and your birth month and day in your "
     "profile, and your consent to share your completion data with ACCME."),
    ({**MOC_READY, "board_ids": [("ABP", "99")]}, True,
     "ABIM MOC credit needs your American Board of Internal Medicine (ABIM) ID in your profile."),
    ({**MOC_READY, "birth_month": None, "birth_day": None}, True,
     "ABIM MOC credit needs your birth month and day in your profile."),
    (MOC_READY, False, "ABIM MOC credit needs your consent to share your completion data with ACCME."),
])
def test_moc_claim_needs_board_id_birth_date_and_consent(client, profile, consent, message):
    learner(client, **profile)
    assert post_claim(client, "ama-pra", amount="1", attested=True).status_code == 303
    response = post_claim(client, "moc-abim", moc_consent=consent)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert [c.approval_id for c in certificate_rows()] == ["ama-pra"]


def test_moc_claim_records_what_accme_reporting_needs(client):
    learner(client, **MOC_READY)
    assert post_claim(client, "ama-pra", amount="0.5", attested=True).status_code == 303
    assert post_claim(client, "moc-abim", moc_consent=True).status_code == 303
    [_, certificate] = certificate_rows()
    assert certificate.amount == Decimal("0.5")
    assert (certificate.moc_board, certificate.moc_board_id) == ("ABIM", "123456")
    assert (certificate.moc_birth_month, certificate.moc_birth_day) == (2, 29)
    assert certificate.moc_consented_at is not None


def test_claim_without_csrf_token_is_refused(client):
    learner(client, profession="nurse")
    response = client.post("/courses/sample-course/credit/ancc", data={})
    assert response.status_code == 400
    assert certificate_rows() == []


# --- Exactly once -----------------------------------------------------------------------


def test_repeated_claim_returns_the_same_certificate(client):
    learner(client)
    first = post_claim(client, "ama-pra", amount="0.5", attested=True)
    second = post_claim(client, "ama-pra", amount="1", attested=True)
    assert second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    [certificate] = certificate_rows()
    assert certificate.amount == Decimal("0.5")
    page = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "You already hold this certificate" in page


def test_unique_index_allows_one_current_certificate_per_learner_course_and_approval(app):
    user = make_user()
    first = build_certificate(user, code="a" * 32)
    db.session.add(first)
    db.session.commit()
    db.session.add(build_certificate(user, code="b" * 32))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(build_certificate(user, code="a" * 32, approval_id="ipce"))
    with pytest.raises(IntegrityError):  # verification codes are unique too
        db.session.commit()
    db.session.rollback()
    first = db.session.get(Certificate, first.id)
    first.status = "superseded"
    db.session.add(build_certificate(user, code="c" * 32))  # a superseded certificate leaves room for its replacement
    db.session.commit()
    assert len(certificate_rows()) == 2


def test_racing_claims_meet_the_unique_index_and_share_one_certificate(app, monkeypatch):
    """The loser of a race does not see the winner's row before inserting; the index stops it."""
    user = make_user(email="racer@example.org", profession="nurse")
    complete_course(user)
    submit_evaluation(user)
    content = load_catalogue(FIXTURE_CONTENT)
    course, provider = content.courses["sample-course"], content.provider
    winner, _ = claims.claim_credit(db.session, user=user, course=course, provider=provider, approval_id="ancc",
                                    request=claims.ClaimRequest(), now=datetime.now(UTC))
    db.session.commit()

    real_lookup = claims.certificates_of
    calls = []

    def lookup_that_misses_once(*args):
        calls.append(args)
        return [] if len(calls) == 1 else real_lookup(*args)

    monkeypatch.setattr(claims, "certificates_of", lookup_that_misses_once)
    loser, issued_now = claims.claim_credit(db.session, user=user, course=course, provider=provider,
                                            approval_id="ancc", request=claims.ClaimRequest(), now=datetime.now(UTC))
    db.session.commit()
    assert (loser.id, issued_now) == (winner.id, False)
    assert len(certificate_rows()) == 1
