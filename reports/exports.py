"""Completion reports and exports for administrators (reporting to regulators is in batches.py and files.py).

Every export is a table (reports.tables: a header and an iterator of rows), written as CSV lines
or an XLSX workbook, so a caller can stream it to a browser or a file in constant memory
whatever the number of rows:

- the rows come from one SELECT executed with `yield_per` (a server-side cursor on
  PostgreSQL; SQLite steps through its cursor), read a chunk at a time;
- what a row needs from other tables comes with it (whether the evaluation was submitted: an
  EXISTS in the same SELECT) or is fetched once per chunk for the learners in that chunk
  (licences, best quiz scores: one query each), never one query per row and never for all
  learners at once;
- nothing accumulates across chunks.

Spreadsheet formula injection: every cell of every export goes through `neutralise`, which
puts an apostrophe before a leading =, +, -, @, tab or carriage return (OWASP's advice for CSV
injection). It applies to every cell alike, numbers included: amounts and dates never start
with those characters, so no real value is altered, and no column can be forgotten.
"""
import json
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session, aliased

from accounts.models import Licence, User
from course.content.model import Catalogue, EvaluationItem, Provider
from course.core.clock import start_of_day
from course.core.filters import calendar_day, format_amount
from credits.models import Certificate, EvaluationResponse
from quizzes.models import QuizAttempt, best_passed_percent

from .tables import FORMATS, LINE_END, Table, csv_lines, neutralise, write_xlsx  # noqa: F401 (LINE_END, neutralise: files.py)

BATCH_SIZE = 1000


@dataclass(frozen=True)
class ReportFilters:
    """What a report or export is limited to; None means no limit.

    `since`/`until` bound the completion date (both inclusive; for evaluations, the day of
    submission; days in the provider's time zone); `body` is an approval id (the credit type);
    `state` a licence state.
    """

    since: date | None = None
    until: date | None = None
    course: str | None = None
    body: str | None = None
    profession: str | None = None
    state: str | None = None
    learner: str | None = None  # an account's email; only the exports that say so (Export.uses_learner) read it

    def as_details(self) -> dict[str, str]:
        """The filters that are set, as text (for the audit trail)."""
        return {name: value.isoformat() if isinstance(value, date) else value
                for name, value in asdict(self).items() if value is not None}


def streamed_chunks(session: Session, query: Select, batch_size: int) -> Iterator[list[Row]]:
    """The rows of `query` a chunk of `batch_size` at a time, from one cursor (server-side on PostgreSQL)."""
    result = session.connection().execute(query.execution_options(yield_per=batch_size))
    try:
        yield from result.partitions()
    finally:
        result.close()  # an export abandoned half-way (a closed download) frees its cursor


def _learner_filters(query: Select, filters: ReportFilters) -> Select:
    """The profession and licence-state filters; `query` must already join User."""
    if filters.profession:
        query = query.where(User.profession == filters.profession)
    if filters.state:
        query = query.where(
            select(Licence.id).where(Licence.user_id == User.id, Licence.state == filters.state).exists()
        )
    return query


def _certificate_filters(query: Select, filters: ReportFilters) -> Select:
    """Every filter, for a query over certificates joined to their learners."""
    if filters.since:
        query = query.where(Certificate.completion_date >= filters.since)
    if filters.until:
        query = query.where(Certificate.completion_date <= filters.until)
    if filters.course:
        query = query.where(Certificate.course_slug == filters.course)
    if filters.body:
        query = query.where(Certificate.approval_id == filters.body)
    return _learner_filters(query, filters)


# --- Completions: one row per certificate -----------------------------------------------


def completions_query(filters: ReportFilters) -> Select:
    """Certificates matching `filters` (every status) with their learners, by completion date."""
    query = (
        select(
            Certificate.id, Certificate.user_id, Certificate.learner_name, User.email, User.profession,
            Certificate.course_slug, Certificate.completion_date, Certificate.approval_body,
            Certificate.approval_id, Certificate.amount, Certificate.unit, Certificate.code, Certificate.status,
            Certificate.course_title, Certificate.issued_at, Certificate.approval_number,
            Certificate.pharmacology_hours,
        )
        .join(User, User.id == Certificate.user_id)
        .order_by(Certificate.completion_date, Certificate.id)
    )
    return _certificate_filters(query, filters)


