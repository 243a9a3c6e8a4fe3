"""Completion reports and exports for administrators (reporting to regulators is in batches.py and files.py).

Every export is a table (reports.tables: a header and an iterator of rows) read by one SQL
statement, written as CSV lines or an XLSX workbook in constant memory whatever the number of
rows:

- the statement is executed with `yield_per` (a server-side cursor on PostgreSQL; SQLite steps
  through its cursor) and read a chunk at a time; nothing accumulates across chunks;
- what a row needs from other tables comes with it, computed by the database: whether the
  evaluation was submitted (EXISTS), the learner's licences, their numbers per state and best
  passed scores (ordered string aggregates: `group_concat` on SQLite, `string_agg` on
  PostgreSQL, see `_joined_per`), never a query per row or per chunk;
- the completions export's cells are text made in SQL (dates, amounts without trailing zeros,
  scores rounded half to even as Python's `round` does), so Python only writes them.

Spreadsheet formula injection: the one writer (reports.tables) neutralises every cell of every
export, whatever made it.
"""
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal

from sqlalchemy import ColumnElement, Row, Select, String, Subquery, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session, aliased

from accounts.models import Licence, User
from course.content.model import Catalogue, EvaluationItem, Provider
from course.core.clock import start_of_day
from course.core.filters import calendar_day
from credits.models import Certificate, EvaluationResponse
from quizzes.models import QuizAttempt

from .tables import Table, csv_lines, write_xlsx

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


