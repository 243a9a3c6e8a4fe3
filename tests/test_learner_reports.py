"""Reports staff ask for: learners in progress or not started, completions without an evaluation or a claim,
one learner's quiz responses, free-text evaluation answers; every export as CSV (Excel-ready) and XLSX."""
import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from accounts.audit import AuditEntry
from course.core.extensions import db
from quizzes.reading import record_module_read
from reports.exports import ReportFilters
from reports.registry import EXPORTS
from tests.factories import (
    complete_course, csrf_token, make_attempt, make_certificate, make_user, sign_in_as, submit_evaluation,
)


def csv_rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def table(name: str, **filters) -> list[dict]:
    from course.content.store import current_catalogue

    header, rows = EXPORTS[name].table(db.session, ReportFilters(**filters), current_catalogue())
    return [dict(zip(header, row, strict=True)) for row in rows]


def download(client, path: str, **query):
    token = csrf_token(client, "/admin/reports")
    return client.post(path, query_string=query, data={"csrf_token": token})


@pytest.fixture
def learners(app):
    """Ann has not started; Ben has read a module and failed a quiz; Cy completed without evaluating; Di completed,
    evaluated, claimed nothing, and wrote a comment; Ed completed, evaluated and claimed."""
    ann = make_user(email="ann@example.org", name="Ann Idle", profession="nurse")
    ben = make_user(email="ben@example.org", name="Ben Busy")
    record_module_read(db.session, ben.id, "sample-course", "first-objective")
    db.session.commit()
    make_attempt(ben, score=1, total=3)
    cy = make_user(email="cy@example.org", name="Cy Done")
    complete_course(cy)
    di = make_user(email="di@example.org", name="=Di Formula", profession="nurse")
    complete_course(di)
    submit_evaluation(di, answers={"objective-first-objective": "Agree", "time-spent": 60,
                                   "change": "Screen for =HYPERLINK risks earlier"})
    ed = make_user(email="ed@example.org", name="Ed Finished")
    complete_course(ed)
    submit_evaluation(ed, answers={"objective-first-objective": "Agree", "time-spent": 45, "change": "  "})
    make_certificate(ed, approval_id="ama-pra")
    return {"ann": ann, "ben": ben, "cy": cy, "di": di, "ed": ed}


def test_learners_in_progress_or_not_started_per_course(learners):
    rows = {row["email"]: row for row in table("progress")}
    assert set(rows) == {"ann@example.org", "ben@example.org"}  # the completed, and the admin-free list only
    assert (rows["ann@example.org"]["state"], rows["ann@example.org"]["modules_read"],
            rows["ann@example.org"]["last_activity"]) == ("not started", 0, None)
    ben = rows["ben@example.org"]
    assert (ben["state"], ben["modules_read"], ben["modules"], ben["quizzes_passed"], ben["quizzes"]) == (
        "in progress", 1, 3, 0, 2)
    assert ben["last_activity"] is not None
    assert [row["email"] for row in table("progress", profession="nurse")] == ["ann@example.org"]
    assert table("progress", course="no-such-course") == []


def test_completions_without_an_evaluation_or_a_claim(learners):
    rows = {row["email"]: row["missing"] for row in table("unfinished")}
    assert rows == {"cy@example.org": "evaluation and claim", "di@example.org": "claim"}
    (cy,) = table("unfinished", learner="cy@example.org")
    assert (cy["completed_on"], cy["evaluation_submitted"], cy["valid_certificates"]) == (date(2025, 7, 29), False, 0)
    assert table("unfinished", since=date(2025, 7, 30)) == []


def test_one_learners_quiz_responses_question_by_question(learners):
    rows = table("quiz-responses", learner="ben@example.org")
    assert [(row["question"], row["question_text"], row["answer"], row["correct_answer"], row["answered_right"])
            for row in rows] == [("q1", "Question 1", "A", "A", True), ("q2", "Question 2", "B", "A", False),
                                 ("q3", "Question 3", "B", "A", False)]
    assert {(row["attempt"], row["score_percent"], row["passed"]) for row in rows} == {(1, 33, False)}
    assert table("quiz-responses", learner="ann@example.org") == []


def test_free_text_evaluation_answers_with_filters(learners):
    rows = table("evaluation-comments")
    assert [(row["learner"], row["question"], row["answer"]) for row in rows] == [
        ("=Di Formula", "What will you change?", "Screen for =HYPERLINK risks earlier")]
    assert table("evaluation-comments", profession="physician") == []
    assert len(table("evaluation-comments", course="sample-course", profession="nurse")) == 1


