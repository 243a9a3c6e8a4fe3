"""Completion reports and exports for administrators (reporting to regulators is in batches.py and files.py).

Each export is one SQL statement, streamed in constant memory whatever the number of rows:

- the statement is executed with `yield_per` (a server-side cursor on PostgreSQL; SQLite steps
  through its cursor) and read a chunk at a time; each chunk goes to `csv.writer.writerows`
  as one piece of text, and nothing accumulates across chunks;
- what a row needs from other tables comes with it, computed by the database: whether the
  evaluation was submitted (EXISTS), the learner's licences and best passed scores (ordered
  string aggregates in correlated subqueries: `group_concat` on SQLite, `string_agg` on
  PostgreSQL, see `_joined`);
- the completions export's cells are text made in SQL (dates, amounts without trailing zeros,
  scores rounded half to even as Python's `round` does), so Python only writes them.

Spreadsheet formula injection: every cell of every export is neutralised, which puts an
apostrophe before a leading =, +, -, @, tab or carriage return (OWASP's advice for CSV
injection): in SQL for the completions export (`_neutralised`), in Python (`neutralise`) where a
cell is made in Python. It applies to every cell alike, numbers included: amounts and dates
never start with those characters, so no real value is altered, and no column can be forgotten.
"""
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
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

BATCH_SIZE = 1000
FORMULA_TRIGGERS = frozenset("=+-@\t\r")  # what a spreadsheet may read as the start of a formula
LINE_END = "\r\n"  # RFC 4180; the tab-delimited PARS upload uses the same


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

    def as_details(self) -> dict[str, str]:
        """The filters that are set, as text (for the audit trail)."""
        return {name: value.isoformat() if isinstance(value, date) else value
                for name, value in asdict(self).items() if value is not None}


# An export's header and its rows, a chunk (a list of rows of text cells) at a time.
Table = tuple[Sequence[str], Iterator[Sequence[Sequence[str]]]]


def neutralise(cell: str) -> str:
    """Make a cell that a spreadsheet would read as a formula read as text instead."""
    return "'" + cell if cell[:1] in FORMULA_TRIGGERS else cell


