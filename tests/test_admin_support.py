"""Learner support by administrators: profile corrections, certificate corrections, quiz attempts,
completions by hand, deactivation and deletion, password-reset emails; every action audited."""
import html
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from accounts.audit import AuditEntry
from accounts.models import User
from course.core.extensions import db
from credits import administration
from credits.corrections import reinstate
from credits.errors import CertificateNotValid
from credits.models import Certificate
from course.core.clock import as_utc
from quizzes.models import CourseCompletion, QuizAttempt
from tests.factories import (
    DEFAULT_PASSWORD, csrf_token, make_certificate, make_moc_learner, make_reported_certificate, make_user, post_form,
    quiz_answers, sign_in, sign_in_as,
)

NOW = datetime(2025, 8, 1, 9, tzinfo=UTC)


def audit_entries(action: str | None = None) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def text_of(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def profile_form(user: User, **changes) -> dict:
    """The profile form as the page fills it for `user`, with `changes` applied."""
    data = {
        "first_name": user.first_name, "last_name": user.last_name, "name": user.name,
        "profession": user.profession or "", "birth_month": user.birth_month or "", "birth_day": user.birth_day or "",
    }
    for index, licence in enumerate(user.licences):
        data[f"licences-{index}-state"], data[f"licences-{index}-number"] = licence.state, licence.number
        data[f"licences-{index}-licence_type"] = licence.type or "RN"  # the form asks for the type
    for index, entry in enumerate(user.board_ids):
        data[f"board_ids-{index}-board"], data[f"board_ids-{index}-number"] = entry.board, entry.number
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- Point 7: correcting a learner's profile ----------------------------------------------


def test_an_administrator_corrects_a_profile_with_a_reason_audited_before_and_after(client):
    learner = make_user(email="typo@example.org", name="Jon Smiht", licences=[("NY", "123")])
    admin = sign_in_as(client, "admin")
    url = f"/admin/learners/{learner.id}/profile"
    assert 'value="Jon Smiht"' in client.get(url).get_data(as_text=True)

    refused = post_form(client, url, profile_form(learner, name="Jon Smith", last_name="Smith"))
    assert refused.status_code == 422 and "Give the reason for correcting the profile." in text_of(refused)
    db.session.expire_all()
    assert db.session.get(User, learner.id).name == "Jon Smiht" and not audit_entries("profile_edit")

    response = post_form(client, url, profile_form(
        learner, name="Jon Smith", last_name="Smith", profession="nurse", **{"licences-0-number": "124"},
        **{"board_ids-0-board": "ABIM", "board_ids-0-number": "654321"}, reason="Ticket 88: licence card shown"))
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/learners/{learner.id}"
    db.session.expire_all()
    corrected = db.session.get(User, learner.id)
    assert (corrected.name, corrected.last_name, corrected.profession) == ("Jon Smith", "Smith", "nurse")
    assert [(lic.state, lic.number) for lic in corrected.licences] == [("NY", "124")]
    (entry,) = audit_entries("profile_edit")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "user", str(learner.id))
    assert entry.details == {"email": "typo@example.org", "reason": "Ticket 88: licence card shown", "via": "web",
                             "changes": {
                                 "name": {"from": "Jon Smiht", "to": "Jon Smith"},
                                 "last_name": {"from": "Smiht", "to": "Smith"},
                                 "profession": {"from": "physician", "to": "nurse"},
                                 "licences": {"from": "NY 123", "to": "NY RN 124"},
                                 "board_ids": {"from": "", "to": "ABIM 654321"}}}
    history = text_of(client.get(url))
    assert "Name on certificates Jon Smiht Jon Smith Ticket 88: licence card shown" in history
    assert "Licences NY 123 NY RN 124" in history

    again = post_form(client, url, profile_form(corrected, reason="Checking"))
    assert again.status_code == 303
    assert "Nothing in the profile changed" in text_of(client.get(again.headers["Location"]))
    assert len(audit_entries("profile_edit")) == 1