def test_csv_downloads_open_in_excel_bom_crlf_and_formulas_neutralised(client, learners):
    sign_in_as(client, "admin", email="boss@example.org")
    response = download(client, "/admin/exports/evaluation-comments.csv")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\r\n") == 2 and b"\n" not in data.replace(b"\r\n", b"")
    (row,) = csv_rows(data.decode("utf-8"))
    assert row["learner"] == "'=Di Formula" and row["answer"] == "Screen for =HYPERLINK risks earlier"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
    assert (entry.target_id, entry.details["via"]) == ("evaluation-comments", "web")


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_every_export_downloads_as_xlsx_with_typed_cells(client, learners, name):
    sign_in_as(client, "admin", email="boss@example.org")
    make_certificate(learners["di"], approval_id="ancc")
    query = {"learner": "ben@example.org"} if name == "quiz-responses" else {}
    response = download(client, f"/admin/exports/{name}.xlsx", **query)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.fullmatch(rf'attachment; filename="{name}-\d{{4}}-\d\d-\d\d\.xlsx"',
                        response.headers["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    csv_text = download(client, f"/admin/exports/{name}.csv", **query).get_data(as_text=True)
    assert len(rows) == len(csv_rows(csv_text)) > 0
    assert header == list(csv_rows(csv_text)[0])
    assert sheet["A1"].font.bold
    cells = [value for row in rows for value in row]
    assert all(not (isinstance(value, str) and value.startswith("=")) for value in cells)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "export")
                               .order_by(AuditEntry.id)).first()
    assert entry.details["format"] == "xlsx"


def test_the_completions_rows_go_through_the_same_writer_as_a_workbook(client, learners):
    sign_in_as(client, "admin", email="boss@example.org")
    sheet = load_workbook(io.BytesIO(download(client, "/admin/exports/completions.xlsx").get_data())).active
    header, row = [[cell.value for cell in row] for row in sheet.iter_rows()]
    record = dict(zip(header, row, strict=True))
    assert (record["learner"], record["email"], record["credit_type"]) == ("Ed Finished", "ed@example.org", "ama-pra")


def test_quiz_responses_need_a_learner(client, learners):
    sign_in_as(client, "admin", email="boss@example.org")
    assert download(client, "/admin/exports/quiz-responses.csv").status_code == 400
    assert download(client, "/admin/exports/quiz-responses.csv", learner="nobody@example.org").status_code == 400
    assert download(client, "/admin/exports/completions.csv", learner="ben@example.org").status_code == 400
    page = client.get("/admin/reports", query_string={"report": "quiz-responses"})
    assert page.status_code == 400 and "give the learner&#39;s email" in page.get_data(as_text=True)
    learner_page = client.get(f"/admin/learners/{learners['ben'].id}").get_data(as_text=True)
    assert "/admin/exports/quiz-responses.xlsx?learner=ben" in learner_page


def test_the_reports_page_previews_the_chosen_report(client, learners):
    sign_in_as(client, "admin", email="boss@example.org")
    page = client.get("/admin/reports", query_string={"report": "unfinished"}).get_data(as_text=True)
    preview = page.split('data-testid="report-preview"', 1)[1]
    assert "Cy Done" in preview and "evaluation and claim" in preview and "Ed Finished" not in preview
    page = client.get("/admin/reports", query_string={"report": "evaluation-comments", "profession": "nurse"})
    assert "Screen for =HYPERLINK risks earlier" in page.get_data(as_text=True)
    assert client.get("/admin/reports", query_string={"report": "nonsense"}).status_code == 400


def test_the_reports_from_the_command_line_csv_and_xlsx(runner, learners, tmp_path):
    result = runner.invoke(args=["reports", "unfinished"])
    assert result.exit_code == 0, result.output
    assert [row["email"] for row in csv_rows(result.stdout)] == ["cy@example.org", "di@example.org"]
    target = tmp_path / "progress.xlsx"
    result = runner.invoke(args=["reports", "progress", "--profession", "nurse", "-o", str(target)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target).active
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == ["ann@example.org"]
    csv_target = tmp_path / "comments.csv"
    assert runner.invoke(args=["reports", "evaluation-comments", "-o", str(csv_target)]).exit_code == 0
    assert csv_target.read_bytes().startswith(b"\xef\xbb\xbf")
    result = runner.invoke(args=["reports", "quiz-responses"])
    assert result.exit_code == 2 and "give --learner EMAIL" in result.output
    result = runner.invoke(args=["reports", "quiz-responses", "--learner", "nobody@example.org"])
    assert result.exit_code == 2 and "no account has the email nobody@example.org" in result.output
    result = runner.invoke(args=["reports", "quiz-responses", "--learner", "BEN@example.org", "--format", "xlsx"])
    assert result.exit_code == 2 and "give -o FILE.xlsx" in result.output
    result = runner.invoke(args=["reports", "completions", "--learner", "ben@example.org"])
    assert result.exit_code == 2 and "has no learner filter" in result.output
    result = runner.invoke(args=["reports", "quiz-responses", "--learner", "BEN@example.org"])
    assert result.exit_code == 0 and len(csv_rows(result.stdout)) == 3
