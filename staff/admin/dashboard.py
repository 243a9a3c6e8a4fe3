"""Figures for the administrators' dashboard: activity per month, quiz pass rates, evaluation summaries.

Each figure is one grouped query (or one per evaluation item), whatever the number of rows.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import DateTime, String, case, distinct, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from accounts.models import User
from course.content.model import Course, EvaluationItem
from credits.models import Certificate, EvaluationResponse
from quizzes.models import CourseCompletion, QuizAttempt


class month_of(FunctionElement):  # noqa: N801 (an SQL function, named like one)
    """'YYYY-MM' of a date, or of a timestamp taken in UTC."""

    type = String()
    name = "month_of"
    inherit_cache = True


@compiles(month_of, "sqlite")
def _month_of_sqlite(element, compiler, **kw):
    (column,) = element.clauses
    return compiler.process(func.strftime("%Y-%m", column), **kw)  # SQLite keeps timestamps in UTC


@compiles(month_of, "postgresql")
def _month_of_postgresql(element, compiler, **kw):
    (column,) = element.clauses
    if isinstance(column.type, DateTime):
        column = func.timezone("UTC", column)
    return compiler.process(func.to_char(column, "YYYY-MM"), **kw)


def last_months(today: date, count: int = 12) -> list[str]:
    """The `count` months up to and including today's, oldest first, as 'YYYY-MM'."""
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def month_label(month: str) -> str:
    """'2026-03' -> 'Mar 2026'."""
    return datetime.strptime(month, "%Y-%m").strftime("%b %Y")