def count_completions(session: Session, filters: ReportFilters) -> int:
    return session.scalar(_certificate_filters(
        select(func.count(Certificate.id)).join(User, User.id == Certificate.user_id), filters
    ))


@dataclass(frozen=True)
class CreditTotal:
    approval_id: str
    body: str
    unit: str
    certificates: int
    amount: Decimal


def completion_totals(session: Session, filters: ReportFilters) -> list[CreditTotal]:
    """Valid certificates and credit awarded per credit type and unit, for the report's counts."""
    query = (
        select(Certificate.approval_id, func.max(Certificate.approval_body), Certificate.unit,
               func.count(Certificate.id), func.sum(Certificate.amount))
        .join(User, User.id == Certificate.user_id)
        .where(Certificate.status == "valid")
        .group_by(Certificate.approval_id, Certificate.unit)
        .order_by(Certificate.approval_id, Certificate.unit)
    )
    return [CreditTotal(*row) for row in session.execute(_certificate_filters(query, filters))]


def status_counts(session: Session, filters: ReportFilters) -> dict[str, int]:
    """Certificates matching `filters` per status (valid, revoked, superseded)."""
    query = (
        select(Certificate.status, func.count(Certificate.id))
        .join(User, User.id == Certificate.user_id).group_by(Certificate.status)
    )
    return dict(session.execute(_certificate_filters(query, filters)).all())


COMPLETION_COLUMNS = (
    "learner", "email", "profession", "licences", "course", "completion_date", "objective_scores",
    "evaluation_submitted", "body", "credit_type", "amount", "unit", "certificate_code", "status",
    "course_title", "issue_date", "approval_number", "provider_number", "pharmacology_hours",
)  # then one "licence_XX" column per state in which a learner in the export holds a licence


@dataclass(frozen=True)
class _LearnerFacts:
    """What the completion rows of one chunk need from the licences and quiz attempts tables."""

    licences: dict[int, str]  # user id -> "NY 123; CA 456"
    numbers_by_state: dict[int, dict[str, str]]  # user id -> {"NY": "123"}
    scores: dict[tuple[int, str], str]  # (user id, course) -> "objective: 80; other: 100"


def _learner_facts(session: Session, rows: list[Row]) -> _LearnerFacts:
    user_ids = list({row.user_id for row in rows})
    courses = list({row.course_slug for row in rows})
    connection = session.connection()  # Core, not ORM, results: these rows are plain values
    licences: dict[int, list[str]] = defaultdict(list)
    by_state: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for user_id, state, number in connection.execute(
        select(Licence.user_id, Licence.state, Licence.number)
        .where(Licence.user_id.in_(user_ids)).order_by(Licence.user_id, Licence.id)
    ):
        licences[user_id].append(f"{state} {number}")
        by_state[user_id][state].append(number)
    scores: dict[tuple[int, str], list[str]] = defaultdict(list)
    for user_id, course, objective, best in connection.execute(
        select(QuizAttempt.user_id, QuizAttempt.course_slug, QuizAttempt.objective_id, best_passed_percent)
        .where(QuizAttempt.user_id.in_(user_ids), QuizAttempt.course_slug.in_(courses), QuizAttempt.passed.is_(True))
        .group_by(QuizAttempt.user_id, QuizAttempt.course_slug, QuizAttempt.objective_id)
        .order_by(QuizAttempt.user_id, QuizAttempt.course_slug, QuizAttempt.objective_id)
    ):
        scores[user_id, course].append(f"{objective}: {round(best)}")
    return _LearnerFacts(
        {user_id: "; ".join(entries) for user_id, entries in licences.items()},
        {user_id: {state: "; ".join(numbers) for state, numbers in states.items()} for user_id, states in by_state.items()},
        {key: "; ".join(entries) for key, entries in scores.items()},
    )