def test_a_learners_own_name_change_is_audited_and_other_changes_are_not(client):
    learner = make_user(email="self@example.org", name="Ann Lee")
    sign_in(client, learner.email)
    assert post_form(client, "/profile", profile_form(learner, profession="nurse")).status_code == 302
    assert not audit_entries("name_change")
    assert post_form(client, "/profile", profile_form(learner, name="Ann Lee-Park", last_name="Lee-Park",
                                                      profession="nurse")).status_code == 302
    (entry,) = audit_entries("name_change")
    assert (entry.actor_id, entry.target_id) == (learner.id, str(learner.id))
    assert entry.details["changes"] == {"name": {"from": "Ann Lee", "to": "Ann Lee-Park"},
                                        "last_name": {"from": "Lee", "to": "Lee-Park"}}


def test_reissue_offers_itself_when_the_profile_differs_and_warns_when_nothing_does(client):
    learner = make_moc_learner(email="moc@example.org", name="Mary Smyth", board_id="111111")
    moc = make_certificate(learner, approval_id="moc-abim", moc_board="ABIM", moc_board_id="111111",
                           moc_birth_month=3, moc_birth_day=14)
    sign_in_as(client, "admin")
    page = client.get(f"/admin/certificates/{moc.id}").get_data(as_text=True)
    assert 'data-testid="nothing-changed"' in page and 'data-testid="differences"' not in page
    assert "Certificates that differ from the profile" not in text_of(client.get(f"/admin/learners/{learner.id}"))

    url = f"/admin/learners/{learner.id}/profile"
    post_form(client, url, profile_form(learner, name="Mary Smith", **{"board_ids-0-number": "222222"},
                                        reason="Board ID typo"))
    record = text_of(client.get(f"/admin/learners/{learner.id}"))
    assert "Certificates that differ from the profile" in record
    assert "Name printed “Mary Smyth”, profile “Mary Smith”; ABIM ID reported “111111”, profile “222222”" in record
    page = text_of(client.get(f"/admin/certificates/{moc.id}"))
    assert "Name printed Mary Smyth Mary Smith" in page and "ABIM ID reported 111111 222222" in page

    response = post_form(client, f"/admin/certificates/{moc.id}/reissue", {}, form_url=f"/admin/certificates/{moc.id}")
    assert response.status_code == 303
    db.session.expire_all()
    replacement = db.session.get(Certificate, moc.id).superseded_by
    assert (replacement.learner_name, replacement.moc_board_id) == ("Mary Smith", "222222")
    (entry,) = audit_entries("certificate_reissue")
    assert entry.details["moc_changes"] == {"moc_board_id": {"from": "111111", "to": "222222"}}
    after = client.get(response.headers["Location"])
    assert 'data-testid="nothing-changed"' in after.get_data(as_text=True)
    assert "Nothing the certificate printed or reported differed" not in text_of(after)


def test_a_reissue_that_changes_nothing_says_so_on_the_web_and_the_command_line(client, runner):
    learner = make_user(name="Same Name")
    first, second = make_certificate(learner), make_certificate(learner, approval_id="ipce")
    sign_in_as(client, "admin")
    url = f"/admin/certificates/{first.id}"
    response = post_form(client, f"{url}/reissue", {}, form_url=url, follow_redirects=True)
    assert "Nothing the certificate printed or reported differed from the profile" in text_of(response)
    result = runner.invoke(args=["credits", "reissue", second.code])
    assert result.exit_code == 0
    assert "Warning: Nothing the certificate printed or reported differed" in result.stderr


# --- Point 8: correcting a certificate ----------------------------------------------------


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def revoked_certificate(learner: User, **fields) -> Certificate:
    certificate = make_certificate(learner, **fields)
    administration.revoke(db.session, certificate, reason="Claimed twice by mistake", actor=None, via="command line",
                          now=NOW)
    db.session.commit()
    return certificate


