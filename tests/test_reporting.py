"""Reporting credit to ACCME PARS and CE Broker: records, their state machine, pre-validation, the batch files
(golden bytes; workbooks read back with openpyxl), outcomes, the learner's transcript, the CLI, bounded memory."""
import io
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from accounts.audit import AuditEntry
from course.content.store import current_catalogue
from course.core.extensions import db
from credits import administration
from reports.batches import (
    ReportingError, accept_remaining, apply_result_file, make_batch, mark_corrected, pre_validate, record_outcome,
    submit_batch,
)
from reports.files import PARS_HEADER, ce_broker_workbook, pars_text, pars_workbook
from reports.models import ReportBatchItem, ReportRecord
from tests.factories import (
    add_batch_items, csrf_token, make_certificate, make_florida_nurse, make_moc_learner, make_reported_certificate, sign_in,
    sign_in_as,
)
import pytest

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
NOW = datetime(2025, 8, 1, 9, tzinfo=UTC)


def records(**where) -> list[ReportRecord]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReportRecord).filter_by(**where).order_by(ReportRecord.id)))


def batch_of(regulator="pars"):
    batch, result = make_batch(db.session, regulator, current_catalogue(), actor=None, via="command line", now=NOW)
    db.session.commit()
    return batch, result


def submitted(regulator="pars"):
    batch, _ = batch_of(regulator)
    submit_batch(db.session, batch, actor=None, via="command line", now=NOW)
    db.session.commit()
    return batch


def seeded_learners():
    """One learner per path: ready, no consent, missing board ID, malformed board ID, Florida nurses."""
    ready = make_moc_learner(email="ready@example.org")
    make_reported_certificate(ready, amount="0.75")
    make_reported_certificate(ready, approval_id="ama-pra", amount="1")
    unconsented = make_moc_learner(email="no-consent@example.org", name="Noel Consent")
    make_certificate(unconsented, approval_id="moc-abim", moc_consent=False)
    no_board = make_moc_learner(email="no-board@example.org", name="Bo Ardless", board_id=None)
    make_reported_certificate(no_board)
    bad_board = make_moc_learner(email="bad-board@example.org", name="Ima Typo", board_id="12AB")
    make_reported_certificate(bad_board)
    nurse = make_florida_nurse(email="nurse@example.org")
    make_reported_certificate(nurse, approval_id="nursing-fl", approval_body="Florida Board of Nursing",
                              unit="contact hour (Florida)")
    lpn = make_florida_nurse(email="lpn@example.org", name="Lou Practical", licence="PN5123456")
    make_reported_certificate(lpn, approval_id="nursing-fl", approval_body="Florida Board of Nursing",
                              unit="contact hour (Florida)")
    wrong = make_florida_nurse(email="wrong@example.org", name="Wren Format", licence="1234567")
    make_reported_certificate(wrong, approval_id="nursing-fl", approval_body="Florida Board of Nursing",
                              unit="contact hour (Florida)")


def test_issued_certificates_open_one_add_record_per_regulator_and_consent_decides_pars(app):
    seeded_learners()
    assert [(r.regulator, r.action, r.status) for r in records()] == [("pars", "add", "pending")] * 3 + [
        ("ce-broker", "add", "pending")] * 3
    assert all(r.due_on == date(2025, 8, 28) for r in records(regulator="ce-broker"))  # 30 days from completion
    assert all(r.due_on is None for r in records(regulator="pars"))


def test_pre_validation_lists_what_to_fix_and_who_fixes_it(app):
    seeded_learners()
    check = pre_validate(db.session, "pars", current_catalogue())
    assert check.ready == 1
    messages = sorted((p.fixer, p.message) for failure in check.failures for p in failure.problems)
    assert messages == [
        ("learner", "Enter your American Board of Internal Medicine (ABIM) ID in your profile."),
        ("learner", "Your ABIM ID '12AB' is not in the form ABIM uses (such as 123456): correct it in your profile."),
    ]
    nurses = pre_validate(db.session, "ce-broker", current_catalogue())
    assert nurses.ready == 2
    assert [p.message for f in nurses.failures for p in f.problems] == [
        "Enter your FL licence number in your profile as the state writes it, such as RN9123456 or PN5123456."]


def test_pre_validation_checks_the_birth_date_and_the_designation(app):
    learner = make_moc_learner(birth_month=2, birth_day=30)
    make_reported_certificate(learner, amount="1.5")  # the course designates up to 1 ABIM MOC point
    (failure,) = pre_validate(db.session, "pars", current_catalogue()).failures
    assert [(p.fixer, p.message) for p in failure.problems] == [
        ("learner", "Your birth month and day (2/30) are not a date: correct them in your profile."),
        ("administrator", "ABIM MOC credit of 1.5 is outside the designation (up to 1): correct the certificate."),
    ]