def completed_certificates(filters: ReportFilters) -> Select:
    """Certificates matching `filters` (every status) with their learners, by completion date: the report page's rows."""
    query = (
        select(
            Certificate.id, Certificate.user_id, Certificate.learner_name, User.email, User.profession,
            Certificate.course_slug, Certificate.completion_date, Certificate.approval_body,
            Certificate.approval_id, Certificate.amount, Certificate.unit, Certificate.code, Certificate.status,
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
ISSUE_DATE = COMPLETION_COLUMNS.index("issue_date")
SEPARATOR = "; "  # between the licences, and between the objectives' scores, in one cell


def _joined_per(dialect: str, rows: Select, keys: int) -> Subquery:
    """`rows` (key columns, a text value, then what orders it) grouped by the keys, the values joined by SEPARATOR.

    PostgreSQL orders inside `string_agg`. SQLite's `group_concat` (before 3.44, no ORDER BY of
    its own) joins in the order it reads, so it reads a subquery ordered by the keys, then the
    order: grouped by the keys, that order is kept within each group.
    """
    columns = list(rows.selected_columns)
    key_columns, value, order = columns[:keys], columns[keys], columns[keys + 1:]
    if dialect == "postgresql":
        listed = rows.subquery()
        keyed = [listed.c[column.name] for column in key_columns]
        joined = func.string_agg(listed.c[value.name], aggregate_order_by(
            literal(SEPARATOR), *(listed.c[column.name] for column in order)))
    else:
        listed = rows.order_by(*key_columns, *order).subquery()
        keyed = [listed.c[column.name] for column in key_columns]
        joined = func.group_concat(listed.c[value.name], SEPARATOR)
    return select(*keyed, joined.label("joined")).group_by(*keyed).subquery()


def _as_text(dialect: str, column: ColumnElement) -> ColumnElement[str]:
    """A date as YYYY-MM-DD, an amount as `format_amount` writes it (1.2500 -> 1.25, 1.0000 -> 1)."""
    if dialect == "postgresql":
        if column.type.python_type is date:
            return func.to_char(column, "YYYY-MM-DD")
        return cast(func.trim_scale(column), String)
    # SQLite keeps dates as YYYY-MM-DD text, and a NUMERIC amount as an integer when it is whole.
    return cast(column, String)


def _rounded_percent(score, total) -> ColumnElement[int]:
    """round(100 * score / total) in integers, half to even like Python's round (62.5 -> 62, 87.5 -> 88)."""
    whole, rest = (100 * score) // total, (100 * score) % total
    return whole + case((2 * rest > total, 1), (2 * rest == total, whole % 2), else_=0)


def licence_states(session: Session, filters: ReportFilters) -> list[str]:
    """The states in which learners with a certificate matching `filters` hold licences, for the per-state columns."""
    held = aliased(Licence)  # not the Licence of the state filter's EXISTS
    query = (select(held.state).distinct().join(User, User.id == held.user_id)
             .join(Certificate, Certificate.user_id == User.id).order_by(held.state))
    return list(session.scalars(_certificate_filters(query, filters)))


def _licences_per_learner(dialect: str, states: Sequence[str]) -> Subquery:
    """Per learner, in one pass over the licences: every licence ("NY 123; CA 456") as `joined`, and the
    numbers held in each of `states` as a column named by the state."""
    listed = select(Licence.user_id, Licence.state, Licence.number, Licence.id).subquery()
    if dialect != "postgresql":  # group_concat joins in the order it reads (see _joined_per)
        listed = select(listed).order_by(listed.c.user_id, listed.c.id).subquery()

    def joined(value: ColumnElement[str]) -> ColumnElement[str]:
        if dialect == "postgresql":
            return func.string_agg(value, aggregate_order_by(literal(SEPARATOR), listed.c.id))
        return func.group_concat(value, SEPARATOR)

    return select(
        listed.c.user_id, joined(listed.c.state + " " + listed.c.number).label("joined"),
        *(joined(case((listed.c.state == state, listed.c.number))).label(state) for state in states),
    ).group_by(listed.c.user_id).subquery()


def _issue_day(dialect: str, zone: tzinfo | None) -> ColumnElement[str]:
    """The issue date as the provider's calendar day, YYYY-MM-DD, made by PostgreSQL; SQLite has no time
    zones, so there it is the stored UTC timestamp as text, made a day by `_issue_day_in_python`."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(str(zone or UTC), Certificate.issued_at), "YYYY-MM-DD")
    return cast(Certificate.issued_at, String)


def _issue_day_in_python(stored: str, zone: tzinfo | None) -> str:
    return calendar_day(datetime.fromisoformat(stored), zone).isoformat()


def completions_query(filters: ReportFilters, dialect: str, states: Sequence[str] = (),
                      provider_numbers: dict[str, str] | None = None, zone: tzinfo | None = None) -> Select:
    """The completions export in one statement: a row of text cells (COMPLETION_COLUMNS, then one
    per state of `states`) per certificate.

    Every status, by completion date; `dialect` is the database's (`session.bind.dialect.name`).
    Licences and best scores are aggregated once per learner (and course) and joined, as a
    reporting query would be written by hand. `provider_numbers` maps approval ids to the
    provider's number with that body (provider.yaml); `zone` is the provider's, for the issue
    date (see `_issue_day`).
    """
    licences = _licences_per_learner(dialect, states)
    best = (
        select(QuizAttempt.user_id, QuizAttempt.course_slug, QuizAttempt.objective_id,
               func.max(_rounded_percent(QuizAttempt.score, QuizAttempt.total)).label("best"))
        .where(QuizAttempt.passed.is_(True))
        .group_by(QuizAttempt.user_id, QuizAttempt.course_slug, QuizAttempt.objective_id)
        .subquery()
    )
    scores = _joined_per(dialect, select(
        best.c.user_id, best.c.course_slug, (best.c.objective_id + ": " + cast(best.c.best, String)).label("entry"),
        best.c.objective_id), keys=2)
    cells = (
        Certificate.learner_name, User.email, func.coalesce(User.profession, ""),
        func.coalesce(licences.c.joined, ""), Certificate.course_slug, _as_text(dialect, Certificate.completion_date),
        func.coalesce(scores.c.joined, ""), case((EvaluationResponse.id.is_(None), "no"), else_="yes"),
        Certificate.approval_body, Certificate.approval_id, _as_text(dialect, Certificate.amount), Certificate.unit,
        Certificate.code, Certificate.status, Certificate.course_title, _issue_day(dialect, zone),
        func.coalesce(Certificate.approval_number, ""),
        case(provider_numbers, value=Certificate.approval_id, else_="") if provider_numbers else literal(""),
        func.coalesce(_as_text(dialect, Certificate.pharmacology_hours), ""),
        *(func.coalesce(licences.c[state], "") for state in states),
    )
    names = (*COMPLETION_COLUMNS, *(f"licence_{state}" for state in states))
    query = (
        select(*(cell.label(name) for name, cell in zip(names, cells, strict=True)))
        .join_from(Certificate, User, User.id == Certificate.user_id)
        .outerjoin(licences, licences.c.user_id == Certificate.user_id)
        .outerjoin(scores, (scores.c.user_id == Certificate.user_id) & (scores.c.course_slug == Certificate.course_slug))
        .outerjoin(EvaluationResponse, (EvaluationResponse.user_id == Certificate.user_id)
                   & (EvaluationResponse.course_slug == Certificate.course_slug))
        .order_by(Certificate.completion_date, Certificate.id)
    )
    return _certificate_filters(query, filters)


def completions_table(session: Session, filters: ReportFilters, provider: Provider | None = None, *,
                      batch_size: int = BATCH_SIZE) -> Table:
    """The completions export: one row per certificate of any status (see COMPLETION_COLUMNS).

    `learner` is the name printed on the certificate; email, profession and licences are the
    learner's profile now. `objective_scores` holds the best passed score per objective. The issue
    date is the provider's calendar day; `provider_number` is the provider's number with the body
    where it reports through CE Broker; `licence_XX` holds the learner's licence numbers in XX.
    """
    states = licence_states(session, filters)
    numbers = {approval.id: approval.ce_broker.provider_number
               for approval in (provider.approvals.values() if provider else ()) if approval.ce_broker}
    zone = provider.zone if provider else None
    dialect = session.get_bind().dialect.name
    query = completions_query(filters, dialect, states, numbers, zone)
    header = (*COMPLETION_COLUMNS, *(f"licence_{state}" for state in states))

    def rows() -> Iterator[Sequence[str]]:
        for chunk in streamed_chunks(session, query, batch_size):
            if dialect == "postgresql":
                yield from chunk
                continue
            for row in chunk:
                cells = list(row)
                cells[ISSUE_DATE] = _issue_day_in_python(cells[ISSUE_DATE], zone)
                yield cells

    return header, rows()


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