def test_a_revoked_certificate_is_reinstated_under_its_own_code_with_a_reason(client):
    learner = make_user(name="Rein Stated")
    certificate = revoked_certificate(learner)
    admin = sign_in_as(client, "admin")
    url = f"/admin/certificates/{certificate.id}"
    assert 'value="Reinstate the certificate"' in client.get(url).get_data(as_text=True)
    assert "REVOKED" in pdf_text(client.get(f"{url}/pdf").data)

    refused = post_form(client, f"{url}/reinstate", {"reason": " "}, form_url=url)
    assert refused.status_code == 422 and "Give the reason for reinstating the certificate." in text_of(refused)
    response = post_form(client, f"{url}/reinstate", {"reason": "Revoked the wrong learner's certificate"},
                         form_url=url)
    assert response.status_code == 303
    db.session.expire_all()
    reinstated = db.session.get(Certificate, certificate.id)
    assert (reinstated.status, reinstated.code, reinstated.revoked_at, reinstated.revoked_reason) == (
        "valid", certificate.code, None, None)
    assert "Valid:" in text_of(client.get(f"/verify/{certificate.code}"))
    assert "REVOKED" not in pdf_text(client.get(f"{url}/pdf").data)
    revoke_entry, entry = audit_entries()
    assert (entry.action, entry.actor_id, entry.target_id) == ("certificate_reinstate", admin.id, str(certificate.id))
    assert entry.details | {"revoked_at": None} == {
        "code": certificate.code, "reason": "Revoked the wrong learner's certificate", "revoked_at": None,
        "revoked_reason": "Claimed twice by mistake", "via": "web"}
    assert entry.details["revoked_at"].startswith("2025-08-01T09:00:00")
    history = text_of(client.get(url))
    assert "Certificate revoked by the command line (reason: Claimed twice by mistake)" in history
    assert "Certificate reinstated by Ada Admin (reason: Revoked the wrong learner's certificate)" in history

    again = post_form(client, f"{url}/reinstate", {"reason": "again"}, form_url=url)
    assert again.status_code == 409 and "Only a revoked certificate can be reinstated; this one is valid." in text_of(again)


def test_reinstating_undoes_the_reporting_a_revocation_started_until_a_deletion_is_sent(app):
    from reports.batches import accept_remaining, make_batch, submit_batch
    from reports.models import ReportRecord
    from course.content.store import current_catalogue

    unsent = make_reported_certificate(make_moc_learner(email="unsent@example.org"))
    administration.revoke(db.session, unsent, reason="x", actor=None, via="command line", now=NOW)
    reinstate(db.session, unsent, reason="mistake", actor=None, via="command line", now=NOW)
    db.session.commit()
    (record,) = db.session.scalars(select(ReportRecord).where(ReportRecord.certificate_id == unsent.id))
    assert (record.action, record.status) == ("add", "pending")

    batch, _ = make_batch(db.session, "pars", current_catalogue(), actor=None, via="command line", now=NOW)
    submit_batch(db.session, batch, actor=None, via="command line", now=NOW)
    accept_remaining(db.session, batch, actor=None, via="command line", now=NOW)
    administration.revoke(db.session, unsent, reason="x", actor=None, via="command line", now=NOW)
    reinstate(db.session, unsent, reason="mistake", actor=None, via="command line", now=NOW)
    db.session.commit()
    assert [(r.action, r.status) for r in db.session.scalars(
        select(ReportRecord).where(ReportRecord.certificate_id == unsent.id).order_by(ReportRecord.id))] == [
        ("add", "accepted"), ("delete", "withdrawn")]

    sent = make_reported_certificate(make_moc_learner(email="sent@example.org"))
    batch, _ = make_batch(db.session, "pars", current_catalogue(), actor=None, via="command line", now=NOW)
    submit_batch(db.session, batch, actor=None, via="command line", now=NOW)
    accept_remaining(db.session, batch, actor=None, via="command line", now=NOW)
    administration.revoke(db.session, sent, reason="x", actor=None, via="command line", now=NOW)
    batch, _ = make_batch(db.session, "pars", current_catalogue(), actor=None, via="command line", now=NOW)
    db.session.commit()
    with pytest.raises(CertificateNotValid, match="this certificate's deletion, so it cannot be reinstated"):
        reinstate(db.session, sent, reason="mistake", actor=None, via="command line", now=NOW)
    db.session.rollback()
    assert db.session.get(Certificate, sent.id).status == "revoked"