def test_the_pars_files_exact_bytes_and_the_workbook_read_back(app):
    seeded_learners()
    batch, result = batch_of("pars")
    assert (batch.record_count, batch.row_count, len(result.failures)) == (1, 1, 2)
    text = "".join(pars_text(db.session, batch)).encode()
    assert text == (GOLDEN / "pars-add.txt").read_bytes()
    target = io.BytesIO()
    pars_workbook(db.session, batch, target)
    sheet = load_workbook(target).active
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    assert rows[0] == PARS_HEADER == (
        "Record Action", "ACCME Activity ID", "Completion Date", "First Name", "Last Name", "Date of Birth",
        "Licensing State", "Licensing ID or NPI", "Number of CME Credits", "Certifying Board", "Certifying Board ID",
        "Total Board Credits", "Credit Type", "Credits Awarded for Credit Type")
    assert rows[1] == ("Add", "202500001", datetime(2025, 7, 29), "Mary Ann van", "Dyke", "03/14", None, None, 1,
                       "ABIM", "123456", 0.75, "MK", 0.75)
    assert sheet["C2"].number_format == "MM/DD/YYYY"


def test_the_ce_broker_roster_read_back(app):
    seeded_learners()
    batch, _ = batch_of("ce-broker")
    target = io.BytesIO()
    ce_broker_workbook(db.session, batch, target)
    sheet = load_workbook(target).active
    assert [tuple(cell.value for cell in row) for row in sheet.iter_rows()] == [
        ("0000", "100001", None, None, "RN9123456", datetime(2025, 7, 29), "State=FL", "Profession=RN"),
        ("0000", "100001", None, None, "PN5123456", datetime(2025, 7, 29), "State=FL", "Profession=LPN"),
    ]
    assert sheet["F1"].number_format == "m/d/yyyy"


def test_a_record_is_never_in_two_batches_nor_sent_twice(app):
    seeded_learners()
    first = submitted("pars")
    with pytest.raises(ReportingError, match="No record is ready"):
        batch_of("pars")  # the two failing records stay out, the sent one is not taken again
    db.session.rollback()
    accept_remaining(db.session, first, actor=None, via="command line", now=NOW)
    db.session.commit()
    (sent,) = records(regulator="pars", status="accepted")
    assert db.session.scalar(select(ReportBatchItem.id).where(ReportBatchItem.record_id == sent.id)) is not None
    assert len(db.session.scalars(select(ReportBatchItem).where(ReportBatchItem.record_id == sent.id)).all()) == 1
    assert first.status == "closed"


def test_reissue_after_submission_sends_a_correction_as_delete_then_add(app):
    learner = make_moc_learner(name="Jo Smith")
    certificate = make_reported_certificate(learner)
    submitted("pars")
    learner.first_name, learner.last_name, learner.name = "Joanna", "Smith-Jones", "Joanna Smith-Jones"
    db.session.commit()
    replacement = administration.reissue(db.session, certificate, actor=None, via="command line", now=NOW)
    db.session.commit()
    add, correction = records()
    assert (add.action, add.status, add.certificate_id) == ("add", "submitted", replacement.id)
    assert (correction.action, correction.status, correction.replaces_id) == ("correct", "pending", add.id)
    batch, _ = batch_of("pars")
    lines = "".join(pars_text(db.session, batch)).split("\r\n")
    assert lines[0].startswith("Delete\t202500001\t07/29/2025\tJo\tSmith\t")
    assert lines[1].startswith("Add\t202500001\t07/29/2025\tJoanna\tSmith-Jones\t")
    assert batch.row_count == 2


def test_reissue_that_changes_nothing_sent_makes_no_correction(app):
    nurse = make_florida_nurse()
    certificate = make_reported_certificate(nurse, approval_id="nursing-fl", approval_body="Florida Board of Nursing",
                                            unit="contact hour (Florida)")
    submitted("ce-broker")
    nurse.name = "Flora N. Nightingale"  # CE Broker's roster carries no name
    db.session.commit()
    administration.reissue(db.session, certificate, actor=None, via="command line", now=NOW)
    db.session.commit()
    assert [(r.action, r.status) for r in records()] == [("add", "submitted")]