def licence_states(session: Session, filters: ReportFilters) -> list[str]:
    """The states in which learners with a certificate matching `filters` hold a licence: the per-state columns."""
    held = aliased(Licence)  # apart from the Licence of the state filter's EXISTS
    query = (select(held.state).distinct().join(User, User.id == held.user_id)
             .join(Certificate, Certificate.user_id == User.id).order_by(held.state))
    return list(session.scalars(_certificate_filters(query, filters)))


def _provider_numbers(provider: Provider | None) -> dict[str, str]:
    """The provider's own number with each body that reports through CE Broker, by approval id (provider.yaml)."""
    if provider is None:
        return {}
    return {approval.id: approval.ce_broker.provider_number for approval in provider.approvals.values()
            if approval.ce_broker is not None}


def _completion_rows(session: Session, filters: ReportFilters, provider: Provider | None, states: list[str],
                     batch_size: int) -> Iterator[list[str]]:
    evaluated = select(EvaluationResponse.id).where(
        EvaluationResponse.user_id == Certificate.user_id, EvaluationResponse.course_slug == Certificate.course_slug,
    ).exists()
    query = completions_query(filters).add_columns(evaluated.label("evaluated"))
    provider_numbers = _provider_numbers(provider)
    zone = provider.zone if provider else None
    for chunk in streamed_chunks(session, query, batch_size):
        facts = _learner_facts(session, chunk)
        for (_, user_id, learner_name, email, profession, course, completed_on, body, approval_id, amount, unit, code,
             status, course_title, issued_at, approval_number, pharmacology_hours, was_evaluated) in chunk:
            numbers = facts.numbers_by_state.get(user_id, {})
            yield [
                learner_name, email, profession or "", facts.licences.get(user_id, ""), course,
                completed_on.isoformat(), facts.scores.get((user_id, course), ""), "yes" if was_evaluated else "no",
                body, approval_id, format_amount(amount), unit, code, status,
                course_title, calendar_day(issued_at, zone).isoformat(), approval_number or "",
                provider_numbers.get(approval_id, ""),
                format_amount(pharmacology_hours) if pharmacology_hours is not None else "",
                *(numbers.get(state, "") for state in states),
            ]


def completions_table(session: Session, filters: ReportFilters, provider: Provider | None = None, *,
                      batch_size: int = BATCH_SIZE) -> Table:
    """The completions export: one row per certificate of any status (see COMPLETION_COLUMNS).

    `learner` is the name printed on the certificate; email, profession and licences are the
    learner's profile now. `objective_scores` holds the best passed score per objective. The issue
    date is the provider's calendar day; `provider_number` is the provider's number with the body
    where it reports through CE Broker; `licence_XX` holds the learner's licence numbers in XX.
    """
    states = licence_states(session, filters)
    header = (*COMPLETION_COLUMNS, *(f"licence_{state}" for state in states))
    return header, _completion_rows(session, filters, provider, states, batch_size)


def completions_csv(session: Session, filters: ReportFilters, provider: Provider | None = None, *,
                    batch_size: int = BATCH_SIZE) -> Iterator[str]:
    return csv_lines(*completions_table(session, filters, provider, batch_size=batch_size))


# --- Evaluation responses ----------------------------------------------------------------

EVALUATION_COLUMNS = ("learner", "email", "course", "submitted_on")


def _evaluations_query(filters: ReportFilters) -> Select:
    """Evaluation responses matching `filters`, oldest first.

    The dates bound the day of submission in the provider's time zone; `body` keeps the responses
    of learners holding a certificate of that credit type for the course.
    """
    query = (
        select(User.name, User.email, EvaluationResponse.course_slug, EvaluationResponse.submitted_at,
               EvaluationResponse.answers)
        .join(User, User.id == EvaluationResponse.user_id)
        .order_by(EvaluationResponse.submitted_at, EvaluationResponse.id)
    )
    if filters.since:
        query = query.where(EvaluationResponse.submitted_at >= start_of_day(filters.since))
    if filters.until:
        query = query.where(EvaluationResponse.submitted_at < start_of_day(filters.until + timedelta(days=1)))
    if filters.course:
        query = query.where(EvaluationResponse.course_slug == filters.course)
    if filters.body:
        query = query.where(select(Certificate.id).where(
            Certificate.user_id == EvaluationResponse.user_id, Certificate.course_slug == EvaluationResponse.course_slug,
            Certificate.approval_id == filters.body,
        ).exists())
    return _learner_filters(query, filters)