@pytest.mark.parametrize(("amount", "message"), [
    ("0", "The amount must be more than zero and at most 1 AMA PRA Category 1 Credit™."),
    ("1.25", "The amount must be more than zero and at most 1 AMA PRA Category 1 Credit™."),
    ("0.3", "Use steps of 0.25, such as 0.5 or 0.75."),
    ("lots", "Enter the amount as a number, such as 0.75."),
    ("1", "The certificate already awards 1 AMA PRA Category 1 Credit™."),
])
def test_an_amount_correction_outside_the_designation_is_refused(client, amount, message):
    certificate = make_certificate(make_user(name="Amy Mount"), amount="1")
    sign_in_as(client, "admin")
    url = f"/admin/certificates/{certificate.id}"
    response = post_form(client, f"{url}/amount", {"amount": amount, "reason": "Learner asked"}, form_url=url)
    assert response.status_code == 422 and message in text_of(response)
    assert not audit_entries("certificate_amount_correct")
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).status == "valid"


def test_a_fixed_credit_is_awarded_whole(client):
    certificate = make_certificate(make_user(), approval_id="ancc", amount="1")
    sign_in_as(client, "admin")
    url = f"/admin/certificates/{certificate.id}"
    response = post_form(client, f"{url}/amount", {"amount": "0.5", "reason": "x"}, form_url=url)
    assert response.status_code == 422 and "This credit is awarded whole: the only amount is 1 contact hour." in text_of(response)


def test_an_amount_correction_is_a_reissue_with_history(client):
    learner = make_user(name="Amy Mount")
    certificate = make_certificate(learner, amount="1")
    admin = sign_in_as(client, "admin")
    url = f"/admin/certificates/{certificate.id}"
    assert post_form(client, f"{url}/amount", {"amount": "0.75"}, form_url=url).status_code == 422
    response = post_form(client, f"{url}/amount", {"amount": "0.75", "reason": "Attended 45 minutes"}, form_url=url)
    assert response.status_code == 303
    db.session.expire_all()
    replacement = db.session.get(Certificate, certificate.id).superseded_by
    assert response.headers["Location"] == f"/admin/certificates/{replacement.id}"
    assert (replacement.amount, replacement.status, replacement.learner_name) == (Decimal("0.75"), "valid", "Amy Mount")
    assert db.session.get(Certificate, certificate.id).status == "superseded"
    (entry,) = audit_entries("certificate_amount_correct")
    assert (entry.actor_id, entry.details["old_amount"], entry.details["new_amount"], entry.details["reason"]) == (
        admin.id, "1", "0.75", "Attended 45 minutes")
    page = text_of(client.get(response.headers["Location"]))
    assert "Certificate: 0.75 AMA PRA Category 1 Credit™" in page
    assert "Certificate amount corrected by Ada Admin (reason: Attended 45 minutes)" in page
    assert "0.75 AMA PRA Category 1 Credit" in pdf_text(client.get(f"/admin/certificates/{replacement.id}/pdf").data)