def test_revoke_after_acceptance_sends_a_delete_and_before_sending_withdraws(app):
    accepted = make_moc_learner(email="accepted@example.org")
    sent_certificate = make_reported_certificate(accepted)
    accept_remaining(db.session, submitted("pars"), actor=None, via="command line", now=NOW)
    unsent = make_reported_certificate(make_moc_learner(email="unsent@example.org"))
    db.session.commit()
    for certificate in (sent_certificate, unsent):
        administration.revoke(db.session, certificate, reason="Claimed in error", actor=None, via="command line",
                              now=NOW)
    db.session.commit()
    assert [(r.certificate_id, r.action, r.status) for r in records()] == [
        (sent_certificate.id, "add", "accepted"), (unsent.id, "add", "withdrawn"),
        (sent_certificate.id, "delete", "pending")]
    batch, _ = batch_of("pars")
    (line,) = "".join(pars_text(db.session, batch)).splitlines()
    assert line.startswith("Delete\t202500001\t07/29/2025\tMary Ann van\tDyke\t03/14\t")


def test_the_sync_catches_up_certificates_changed_without_the_signals(app):
    learner = make_moc_learner()
    make_certificate(learner, approval_id="moc-abim", moc_consent=True)  # written directly: no signal, no record
    assert records() == []
    batch, _ = batch_of("pars")
    assert [(r.action, r.status, r.batch_id) for r in records()] == [("add", "in_batch", batch.id)]


def test_rejected_records_are_corrected_then_resubmitted(app):
    learner = make_moc_learner(board_id="654321")
    make_reported_certificate(learner)
    batch = submitted("pars")
    apply_result_file(db.session, batch, b"row,outcome,reason\r\n2,rejected,Board ID not found\r\n", actor=None,
                      via="command line", now=NOW)
    db.session.commit()
    (record,) = records()
    assert (record.status, record.rejection_reason, batch.status) == ("rejected", "Board ID not found", "closed")
    learner.board_ids[0].number = "123456"
    db.session.commit()
    mark_corrected(db.session, record, current_catalogue(), actor=None, via="command line", now=NOW)
    again = submitted("pars")
    record_outcome(db.session, records()[0], "accepted", reason=None, actor=None, via="command line", now=NOW)
    db.session.commit()
    (record,) = records()
    assert (record.status, record.times_sent, record.payload["board_id"]) == ("accepted", 2, "123456")
    assert [event.status for event in record.events] == [
        "pending", "in_batch", "submitted", "rejected", "corrected", "in_batch", "resubmitted", "accepted"]
    assert again.status == "closed"


def test_a_bad_result_file_records_nothing(app):
    make_reported_certificate(make_moc_learner())
    batch = submitted("pars")
    with pytest.raises(ReportingError, match="line 2: batch .* has no row 9; line 3: a rejection needs its reason"):
        apply_result_file(db.session, batch, b"row,outcome,reason\n9,accepted,\n2,rejected,\n", actor=None,
                          via="command line", now=NOW)
    db.session.rollback()
    assert [r.status for r in records()] == ["submitted"]


def test_the_transcript_shows_where_each_certificate_was_reported_and_what_to_fix(client):
    learner = make_moc_learner(email="learner@example.org")
    certificate = make_reported_certificate(learner)
    fixes = make_moc_learner(email="fixes@example.org", board_id=None)
    waiting = make_reported_certificate(fixes)
    batch, _ = batch_of("pars")
    submit_batch(db.session, batch, actor=None, via="command line", now=datetime(2026, 3, 3, 12, tzinfo=UTC))
    accept_remaining(db.session, batch, actor=None, via="command line", now=NOW)
    db.session.commit()
    sign_in(client, learner.email)
    page = client.get("/transcript").get_data(as_text=True)
    assert "Reported to ACCME for ABIM MOC on March 3, 2026: accepted." in page
    assert f'data-testid="reported-{certificate.id}"' in page
    other = client.application.test_client()
    sign_in(other, fixes.email)
    page = other.get("/transcript").get_data(as_text=True)
    assert "To be reported to ACCME for ABIM MOC." in page
    assert "Enter your American Board of Internal Medicine (ABIM) ID in your profile." in page
    assert f'data-testid="reported-{waiting.id}"' in page