def count_evaluations(session: Session, filters: ReportFilters) -> int:
    return session.scalar(select(func.count()).select_from(_evaluations_query(filters).order_by(None).subquery()))


def _answers_json(answers: dict) -> str:
    return json.dumps(answers, ensure_ascii=False) if answers else ""


def evaluations_csv(
    session: Session, filters: ReportFilters, items: Sequence[EvaluationItem] = (), *, batch_size: int = BATCH_SIZE,
) -> Iterator[str]:
    return csv_lines(*evaluations_table(session, filters, items, batch_size=batch_size))


def evaluations_table(
    session: Session, filters: ReportFilters, items: Sequence[EvaluationItem] = (), *, batch_size: int = BATCH_SIZE,
) -> Table:
    """The evaluation responses export: one row per response.

    With `items` (the course's evaluation form, passed when the report is for one course) each
    item gets a column named by its id, and answers to items no longer on the form go to a
    last `other_answers` column as JSON. Without, one `answers` column holds every
    item id -> answer pair as JSON.
    """
    item_ids = [item.id for item in items]
    header = EVALUATION_COLUMNS + ((*item_ids, "other_answers") if item_ids else ("answers",))

    def rows() -> Iterator[list[str]]:
        for chunk in streamed_chunks(session, _evaluations_query(filters), batch_size):
            for name, email, course, submitted_at, answers in chunk:
                row = [name, email, course, calendar_day(submitted_at).isoformat()]
                if item_ids:
                    row += [str(answers.get(item_id, "")) for item_id in item_ids]
                    row.append(_answers_json({k: v for k, v in answers.items() if k not in item_ids}))
                else:
                    row.append(_answers_json(answers))
                yield row

    return header, rows()


# --- What the browser and the command line need to offer each export ---------------------


@dataclass(frozen=True)
class Export:
    """One export, offered as CSV and as XLSX (reports.tables writes both from the same table)."""

    name: str
    title: str
    count: Callable[[Session, ReportFilters, Catalogue], int]  # rows the export will have, for progress bars
    table: Callable[[Session, ReportFilters, Catalogue], Table]
    uses_learner: bool = False  # whether the learner filter applies (ReportFilters.learner)
    needs_learner: bool = False  # whether it must be given

    def write(self, session: Session, filters: ReportFilters, catalogue: Catalogue) -> Iterator[str]:
        """The export as CSV lines, header first."""
        return csv_lines(*self.table(session, filters, catalogue))

    def write_xlsx(self, session: Session, filters: ReportFilters, catalogue: Catalogue, target) -> int:
        """The export as a workbook written into the binary file `target`; the number of rows."""
        header, rows = self.table(session, filters, catalogue)
        return write_xlsx(header, rows, target, title=self.name)

    def filename(self, day: date, extension: str = "csv") -> str:
        """The server-chosen download name, e.g. completions-2026-11-21.csv."""
        return f"{self.name}-{day.isoformat()}.{extension}"


def _evaluation_table(session: Session, filters: ReportFilters, catalogue: Catalogue) -> Table:
    """A report for one course known to the catalogue gets a column per item of its evaluation form."""
    course = catalogue.courses.get(filters.course) if filters.course else None
    return evaluations_table(session, filters, course.evaluation if course else ())


EXPORTS = {export.name: export for export in (
    Export("completions", "Completions", lambda session, filters, _catalogue: count_completions(session, filters),
           lambda session, filters, catalogue: completions_table(session, filters, catalogue.provider)),
    Export("evaluations", "Evaluation responses",
           lambda session, filters, _catalogue: count_evaluations(session, filters), _evaluation_table),
)}