def test_an_administrator_views_and_downloads_any_learners_certificate_pdf(client):
    learner = make_user(name="Zoë Ñúñez")
    certificate = make_certificate(learner, approval_id="ancc")
    sign_in_as(client, "admin")
    assert 'href="/admin/certificates/%d/pdf?download=1"' % certificate.id in client.get(
        f"/admin/certificates/{certificate.id}").get_data(as_text=True)
    shown = client.get(f"/admin/certificates/{certificate.id}/pdf")
    assert shown.status_code == 200 and shown.mimetype == "application/pdf"
    assert shown.headers["Content-Disposition"].startswith("inline;")
    assert "Zoë Ñúñez" in pdf_text(shown.data) and "contact hour" in pdf_text(shown.data)
    saved = client.get(f"/admin/certificates/{certificate.id}/pdf?download=1")
    assert saved.headers["Content-Disposition"].startswith("attachment;") and saved.data == shown.data
    assert client.get("/admin/certificates/999999/pdf").status_code == 404


def test_reinstate_and_correct_an_amount_from_the_command_line(runner):
    learner = make_user(name="Cli Learner")
    revoked = revoked_certificate(learner)
    result = runner.invoke(args=["credits", "reinstate", revoked.code])
    assert result.exit_code == 2 and "--reason" in result.output
    result = runner.invoke(args=["credits", "reinstate", revoked.code, "--reason", "Wrong learner"])
    assert result.exit_code == 0 and f"Reinstated {revoked.code}." in result.output
    result = runner.invoke(args=["credits", "reinstate", revoked.code, "--reason", "Again"])
    assert result.exit_code == 1 and "Only a revoked certificate can be reinstated; this one is valid." in result.output
    result = runner.invoke(args=["credits", "correct-amount", revoked.code, "2", "--reason", "Typo"])
    assert result.exit_code == 1 and "at most 1 AMA PRA Category 1 Credit™" in result.output
    result = runner.invoke(args=["credits", "correct-amount", revoked.code, "0.5", "--reason", "Typo"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    replacement = db.session.get(Certificate, revoked.id).superseded_by
    assert replacement.amount == Decimal("0.5") and f"as {replacement.code}" in result.output
    actions = [(entry.action, entry.actor_id, entry.details["via"]) for entry in audit_entries()]
    assert actions == [("certificate_revoke", None, "command line"), ("certificate_reinstate", None, "command line"),
                       ("certificate_amount_correct", None, "command line")]


# --- Point 9: supporting a learner --------------------------------------------------------

QUIZ = "/courses/sample-course/objectives/first-objective/quiz"


class RecordingSender:
    def __init__(self):
        self.messages = []

    def send(self, message):
        self.messages.append(message)


@pytest.fixture
def outbox(app):
    sender = RecordingSender()
    app.extensions["mail_sender"] = sender
    return sender.messages


def two_clients(client, **learner_fields):
    """(learner, the learner's signed-in client, an administrator's signed-in client)."""
    learner = make_user(email="kim@example.org", name="Kim Learner", **learner_fields)
    sign_in(client, learner.email)
    admin_client = client.application.test_client()
    sign_in_as(admin_client, "admin")
    return learner, client, admin_client


def start_quiz(client):
    return client.post(QUIZ, data={"csrf_token": csrf_token(client, "/profile")})


def fail_the_quiz(client):
    response = start_quiz(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    attempt = db.session.get(QuizAttempt, int(response.headers["Location"].rsplit("/", 1)[1]))
    client.post(f"/quiz/attempts/{attempt.id}", data={"csrf_token": csrf_token(client, "/profile"),
                                                       **quiz_answers(attempt, right=0)})


def test_an_extra_attempt_and_a_reset_let_a_learner_past_the_attempt_limit(client, content_dir):
    course_yaml = content_dir / "sample-course" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("max_attempts: null", "max_attempts: 1"))
    learner, learner_client, admin_client = two_clients(client)
    learner_client.get("/courses/sample-course/modules/first-objective")
    fail_the_quiz(learner_client)
    assert "used all 1 attempts" in text_of(start_quiz(learner_client))

    url = f"/admin/learners/{learner.id}"
    refused = post_form(admin_client, f"{url}/quiz-attempts", {"objective": "sample-course/first-objective",
                                                                "change": "extra", "reason": ""}, form_url=url)
    assert refused.status_code == 422 and not audit_entries("quiz_extra_attempt")
    granted = post_form(admin_client, f"{url}/quiz-attempts", {
        "objective": "sample-course/first-objective", "change": "extra", "reason": "Browser crashed"}, form_url=url)
    assert granted.status_code == 303
    fail_the_quiz(learner_client)
    assert "used all 2 attempts" in text_of(start_quiz(learner_client))

    reset = post_form(admin_client, f"{url}/quiz-attempts", {
        "objective": "sample-course/first-objective", "change": "reset", "reason": "Retaking after tutoring"},
        form_url=url)
    assert reset.status_code == 303
    assert start_quiz(learner_client).status_code == 302
    extra, reset_entry = audit_entries("quiz_extra_attempt") + audit_entries("quiz_reset")
    assert extra.details | {"via": "web"} == {"course": "sample-course", "objective": "first-objective",
                                             "extra_attempts": 1, "reason": "Browser crashed", "via": "web"}
    assert reset_entry.details["attempts_set_aside"] == 2
    assert len(db.session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == learner.id)).all()) == 3

    unknown = post_form(admin_client, f"{url}/quiz-attempts", {"objective": "sample-course/nope", "change": "extra",
                                                                "reason": "x"}, form_url=url)
    assert unknown.status_code == 422