def test_a_month_from_pending_to_accepted_from_the_command_line_audited(runner, tmp_path):
    seeded_learners()
    result = runner.invoke(args=["reports", "batch", "pars", "--until", "2025-07-31", "-o", str(tmp_path / "p.txt")])
    assert result.exit_code == 0, result.output
    assert "Batch 1: 1 record(s), 1 row(s); 2 record(s) left out until fixed." in result.output
    assert "[to fix: learner]" in result.output
    assert (tmp_path / "p.txt").read_bytes() == (GOLDEN / "pars-add.txt").read_bytes()
    assert runner.invoke(args=["reports", "submit", "1"]).exit_code == 0
    assert runner.invoke(args=["reports", "mark", "--batch", "1", "--rest"]).output.strip() == "1 accepted."
    nurses = runner.invoke(args=["reports", "batch", "ce-broker", "-o", str(tmp_path / "c.xlsx")])
    assert nurses.exit_code == 0, nurses.output
    assert runner.invoke(args=["reports", "submit", "2"]).exit_code == 0
    (first, second) = records(regulator="ce-broker", status="submitted")
    assert runner.invoke(args=["reports", "mark", str(first.id), "accepted"]).exit_code == 0
    refused = runner.invoke(args=["reports", "mark", str(second.id), "rejected"])
    assert refused.exit_code == 1 and "Give the reason" in refused.output
    assert runner.invoke(args=["reports", "mark", str(second.id), "accepted"]).exit_code == 0
    status = runner.invoke(args=["reports", "status"]).output
    assert "ACCME (PARS): pending 2, accepted 1" in status and "CE Broker: pending 1, accepted 2" in status
    history = runner.invoke(args=["reports", "history", str(first.id)]).output
    assert "submitted (batch 2) [command line]" in history and "accepted" in history
    actions = [entry.action for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["report_batch", "report_submit", "report_outcome", "report_batch", "report_submit",
                       "report_outcome", "report_outcome"]
    assert runner.invoke(args=["reports", "mark", "99", "accepted"]).output.strip() == "Error: There is no report record 99."


def test_a_month_from_pending_to_accepted_in_the_browser(client):
    seeded_learners()
    sign_in_as(client, "admin", email="boss@example.org")
    page = client.get("/admin/reporting").get_data(as_text=True)
    assert "Enter your American Board of Internal Medicine (ABIM) ID in your profile." in page
    token = csrf_token(client, "/admin/reporting")
    made = client.post("/admin/reporting/pars/batches", data={"csrf_token": token, "pars-until": ""})
    assert made.status_code == 303
    batch_url = made.headers["Location"]
    download = client.get(batch_url + "/files/pars.txt")
    assert download.data == (GOLDEN / "pars-add.txt").read_bytes()
    assert download.headers["Content-Disposition"].startswith("attachment")
    workbook = client.get(batch_url + "/files/pars.xlsx")
    assert load_workbook(io.BytesIO(workbook.data)).active["A2"].value == "Add"
    assert client.post(batch_url + "/submit", data={"csrf_token": token}).status_code == 303
    (record,) = records(regulator="pars", status="submitted")
    rejected = client.post(f"/admin/reporting/records/{record.id}/outcome",
                           data={"csrf_token": token, "outcome": "rejected", "reason": ""})
    assert rejected.status_code == 422
    assert client.post(f"/admin/reporting/records/{record.id}/outcome",
                       data={"csrf_token": token, "outcome": "accepted"}).status_code == 303
    assert "closed" in client.get(batch_url).get_data(as_text=True)
    history = client.get(f"/admin/reporting/records/{record.id}").get_data(as_text=True)
    assert history.count("<li>") >= 4 and "accepted" in history


def test_the_dashboard_shows_deadlines_at_risk(client):
    make_reported_certificate(make_florida_nurse(), approval_id="nursing-fl", approval_body="Florida Board of Nursing",
                              unit="contact hour (Florida)")
    client.application.config["CLOCK"] = lambda: datetime(2025, 8, 25, 12, tzinfo=UTC)
    sign_in_as(client, "admin", email="boss@example.org")
    page = client.get("/admin/").get_data(as_text=True)
    assert "August 28, 2025 (in 3 day(s))" in page


def test_routes_refuse_a_post_without_csrf(client):
    make_reported_certificate(make_moc_learner())
    sign_in_as(client, "admin", email="boss@example.org")
    assert client.post("/admin/reporting/pars/batches", data={}).status_code == 400
    assert records()[0].status == "pending"


def test_a_large_batch_is_written_in_bounded_memory(app):
    make_reported_certificate(make_moc_learner())
    batch, _ = batch_of("pars")

    def peak_for(rows: int) -> int:
        add_batch_items(batch, rows)
        tracemalloc.start()
        try:
            for _line in pars_text(db.session, batch, batch_size=200):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak_for(1_000), peak_for(8_000)
    assert large < small * 2