def _month_bounds(months: list[str], column) -> tuple[date | datetime, date | datetime]:
    """The start of the first of `months` and of the month after the last, typed like `column`."""
    first_year, first_month = map(int, months[0].split("-"))
    last_year, last_month = map(int, months[-1].split("-"))
    start, end = date(first_year, first_month, 1), date(last_year + last_month // 12, last_month % 12 + 1, 1)
    if isinstance(column.type, DateTime):
        return datetime(start.year, start.month, 1, tzinfo=UTC), datetime(end.year, end.month, 1, tzinfo=UTC)
    return start, end


def _counts_per_month(session: Session, column, months: list[str], *conditions) -> list[int]:
    """How many rows fall in each of `months` by `column` (a date, or a timestamp read in UTC).

    Grouping over a subquery's column keeps GROUP BY identical to the SELECT on PostgreSQL,
    whose bound parameters would otherwise make the two expressions differ.
    """
    start, end = _month_bounds(months, column)
    in_months = select(month_of(column).label("month")).where(column >= start, column < end, *conditions).subquery()
    counts = dict(session.execute(select(in_months.c.month, func.count()).group_by(in_months.c.month)).all())
    return [counts.get(month, 0) for month in months]


@dataclass(frozen=True)
class BodySeries:
    approval_id: str
    body: str
    counts: list[int]


@dataclass(frozen=True)
class MonthlyActivity:
    months: list[str]  # 'YYYY-MM', oldest first
    learners: list[int]  # accounts registered with the learner role
    completions: list[int]  # courses completed
    certificates: list[int]  # valid certificates, by completion date
    per_body: list[BodySeries]  # valid certificates per credit type, by completion date


def monthly_activity(session: Session, months: list[str]) -> MonthlyActivity:
    start, end = _month_bounds(months, Certificate.completion_date)
    in_months = (
        select(Certificate.approval_id, Certificate.approval_body, month_of(Certificate.completion_date).label("month"))
        .where(Certificate.status == "valid", Certificate.completion_date >= start, Certificate.completion_date < end)
        .subquery()
    )
    by_body: dict[str, dict[str, int]] = {}
    bodies: dict[str, str] = {}
    for approval_id, body, month, count in session.execute(
        select(in_months.c.approval_id, func.max(in_months.c.approval_body), in_months.c.month, func.count())
        .group_by(in_months.c.approval_id, in_months.c.month)
    ):
        by_body.setdefault(approval_id, {})[month] = count
        bodies[approval_id] = body
    per_body = [BodySeries(approval_id, bodies[approval_id], [by_body[approval_id].get(m, 0) for m in months])
                for approval_id in sorted(by_body)]
    return MonthlyActivity(
        months,
        _counts_per_month(session, User.created_at, months, User.role == "learner"),
        _counts_per_month(session, CourseCompletion.completed_at, months),
        [sum(series.counts[i] for series in per_body) for i in range(len(months))],
        per_body,
    )


@dataclass(frozen=True)
class ObjectivePassRate:
    objective_id: str
    text: str
    attempts: int  # submitted attempts
    passed: int  # of which passed
    learners: int  # who submitted at least one attempt
    learners_passed: int

    @property
    def attempt_pass_rate(self) -> float | None:
        return self.passed / self.attempts if self.attempts else None

    @property
    def learner_pass_rate(self) -> float | None:
        return self.learners_passed / self.learners if self.learners else None


def pass_rates(session: Session, courses: Iterable[Course]) -> list[tuple[Course, list[ObjectivePassRate]]]:
    """Per course and objective, in the course's order: submitted attempts and learners, and how many passed."""
    figures = {
        (course, objective): rest
        for course, objective, *rest in session.execute(
            select(QuizAttempt.course_slug, QuizAttempt.objective_id, func.count(),
                   func.count(case((QuizAttempt.passed.is_(True), 1))), func.count(distinct(QuizAttempt.user_id)),
                   func.count(distinct(case((QuizAttempt.passed.is_(True), QuizAttempt.user_id)))))
            .where(QuizAttempt.status == "submitted")
            .group_by(QuizAttempt.course_slug, QuizAttempt.objective_id)
        )
    }
    return [
        (course, [ObjectivePassRate(objective.id, objective.text, *figures.get((course.slug, objective.id), (0, 0, 0, 0)))
                  for objective in course.objectives])
        for course in courses
    ]


@dataclass(frozen=True)
class ItemSummary:
    item: EvaluationItem
    counts: list[tuple[str, int]]  # every choice in the form's order, with how many chose it
    other: int  # answers that are no longer among the choices (the form was edited)
    mean: float | None  # rating items: the mean position on the scale, 1 = first choice

    @property
    def answered(self) -> int:
        return sum(count for _, count in self.counts) + self.other


@dataclass(frozen=True)
class EvaluationSummary:
    course: Course
    responses: int
    items: list[ItemSummary]


SUMMARISED_ITEM_TYPES = ("rating", "choice")


def evaluation_summaries(session: Session, courses: Iterable[Course]) -> list[EvaluationSummary]:
    """For each course, its rating and choice items: counts per choice and, for ratings, the mean."""
    responses = dict(session.execute(
        select(EvaluationResponse.course_slug, func.count()).group_by(EvaluationResponse.course_slug)
    ).all())
    return [
        EvaluationSummary(course, responses.get(course.slug, 0), [
            _item_summary(session, course.slug, item) for item in course.evaluation if item.type in SUMMARISED_ITEM_TYPES
        ])
        for course in courses
    ]


def _item_summary(session: Session, course_slug: str, item: EvaluationItem) -> ItemSummary:
    answers = (
        select(EvaluationResponse.answers[item.id].as_string().label("answer"))
        .where(EvaluationResponse.course_slug == course_slug).subquery()
    )
    tally = dict(session.execute(
        select(answers.c.answer, func.count()).where(answers.c.answer.is_not(None)).group_by(answers.c.answer)
    ).all())
    counts = [(choice, tally.pop(choice, 0)) for choice in item.choices]
    mean = None
    if item.type == "rating" and (rated := sum(count for _, count in counts)):
        mean = sum(position * count for position, (_, count) in enumerate(counts, start=1)) / rated
    return ItemSummary(item, counts, sum(tally.values()), mean)