def test_a_completion_recorded_by_hand_opens_the_evaluation_and_the_claim(client):
    learner, learner_client, admin_client = two_clients(client, profession="nurse")
    url = f"/admin/learners/{learner.id}"
    assert 'name="item-' not in learner_client.get("/courses/sample-course/evaluation").get_data(as_text=True)
    future = post_form(admin_client, f"{url}/completion", {"course": "sample-course", "completed_on": "2999-01-01",
                                                            "reason": "Paper"}, form_url=url)
    assert future.status_code == 422 and "The completion date cannot be in the future." in text_of(future)
    no_reason = post_form(admin_client, f"{url}/completion", {"course": "sample-course",
                                                               "completed_on": "2025-07-20"}, form_url=url)
    assert no_reason.status_code == 422
    response = post_form(admin_client, f"{url}/completion", {
        "course": "sample-course", "completed_on": "2025-07-20", "reason": "Paper attempt of 20 July, scored 90%"},
        form_url=url)
    assert response.status_code == 303
    completion = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == learner.id))
    assert completion.recorded_reason == "Paper attempt of 20 July, scored 90%"
    assert as_utc(completion.completed_at).date().isoformat() == "2025-07-20"
    assert "(recorded by hand: Paper attempt of 20 July, scored 90%)" in text_of(admin_client.get(url))
    (entry,) = audit_entries("completion_by_hand")
    assert entry.details["completed_on"] == "2025-07-20" and entry.target_id == str(learner.id)
    assert 'name="item-' in learner_client.get("/courses/sample-course/evaluation").get_data(as_text=True)
    again = post_form(admin_client, f"{url}/completion", {"course": "sample-course", "completed_on": "2025-07-21",
                                                           "reason": "twice"}, form_url=url)
    assert again.status_code == 409 and "has already completed" in text_of(again)