def csv_text(header: Sequence[str], chunks: Iterable[Iterable[Sequence[str]]]) -> Iterator[str]:
    """RFC 4180 text (quoted where needed, CRLF): the header line, then one piece per chunk of rows.

    The cells must already be neutralised.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=LINE_END)
    writer.writerow(header)
    yield buffer.getvalue()
    for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(chunk)
        yield buffer.getvalue()


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
BYTE_ORDER_MARK = "\ufeff"  # the completions CSV starts with one, so Excel reads it as UTF-8
SEPARATOR = "; "  # between the licences, and between the objectives' scores, in one cell


def _neutralised(cell: ColumnElement[str]) -> ColumnElement[str]:
    """`neutralise`, in SQL."""
    return case((func.substr(cell, 1, 1).in_(sorted(FORMULA_TRIGGERS)), literal("'") + cell), else_=cell)


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


def _state_numbers(dialect: str, states: Sequence[str]) -> Subquery:
    """Per learner, the licence numbers held in each of `states` (joined by SEPARATOR), as columns named by state."""
    ordered = select(Licence.user_id, Licence.state, Licence.number, Licence.id).subquery()
    if dialect != "postgresql":  # group_concat joins in the order it reads (see _joined_per)
        ordered = select(ordered).order_by(ordered.c.user_id, ordered.c.id).subquery()
    columns = []
    for state in states:
        number = case((ordered.c.state == state, ordered.c.number))
        joined = (func.string_agg(number, aggregate_order_by(literal(SEPARATOR), ordered.c.id))
                  if dialect == "postgresql" else func.group_concat(number, SEPARATOR))
        columns.append(joined.label(state))
    return select(ordered.c.user_id, *columns).group_by(ordered.c.user_id).subquery()


def completions_query(filters: ReportFilters, dialect: str, states: Sequence[str] = (),
                      provider_numbers: dict[str, str] | None = None) -> Select:
    """The completions export in one statement: a row of text cells (COMPLETION_COLUMNS, then one
    per state of `states`) per certificate.

    Every status, by completion date; `dialect` is the database's (`session.bind.dialect.name`).
    Licences and best scores are aggregated once per learner (and course) and joined, as a
    reporting query would be written by hand. `provider_numbers` maps approval ids to the
    provider's number with that body (provider.yaml). The issue date comes as the stored
    timestamp: it is written as the provider's calendar day in Python (`completions_table`),
    since SQLite has no time zones.
    """
    licences = _joined_per(dialect, select(
        Licence.user_id, (Licence.state + " " + Licence.number).label("entry"), Licence.id), keys=1)
    per_state = _state_numbers(dialect, states) if states else None
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
        Certificate.code, Certificate.status, Certificate.course_title, Certificate.issued_at,
        func.coalesce(Certificate.approval_number, ""),
        case(provider_numbers, value=Certificate.approval_id, else_="") if provider_numbers else literal(""),
        func.coalesce(_as_text(dialect, Certificate.pharmacology_hours), ""),
        *(func.coalesce(per_state.c[state], "") for state in states),
    )
    names = (*COMPLETION_COLUMNS, *(f"licence_{state}" for state in states))
    query = (
        select(*((cell if name == "issue_date" else _neutralised(cell)).label(name)
                 for name, cell in zip(names, cells, strict=True)))
        .join_from(Certificate, User, User.id == Certificate.user_id)
        .outerjoin(licences, licences.c.user_id == Certificate.user_id)
        .outerjoin(scores, (scores.c.user_id == Certificate.user_id) & (scores.c.course_slug == Certificate.course_slug))
        .outerjoin(EvaluationResponse, (EvaluationResponse.user_id == Certificate.user_id)
                   & (EvaluationResponse.course_slug == Certificate.course_slug))
        .order_by(Certificate.completion_date, Certificate.id)
    )
    if per_state is not None:
        query = query.outerjoin(per_state, per_state.c.user_id == Certificate.user_id)
    return _certificate_filters(query, filters)


def completions_csv(session: Session, filters: ReportFilters, provider: Provider | None = None, *,
                    batch_size: int = BATCH_SIZE) -> Iterator[str]:
    """The completions CSV: a header, then one line per certificate of any status (see COMPLETION_COLUMNS).

    `learner` is the name printed on the certificate; email, profession and licences are the
    learner's profile now. `objective_scores` holds the best passed score per objective;
    `licence_XX` the learner's licence numbers in that state. UTF-8 with a byte-order mark and
    CRLF line ends, as Excel expects.
    """
    header, chunks = completions_table(session, filters, provider, batch_size=batch_size)
    pieces = csv_text(header, chunks)
    yield BYTE_ORDER_MARK + next(pieces)
    yield from pieces


def completions_table(session: Session, filters: ReportFilters, provider: Provider | None = None, *,
                      batch_size: int = BATCH_SIZE) -> Table:
    states = licence_states(session, filters)
    numbers = {approval.id: approval.ce_broker.provider_number
               for approval in (provider.approvals.values() if provider else ()) if approval.ce_broker}
    query = completions_query(filters, session.get_bind().dialect.name, states, numbers)
    header = (*COMPLETION_COLUMNS, *(f"licence_{state}" for state in states))

    def with_issue_day(chunk: Sequence[Row]) -> list[list[str]]:
        rows = []
        for row in chunk:
            cells = list(row)
            cells[ISSUE_DATE] = calendar_day(cells[ISSUE_DATE]).isoformat()
            rows.append(cells)
        return rows

    return header, (with_issue_day(chunk) for chunk in streamed_chunks(session, query, batch_size))


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
    """The evaluation responses CSV: one line per response.

    With `items` (the course's evaluation form, passed when the report is for one course) each
    item gets a column named by its id, and answers to items no longer on the form go to a
    last `other_answers` column as JSON. Without, one `answers` column holds every
    item id -> answer pair as JSON.
    """
    return csv_text(*evaluations_table(session, filters, items, batch_size=batch_size))


def evaluations_table(
    session: Session, filters: ReportFilters, items: Sequence[EvaluationItem] = (), *, batch_size: int = BATCH_SIZE,
) -> Table:
    """The rows of `evaluations_csv`: one statement; the answers (JSON) are spread into cells in Python."""
    item_ids = [item.id for item in items]
    header = EVALUATION_COLUMNS + ((*item_ids, "other_answers") if item_ids else ("answers",))

    def cells(name: str, email: str, course: str, submitted_at: datetime, answers: dict) -> list[str]:
        row = [name, email, course, calendar_day(submitted_at).isoformat()]
        if item_ids:
            row += [str(answers.get(item_id, "")) for item_id in item_ids]
            row.append(_answers_json({k: v for k, v in answers.items() if k not in item_ids}))
        else:
            row.append(_answers_json(answers))
        return [neutralise(cell) for cell in row]

    chunks = streamed_chunks(session, _evaluations_query(filters), batch_size)
    return header, ([cells(*row) for row in chunk] for chunk in chunks)


# --- What the browser and the command line need to offer each export ---------------------


@dataclass(frozen=True)
class Export:
    """One export. `table` gives its header and its rows a chunk at a time; `catalogue` is called
    only by an export that needs the content (the evaluation form's items)."""

    name: str
    title: str
    extension: str
    media_type: str
    count: Callable[[Session, ReportFilters], int]  # rows the export will have, for progress bars
    table: Callable[[Session, ReportFilters, Callable[[], Catalogue]], Table]
    bom: bool = False

    def filename(self, day: date) -> str:
        """The server-chosen download name, e.g. completions-2026-11-21.csv."""
        return f"{self.name}-{day.isoformat()}.{self.extension}"

    def write(self, session: Session, filters: ReportFilters, catalogue: Callable[[], Catalogue]) -> Iterator[str]:
        """The export's text: the header line (after a byte-order mark where `bom`), then one piece per chunk of rows."""
        pieces = csv_text(*self.table(session, filters, catalogue))
        if self.bom:
            yield BYTE_ORDER_MARK + next(pieces)
        yield from pieces


def _evaluation_table(session: Session, filters: ReportFilters, catalogue: Callable[[], Catalogue]) -> Table:
    """A report for one course known to the catalogue gets a column per item of its evaluation form."""
    course = catalogue().courses.get(filters.course) if filters.course else None
    return evaluations_table(session, filters, course.evaluation if course else ())


EXPORTS = {export.name: export for export in (
    Export("completions", "Completions (CSV)", "csv", "text/csv; charset=utf-8", count_completions,
           lambda session, filters, catalogue: completions_table(session, filters, catalogue().provider), bom=True),
    Export("evaluations", "Evaluation responses (CSV)", "csv", "text/csv; charset=utf-8", count_evaluations,
           _evaluation_table),
)}
