"""Credit as the accreditors designate it: MOC follows the AMA claim, a state approval is not another
hour, licence types decide state approvals, completion includes the evaluation, and the prescribed
statements reach the certificate."""
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from course import create_app
from course.content.loader import load_catalogue
from course.core.extensions import db
from credits.models import Certificate
from quizzes.models import QuizAttempt
from tests.factories import (
    app_settings, complete_course, csrf_token, make_user, post_claim, quiz_answers, sign_in, submit_evaluation,
)

PROJECT_CONTENT = Path(__file__).resolve().parent.parent / "content"
SLUG = "treatment-resistant-depression"

QUIZZES_PASSED = datetime(2025, 8, 1, 15, 0, tzinfo=UTC)
EVALUATED = datetime(2025, 8, 3, 9, 30, tzinfo=UTC)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "CLOCK": lambda: datetime(2025, 8, 3, 10, 0, tzinfo=UTC)}


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def learner(client, email="learner@example.org", **profile) -> None:
    user = make_user(email=email, **profile)
    complete_course(user, completed_at=QUIZZES_PASSED)
    submit_evaluation(user, submitted_at=EVALUATED)
    sign_in(client, email)


def claimed(client, approval_id: str, **fields) -> Certificate:
    response = post_claim(client, approval_id, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    return db.session.get(Certificate, int(response.headers["Location"].rsplit("/", 1)[1]))


def offered(client) -> list[str]:
    page = client.get("/courses/sample-course/credit").get_data(as_text=True)
    return re.findall(r'data-approval-id="([^"]+)"', page)


def totals(client) -> list[tuple[str, str]]:
    page = client.get("/transcript").get_data(as_text=True)
    return re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", page[page.index('data-testid="totals"'):])


PHYSICIAN = {"profession": "physician", "board_ids": [("ABIM", "123456")], "birth_month": 5, "birth_day": 6}


# --- 1. MOC points follow the AMA PRA claim -------------------------------------------------


def test_moc_points_equal_the_ama_credit_claimed_whatever_is_typed(client):
    learner(client, **PHYSICIAN)
    assert claimed(client, "ama-pra", amount="0.75", attested=True).amount == Decimal("0.75")
    moc = claimed(client, "moc-abim", amount="1", attested=True, moc_consent=True)
    assert moc.amount == Decimal("0.75")
    assert totals(client) == [("AMA PRA Category 1 Credit™", "0.75"), ("ABIM MOC point", "0.75")]


def test_moc_credit_waits_for_the_ama_claim(client):
    learner(client, **PHYSICIAN)
    page = client.get("/courses/sample-course/credit").get_data(as_text=True)
    moc = page[page.index('data-approval-id="moc-abim"'):]
    assert "ABIM MOC credit equals the AMA PRA credit you claim: claim your AMA PRA Category 1 Credit™ first." in moc
    response = post_claim(client, "moc-abim", moc_consent=True)
    assert response.status_code == 422
    assert db.session.scalars(select(Certificate)).all() == []


def test_content_check_refuses_moc_credit_above_what_it_follows(runner, content_dir):
    course_yaml = content_dir / "sample-course" / "course.yaml"
    text = course_yaml.read_text()
    old = "  - approval: moc-abim\n    amount: 1\n"
    assert old in text
    course_yaml.write_text(text.replace(old, "  - approval: moc-abim\n    amount: 2\n"))
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1
    assert "amount exceeds the 1 of 'ama-pra' it follows" in result.output


# --- 2. A state approval is not another hour -------------------------------------------------


NURSE_CA_FL_TX = {"profession": "nurse", "licences": [("CA", "RN", "RN 612345"), ("FL", "RN", "RN9123456"),
                                                        ("TX", "RN", "TX-778899")]}


def test_nurse_licensed_in_three_states_gets_one_contact_hour_on_the_transcript(client):
    learner(client, **NURSE_CA_FL_TX)
    assert offered(client) == ["ancc", "ipce", "nursing-fl", "nursing-ca-brn"]
    ancc = claimed(client, "ancc")
    california = claimed(client, "nursing-ca-brn")
    florida = claimed(client, "nursing-fl")
    claimed(client, "ipce")
    for certificate in (ancc, california, florida):
        assert (certificate.amount, certificate.unit) == (Decimal(1), "contact hour")
        assert certificate.credit_of == "ancc"
    assert totals(client) == [("contact hour", "1"), ("IPCE credit", "1")]
    transcript_pdf = pdf_text(client.get("/transcript.pdf").data)
    assert "contact hour: 1" in transcript_pdf and "contact hour: 3" not in transcript_pdf


def test_state_board_certificate_prints_the_provider_number_and_licence_number(client):
    learner(client, **NURSE_CA_FL_TX)
    california = claimed(client, "nursing-ca-brn")
    assert (california.licence_state, california.licence_type, california.licence_number) == ("CA", "RN", "RN 612345")
    text = pdf_text(client.get(f"/certificates/{california.id}.pdf").data)
    assert "Provider or approval number: CEP0000" in text
    assert "Licence: CA RN RN 612345" in text
    page = client.get(f"/certificates/{california.id}").get_data(as_text=True)
    assert "CA RN RN 612345" in page
    # The public verify page shows no licence number.
    assert "RN 612345" not in client.get(f"/verify/{california.code}").get_data(as_text=True)


def test_nurse_across_courses_totals_each_course_once(client):
    learner(client, **NURSE_CA_FL_TX)
    claimed(client, "ancc")
    claimed(client, "nursing-fl")
    user_id = db.session.scalar(select(Certificate.user_id))
    other = Certificate(**{column.key: getattr(db.session.scalar(select(Certificate)), column.key)
                           for column in Certificate.__mapper__.column_attrs
                           if column.key not in ("id", "code", "course_slug", "user_id")},
                        user_id=user_id, course_slug="another-course", code="c" * 32)
    db.session.add(other)
    db.session.commit()
    assert totals(client) == [("contact hour", "2")]


# --- 3. Licence types ------------------------------------------------------------------------


@pytest.mark.parametrize(("profession", "licences", "expected"), [
    ("nurse", [("CA", "RN", "RN1")], ["ancc", "ipce", "nursing-ca-brn"]),
    ("nurse", [("CA", "LPN", "VN1")], ["ancc", "ipce", "nursing-ca-lvn"]),
    ("nurse", [("CA", "APRN", "NP1"), ("CA", "LPN", "VN2")], ["ancc", "ipce", "nursing-ca-brn", "nursing-ca-lvn"]),
    ("other", [("CA", "OTHER", "X1")], ["ipce"]),
    ("other", [("CA", "PT", "PT1")], ["ipce", "nursing-ca-pt"]),
    ("nurse", [("CA", None, "RN1")], ["ancc", "ipce"]),  # a licence whose type is not given fits no state approval
])
def test_state_approvals_are_offered_for_the_licence_types_they_cover(client, profession, licences, expected):
    learner(client, profession=profession, licences=licences)
    assert offered(client) == expected


def test_content_check_refuses_an_unknown_licence_type(runner, content_dir):
    provider = content_dir / "provider.yaml"
    provider.write_text(provider.read_text().replace("licence_types: [LPN]", "licence_types: [LVN]"))
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1
    assert "unknown licence type 'LVN'" in result.output


# --- 4. Completion includes the evaluation ------------------------------------------------------


def test_course_is_complete_and_dated_when_the_evaluation_is_submitted(client):
    user = make_user(email="nurse@example.org", profession="nurse")
    complete_course(user, completed_at=QUIZZES_PASSED)
    sign_in(client, "nurse@example.org")
    page = client.get("/courses/sample-course").get_data(as_text=True)
    assert "Course completed" not in page
    assert "You have passed every quiz. To complete the course, submit the" in page
    claim_page = client.get("/courses/sample-course/credit").get_data(as_text=True)
    assert "You completed this course" not in claim_page
    assert "Submit the <a href=\"/courses/sample-course/evaluation\">course evaluation</a> to complete the course" in claim_page

    submit_evaluation(user, submitted_at=EVALUATED)
    assert "Course completed on August 3, 2025." in client.get("/courses/sample-course").get_data(as_text=True)
    certificate = claimed(client, "ancc")
    assert certificate.completion_date == date(2025, 8, 3)
    assert "Completion date: August 3, 2025" in pdf_text(client.get(f"/certificates/{certificate.id}.pdf").data)


def test_the_notice_after_the_last_quiz_does_not_call_the_course_complete(client):
    make_user(email="doc@example.org")
    sign_in(client, "doc@example.org")
    for objective in ("first-objective", "second-objective"):
        client.get(f"/courses/sample-course/modules/{objective}")
        quiz = f"/courses/sample-course/objectives/{objective}/quiz"
        start = client.post(quiz, data={"csrf_token": csrf_token(client, quiz)})
        attempt_url = start.headers["Location"]
        attempt = db.session.get(QuizAttempt, int(attempt_url.rsplit("/", 1)[1]))
        response = client.post(attempt_url, data={"csrf_token": csrf_token(client, attempt_url),
                                                  **quiz_answers(attempt)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "completed the course" not in page
    assert "Submit the course evaluation to complete the course." in page


# --- 5. Ended approvals on the claim page -----------------------------------------------------


def test_claim_page_tells_a_nurse_whose_state_approval_ended_why(client):
    learner(client, profession="nurse", licences=[("AL", "RN", "1-234567")])
    assert "nursing-al" not in offered(client)
    page = client.get("/courses/sample-course/credit").get_data(as_text=True)
    assert ("The Alabama Board of Nursing approval of the provider ended on July 29, 2025, so its credit is not "
            "offered for a completion on August 3, 2025.") in page


# --- 6. Prescribed statements on the certificate ---------------------------------------------


def test_ama_certificate_prints_the_approval_and_designation_statements(client):
    learner(client, **PHYSICIAN)
    certificate = claimed(client, "ama-pra", amount="1", attested=True)
    text = pdf_text(client.get(f"/certificates/{certificate.id}.pdf").data)
    assert "The provider is accredited by the ACCME to provide CME for physicians." in text
    assert "designates this enduring material for a maximum of 1 AMA PRA Category 1 Credit(s)™." in text
    page = client.get(f"/certificates/{certificate.id}").get_data(as_text=True)
    assert "for a maximum of 1 AMA PRA Category 1 Credit(s)™.</p>" in page


# --- Issue 16: the project content's accreditation data ---------------------------------------


@pytest.fixture(scope="module")
def project():
    catalogue = load_catalogue(PROJECT_CONTENT)
    assert catalogue.problems == ()
    return catalogue.provider, catalogue.courses[SLUG]


def words(text: str) -> str:
    return " ".join(text.split())


MANDATED = words(" ".join(line for line in (Path(__file__).resolve().parents[2] / "shared" / "tools" /
                                            "mandated_statements.txt").read_text().split("\n")
                          if not line.startswith("#")))
STATE_LEAD = "In addition to states that accept ANCC, NetCE is approved as a provider of continuing education in nursing by: "


def test_every_project_statement_is_the_prescribed_wording(project):
    provider, course = project
    for approval in provider.approvals.values():
        statement = words(approval.statement)
        if statement.startswith(STATE_LEAD):  # the source's list sentence, naming this state alone
            assert statement[len(STATE_LEAD):].rstrip(".") in MANDATED, approval.id
            continue
        for part in re.split(r" (?=Materials that are included|This course is considered self-study, as)", statement):
            assert part in MANDATED, approval.id
    for designation in course.designations:
        if designation.statement:
            assert words(designation.statement) in MANDATED, designation.approval_id
    ama = course.designation("ama-pra").statement
    assert "for a maximum of 1 AMA PRA Category 1 Credit(s)™" in ama
    assert "Physicians should claim only the credit commensurate with the extent of their participation" in ama


def test_project_records_the_designation_facts_of_the_source(project):
    provider, course = project
    by_id = {d.approval_id: d for d in course.designations}
    assert (by_id["ancc"].amount, by_id["ancc"].pharmacology_hours) == (1, 1)
    assert by_id["nursing-al"].amount == Decimal("1.2") and not by_id["nursing-al"].accepts
    assert by_id["aswb-ace"].level == "intermediate to advanced"
    assert {d.approval_id for d in course.state_approvals} == {
        "nursing-ar", "nursing-ca-brn", "nursing-ca-lvn", "nursing-ca-pt", "nursing-dc", "nursing-fl", "nursing-ga",
        "nursing-ky", "nursing-sc", "nursing-wv", "ny-social-work"}
    assert all(d.inferred for d in course.state_approvals)
    assert {d.approval_id for d in course.credit_designations if d.inferred} == {"ny-mhc", "ny-mft", "moc-aba", "moc-abs"}
    assert all(d.follows == "ama-pra" for d in course.designations if provider.approvals[d.approval_id].moc_board)
    assert provider.approvals["nursing-ca-brn"].licence_types == {"RN", "APRN"}
    assert provider.approvals["nursing-ca-lvn"].licence_types == {"LPN"}
    assert provider.approvals["nursing-ca-pt"].licence_types == {"PT"}


@pytest.fixture
def trd_client(tmp_path):
    app = create_app(app_settings(CONTENT_DIR=str(PROJECT_CONTENT), CLOCK=lambda: datetime(2026, 3, 1, tzinfo=UTC),
                                  SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'trd.sqlite3'}"))
    with app.app_context():
        db.create_all()
        yield app.test_client()
        db.session.remove()
        db.engine.dispose()


def test_project_course_page_shows_statements_level_and_inferred_marks_but_no_ended_approval(trd_client):
    page = trd_client.get(f"/courses/{SLUG}").get_data(as_text=True)
    accreditation = page[page.index('data-testid="accreditation-statements"'):page.index('data-testid="designation-statements"')]
    assert "TRC Healthcare/NetCE is jointly accredited by the Accreditation Council" in accreditation
    assert "co-sponsorship of the American Psychological Association (APA)" in accreditation
    assert "Royal College of Physicians and Surgeons of Canada" in accreditation
    assert "Alabama" not in accreditation and "Kentucky" not in accreditation
    designation = page[page.index('data-testid="designation-statements"'):page.index('data-testid="credit-table"')]
    assert "designates this enduring material for a maximum of 1 AMA PRA Category 1 Credit(s)™" in designation
    assert "1.2 hours for Alabama nurses" not in designation  # Alabama's approval ended on July 29, 2025
    assert "course level: intermediate to advanced" in page
    table = page[page.index('data-testid="credit-table"'):]
    table = table[:table.index("</table>")]
    row = table[table.index("Anesthesiology"):]
    assert "to be confirmed by the provider" in row[:row.index("</tr>")]
    row = table[table.index("American Nurses Credentialing Center"):]
    assert "to be confirmed" not in row[:row.index("</tr>")]
    assert "Alabama Board of Nursing" not in page and "Kentucky Board of Nursing" not in page
    assert "Disclosures" in page and page.count("Not yet listed by the provider.") == 3


def test_content_check_warns_while_the_disclosure_names_no_one(runner, content_dir):
    course_yaml = content_dir / "sample-course" / "course.yaml"
    text = course_yaml.read_text()
    course_yaml.write_text(text[:text.index("disclosure:\n  planners:")] + "disclosure:\n  planners: []\n")
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 0
    for group in ("planners", "authors", "reviewers"):
        assert f"warning: disclosure.{group} is empty" in result.output


# --- Learner path, point 12 -------------------------------------------------------------------


def test_course_and_module_pages_link_the_full_reference_list(client):
    make_user(email="reader@example.org")
    sign_in(client, "reader@example.org")
    link = '<a href="/courses/sample-course/references">The course\'s full reference list</a>'
    assert link in client.get("/courses/sample-course").get_data(as_text=True)
    assert link in client.get("/courses/sample-course/modules/first-objective").get_data(as_text=True)
    assert client.get("/courses/sample-course/references").status_code == 200


def test_repeated_profile_rows_carry_numbered_labels_and_no_nabp_field(client):
    make_user(email="kim@example.org", profession="nurse", licences=[("CA", "RN", "RN1")],
              board_ids=[("ABIM", "123456")])
    sign_in(client, "kim@example.org")
    page = client.get("/profile").get_data(as_text=True)
    for label in ("Licence 1 state", "Licence 1 type", "Licence 1 number", "Licence 2 state", "Licence 2 number",
                  "Board 1", "Board 1 ID", "Board 2 ID"):
        assert f">{label}</label>" in page, label
    assert ">State</label>" not in page and ">Licence number</label>" not in page
    assert "NABP" not in page


def test_profile_requires_a_licence_type(client):
    from tests.factories import post_form

    make_user(email="kim@example.org", profession="nurse")
    sign_in(client, "kim@example.org")
    response = post_form(client, "/profile", {
        "first_name": "Kim", "last_name": "Nurse", "name": "Kim Nurse", "profession": "nurse",
        "licences-0-state": "CA", "licences-0-licence_type": "", "licences-0-number": "RN1", "submit": "Save profile"})
    assert response.status_code == 422
    assert "Choose the type of this licence" in response.get_data(as_text=True)


def test_verification_code_can_be_typed_on_a_page(client):
    learner(client, **PHYSICIAN)
    certificate = claimed(client, "ama-pra", amount="1", attested=True)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/profile")})
    page = client.get("/verify")
    assert page.status_code == 200
    assert 'name="code"' in page.get_data(as_text=True)
    response = client.get("/verify", query_string={"code": f"  {certificate.code} "})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/verify/{certificate.code}")
    bad = client.get("/verify", query_string={"code": "not a code!"})
    assert bad.status_code == 400
    assert "A verification code is 16 to 64 letters" in bad.get_data(as_text=True)
    assert client.get("/verify", query_string={"code": ""}).status_code == 400
