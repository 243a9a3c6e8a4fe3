"""The exports' exact bytes on a seeded database, against golden files.

The golden files in tests/fixtures/golden/exports/ hold what the exports wrote when each built
its rows in Python, a chunk of learners at a time; the one-statement exports (reports/exports.py)
must write the same bytes, from SQLite and from PostgreSQL. The seed covers what the statement
does in SQL: several licences in order, best passed scores rounded half to even (62.5 -> 62,
87.5 -> 88), failed attempts left out, amounts without trailing zeros, every status, a
learner without a profession or licences, cells a spreadsheet would read as formulas, quotes,
commas, line breaks and non-ASCII text.
"""
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import update

from course.core.extensions import db
from credits.models import EvaluationResponse
from reports.exports import ReportFilters, completions_csv, evaluations_csv
from tests.factories import complete_course, make_attempt, make_certificate, make_user, submit_evaluation

GOLDEN = Path(__file__).parent / "fixtures" / "golden" / "exports"
ITEMS_OF_SAMPLE_COURSE = ("objective-first-objective", "time-spent", "change", "intent")


def evaluated(user, submitted_at: datetime, answers: dict, course_slug: str = "sample-course") -> None:
    response = submit_evaluation(user, course_slug, answers)
    db.session.execute(update(EvaluationResponse).where(EvaluationResponse.id == response.id)
                       .values(submitted_at=submitted_at))
    db.session.commit()


@pytest.fixture
def seeded(app):
    pat = make_user(email="pat@example.org", name="Pat Example", profession="physician",
                    licences=[("NY", "MD-1"), ("CA", "A-2")])
    complete_course(pat)
    make_attempt(pat, "first-objective", score=3, total=5)  # failed: not a best passed score
    make_attempt(pat, "first-objective", score=4, total=5)
    make_attempt(pat, "first-objective", score=5, total=5)
    make_attempt(pat, "second-objective", score=4, total=5)
    make_attempt(pat, "first-objective", score=3, total=3, course_slug="other-course")
    evaluated(pat, datetime(2025, 7, 29, 23, 30, tzinfo=UTC),
              {"objective-first-objective": "Agree", "time-spent": 60, "change": "Ask about sleep, \"always\"",
               "intent": "I plan a change", "retired-item": "kept"})
    make_certificate(pat, approval_id="ama-pra", amount="0.75", code="pat-ama-0001", completed_on=date(2025, 7, 29))
    make_certificate(pat, approval_id="ipce", amount="1.25", status="revoked", code="pat-ipce-0002",
                     completed_on=date(2025, 7, 29))
    make_certificate(pat, approval_id="ama-pra", amount="1", course_slug="other-course", code="pat-other-0003",
                     completed_on=date(2025, 8, 15))

    eve = make_user(email="eve@example.org", name='=Eve "Q", Jr.', profession="nurse",
                    licences=[("FL", "RN9123456"), ("AL", "+1-555")])
    make_attempt(eve, "first-objective", score=5, total=8, pass_mark=50)  # 62.5 %
    make_attempt(eve, "second-objective", score=7, total=8, pass_mark=50)  # 87.5 %
    evaluated(eve, datetime(2025, 9, 1, 8, 0, tzinfo=UTC),
              {"objective-first-objective": "Strongly agree", "time-spent": 45, "change": "=SUM(A1)\nsecond line",
               "intent": "Not applicable"})
    make_certificate(eve, approval_id="ancc", amount="10", code="-eve-ancc-0004", completed_on=date(2025, 9, 10))
    make_certificate(eve, approval_id="ancc", amount="2.5", status="superseded", code="@eve-ancc-0005",
                     completed_on=date(2025, 9, 10))
    make_certificate(eve, approval_id="nursing-fl", amount="2", code="eve-fl-0007", completed_on=date(2025, 9, 10),
                     approval_body="Florida Board of Nursing", unit="contact hour", approval_number="50-0000",
                     pharmacology_hours=Decimal("0.50"))

    zoe = make_user(email="zoe@example.org", name="Zoë Ünal", profession=None)
    evaluated(zoe, datetime(2025, 9, 2, 0, 0, tzinfo=UTC), {})
    make_certificate(zoe, approval_id="ipce", amount="0.5", code="zoe-ipce-0006", completed_on=date(2025, 7, 29))


def output(lines) -> bytes:
    return "".join(lines).encode("utf-8")


@pytest.mark.parametrize(("name", "filters"), [
    ("completions.csv", ReportFilters()),
    ("completions-ny-from-august.csv", ReportFilters(state="NY", since=date(2025, 8, 1))),
    ("completions-nurses.csv", ReportFilters(profession="nurse", body="ancc")),
])
def test_completions_export_is_byte_for_byte_the_golden_file(seeded, app, name, filters):
    provider = app.extensions["content"].catalogue().provider
    written = output(completions_csv(db.session, filters, provider))
    assert written.startswith("\ufeff".encode())  # UTF-8's byte-order mark, for Excel
    assert written == (GOLDEN / name).read_bytes()


@pytest.mark.parametrize(("name", "filters", "items"), [
    ("evaluations.csv", ReportFilters(), ()),
    ("evaluations-sample-course.csv", ReportFilters(course="sample-course"), ITEMS_OF_SAMPLE_COURSE),
])
def test_evaluation_export_is_byte_for_byte_the_golden_file(seeded, app, name, filters, items):
    from course.content.store import current_catalogue

    evaluation = current_catalogue().courses["sample-course"].evaluation if items else ()
    assert tuple(item.id for item in evaluation) == items
    assert output(evaluations_csv(db.session, filters, evaluation)) == (GOLDEN / name).read_bytes()