def test_a_deactivated_account_is_signed_out_and_cannot_sign_in_until_reactivated(client, outbox):
    learner, learner_client, admin_client = two_clients(client)
    url = f"/admin/learners/{learner.id}"
    assert post_form(admin_client, f"{url}/deactivate", {"reason": ""}, form_url=url).status_code == 422
    response = post_form(admin_client, f"{url}/deactivate", {"reason": "Shared their login"}, form_url=url)
    assert response.status_code == 303
    assert "Deactivated" in text_of(admin_client.get(url))
    assert learner_client.get("/profile").status_code == 302  # signed out
    refused = post_form(learner_client, "/sign-in", {"email": learner.email, "password": DEFAULT_PASSWORD})
    assert refused.status_code == 403 and "This account is deactivated." in text_of(refused)
    wrong = post_form(learner_client, "/sign-in", {"email": learner.email, "password": "not the password"})
    assert wrong.status_code == 401 and "deactivated" not in text_of(wrong)
    post_form(learner_client, "/forgot-password", {"email": learner.email})
    assert outbox == []
    assert post_form(admin_client, f"{url}/password-reset", {}, form_url=url).status_code == 409

    assert post_form(admin_client, f"{url}/reactivate", {"reason": "Confirmed identity"}, form_url=url).status_code == 303
    sign_in(learner_client, learner.email)
    assert [entry.action for entry in audit_entries()][-2:] == ["account_deactivate", "account_reactivate"]


def test_an_administrator_cannot_deactivate_or_delete_their_own_account(client):
    admin = sign_in_as(client, "admin")
    url = f"/admin/learners/{admin.id}"
    response = post_form(client, f"{url}/deactivate", {"reason": "oops"}, form_url=url)
    assert response.status_code == 409 and "You cannot deactivate your own account" in text_of(response)
    response = post_form(client, f"{url}/delete", {"confirm_email": admin.email, "reason": "oops"}, form_url=url)
    assert response.status_code == 409 and "You cannot delete your own account" in text_of(response)


def test_deleting_an_account_anonymises_it_and_keeps_its_certificates_verifiable(client):
    learner, learner_client, admin_client = two_clients(
        client, licences=[("NY", "123")], board_ids=[("ABIM", "123456")], birth_month=3, birth_day=14)
    certificate = make_certificate(learner, approval_id="ancc")
    url = f"/admin/learners/{learner.id}"
    wrong = post_form(admin_client, f"{url}/delete", {"confirm_email": "someone@example.org", "reason": "GDPR"},
                      form_url=url)
    assert wrong.status_code == 422 and "That is not this account's email." in text_of(wrong)
    response = post_form(admin_client, f"{url}/delete", {"confirm_email": "KIM@example.org",
                                                          "reason": "Learner asked for erasure"}, form_url=url)
    assert response.status_code == 303
    db.session.expire_all()
    deleted = db.session.get(User, learner.id)
    assert (deleted.email, deleted.name, deleted.first_name, deleted.last_name) == (
        f"deleted-{learner.id}@deleted.invalid", "Deleted account", "", "")
    assert (deleted.licences, deleted.board_ids, deleted.birth_month, deleted.profession) == ([], [], None, None)
    assert deleted.deleted_at is not None and not deleted.is_active
    assert learner_client.get("/profile").status_code == 302
    refused = post_form(learner_client, "/sign-in", {"email": "kim@example.org", "password": DEFAULT_PASSWORD})
    assert refused.status_code == 401
    verify = text_of(client.application.test_client().get(f"/verify/{certificate.code}"))
    assert "Valid:" in verify and "Kim Learner" in verify
    (entry,) = audit_entries("account_delete")
    assert entry.details == {"reason": "Learner asked for erasure", "via": "web"}
    assert "kim@example.org" not in admin_client.get(url).get_data(as_text=True)
    assert "This account is deleted" in text_of(admin_client.get(url))


def test_an_administrator_sends_a_password_reset_email_that_works(client, outbox):
    learner, learner_client, admin_client = two_clients(client)
    url = f"/admin/learners/{learner.id}"
    response = post_form(admin_client, f"{url}/password-reset", {}, form_url=url)
    assert response.status_code == 303
    (message,) = outbox
    assert message.to == "kim@example.org" and message.subject == "Reset your password"
    link = re.search(r"http://localhost(/reset-password/\S+)", message.body).group(1)
    anonymous = client.application.test_client()
    assert post_form(anonymous, link, {"new_password": "a brand new phrase"}).status_code == 302
    (entry,) = audit_entries("password_reset_sent")
    assert entry.details == {"email": "kim@example.org", "via": "web"}
