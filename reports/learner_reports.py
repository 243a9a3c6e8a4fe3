"""The reports staff ask for about learners: who is in progress or has not started, who completed
without evaluating or claiming, one learner's quiz responses, and free-text evaluation answers.

Each is a table (reports.tables) read from one statement per course at most, streamed a chunk at
a time like the exports in exports.py, and written as CSV or XLSX by the same writer.
"""
import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from accounts.models import User
from course.content.model import Catalogue, Course
from course.core.filters import calendar_day
from credits.models import Certificate, EvaluationResponse
from quizzes.models import CourseCompletion, QuizAttempt
from quizzes.reading import ModuleRead

from .exports import BATCH_SIZE, Export, ReportFilters, _evaluations_query, _learner_filters, streamed_chunks
from .tables import Table

NOT_STARTED = "not started"
IN_PROGRESS = "in progress"


def _since(column, filters: ReportFilters):
    """The date filters on a timestamp column, as whole UTC days (the way the evaluation export reads them)."""
    conditions = []
    if filters.since:
        conditions.append(column >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        conditions.append(column < datetime.combine(filters.until + timedelta(days=1), time(), UTC))
    return conditions


def _learner(query: Select, filters: ReportFilters) -> Select:
    query = _learner_filters(query, filters)
    if filters.learner:
        query = query.where(User.email == filters.learner.strip().lower())
    return query


def _courses(catalogue: Catalogue, filters: ReportFilters) -> list[Course]:
    courses = sorted(catalogue.courses.values(), key=lambda course: course.title)
    return [course for course in courses if not filters.course or course.slug == filters.course]


# --- Learners in progress or not started, per course ---------------------------------------

PROGRESS_COLUMNS = ("learner", "email", "profession", "course", "state", "modules_read", "modules",
                    "quizzes_passed", "quizzes", "last_activity", "registered_on")


def _progress_query(course: Course, filters: ReportFilters) -> Select:
    """Learner accounts (not deleted) that have not completed `course`, with what they have done in it."""
    read = (select(func.count(ModuleRead.id)).where(ModuleRead.user_id == User.id, ModuleRead.course_slug == course.slug)
            .correlate(User).scalar_subquery())
    last_read = (select(func.max(ModuleRead.first_read_at))
                 .where(ModuleRead.user_id == User.id, ModuleRead.course_slug == course.slug)
                 .correlate(User).scalar_subquery())
    passed = (select(func.count(func.distinct(QuizAttempt.objective_id)))
              .where(QuizAttempt.user_id == User.id, QuizAttempt.course_slug == course.slug,
                     QuizAttempt.passed.is_(True)).correlate(User).scalar_subquery())
    last_attempt = (select(func.max(QuizAttempt.started_at))
                    .where(QuizAttempt.user_id == User.id, QuizAttempt.course_slug == course.slug)
                    .correlate(User).scalar_subquery())
    completed = select(CourseCompletion.id).where(CourseCompletion.user_id == User.id,
                                                  CourseCompletion.course_slug == course.slug).exists()
    query = (select(User.name, User.email, User.profession, User.created_at, read.label("read"),
                    passed.label("passed"), last_read.label("last_read"), last_attempt.label("last_attempt"))
             .where(User.role == "learner", User.deleted_at.is_(None), ~completed, *_since(User.created_at, filters))
             .order_by(User.name, User.id))
    return _learner(query, filters)


def progress_table(session: Session, filters: ReportFilters, catalogue: Catalogue, *,
                   batch_size: int = BATCH_SIZE) -> Table:
    """One row per learner and course not yet completed: "not started" (nothing read, no attempt) or "in progress".

    The dates bound the day the account was registered.
    """
    def rows() -> Iterator[list]:
        for course in _courses(catalogue, filters):
            for chunk in streamed_chunks(session, _progress_query(course, filters), batch_size):
                for name, email, profession, registered, read, passed, last_read, last_attempt in chunk:
                    moments = [moment for moment in (last_read, last_attempt) if moment is not None]
                    state = IN_PROGRESS if moments else NOT_STARTED
                    yield [name, email, profession or "", course.slug, state, read, len(course.modules), passed,
                           len(course.objectives), calendar_day(max(moments)) if moments else None,
                           calendar_day(registered)]

    return PROGRESS_COLUMNS, rows()


def count_progress(session: Session, filters: ReportFilters, catalogue: Catalogue) -> int:
    return sum(session.scalar(select(func.count()).select_from(_progress_query(course, filters).order_by(None)
                                                               .subquery()))
               for course in _courses(catalogue, filters))


# --- Completions without an evaluation or a claim -----------------------------------------

UNFINISHED_COLUMNS = ("learner", "email", "profession", "course", "completed_on", "evaluation_submitted",
                      "valid_certificates", "missing")


def _unfinished_query(filters: ReportFilters) -> Select:
    evaluated = select(EvaluationResponse.id).where(
        EvaluationResponse.user_id == CourseCompletion.user_id,
        EvaluationResponse.course_slug == CourseCompletion.course_slug).exists()
    certificates = (select(func.count(Certificate.id)).where(
        Certificate.user_id == CourseCompletion.user_id, Certificate.course_slug == CourseCompletion.course_slug,
        Certificate.status == "valid").correlate(CourseCompletion).scalar_subquery())
    query = (select(User.name, User.email, User.profession, CourseCompletion.course_slug,
                    CourseCompletion.completed_at, evaluated.label("evaluated"), certificates.label("certificates"))
             .join(User, User.id == CourseCompletion.user_id)
             .where(User.deleted_at.is_(None), ~evaluated | (certificates == 0),
                    *_since(CourseCompletion.completed_at, filters))
             .order_by(CourseCompletion.completed_at, CourseCompletion.id))
    if filters.course:
        query = query.where(CourseCompletion.course_slug == filters.course)
    return _learner(query, filters)


def unfinished_table(session: Session, filters: ReportFilters, _catalogue: Catalogue, *,
                     batch_size: int = BATCH_SIZE) -> Table:
    """Completions whose learner has not submitted the evaluation, or holds no valid certificate for the course."""
    def rows() -> Iterator[list]:
        for chunk in streamed_chunks(session, _unfinished_query(filters), batch_size):
            for name, email, profession, course, completed_at, evaluated, certificates in chunk:
                missing = " and ".join(([] if evaluated else ["evaluation"]) + (["claim"] if not certificates else []))
                yield [name, email, profession or "", course, calendar_day(completed_at), bool(evaluated),
                       certificates, missing]

    return UNFINISHED_COLUMNS, rows()


def count_unfinished(session: Session, filters: ReportFilters, _catalogue: Catalogue) -> int:
    return session.scalar(select(func.count()).select_from(_unfinished_query(filters).order_by(None).subquery()))


# --- One learner's quiz responses -----------------------------------------------------------

RESPONSE_COLUMNS = ("learner", "email", "course", "objective", "attempt", "submitted_at", "score_percent", "passed",
                    "question", "question_text", "answer", "correct_answer", "answered_right")
_TAGS = re.compile(r"<[^>]+>")


def plain_text(fragment: str) -> str:
    """Rendered Markdown (already sanitised) as one line of text."""
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).split())


def _responses_query(filters: ReportFilters) -> Select:
    query = (select(User.name, User.email, QuizAttempt.course_slug, QuizAttempt.objective_id, QuizAttempt.number,
                    QuizAttempt.submitted_at, QuizAttempt.score, QuizAttempt.total, QuizAttempt.passed,
                    QuizAttempt.questions, QuizAttempt.answers, QuizAttempt.graded)
             .join(User, User.id == QuizAttempt.user_id)
             .where(QuizAttempt.status == "submitted", *_since(QuizAttempt.submitted_at, filters))
             .order_by(QuizAttempt.course_slug, QuizAttempt.objective_id, QuizAttempt.number, QuizAttempt.id))
    if filters.course:
        query = query.where(QuizAttempt.course_slug == filters.course)
    return _learner(query, filters)


def responses_table(session: Session, filters: ReportFilters, _catalogue: Catalogue, *,
                    batch_size: int = BATCH_SIZE) -> Table:
    """One row per question of every submitted attempt (of the learner in `filters.learner`): what was asked,
    answered and right, from the attempt's own snapshot (what the learner saw)."""
    def rows() -> Iterator[list]:
        for chunk in streamed_chunks(session, _responses_query(filters), batch_size):
            for (name, email, course, objective, number, submitted_at, score, total, passed, questions, answers,
                 graded) in chunk:
                for question in questions:
                    options = dict((option_id, plain_text(text)) for option_id, text in question["options"])
                    chosen = (answers or {}).get(question["id"], [])
                    yield [name, email, course, objective, number, submitted_at, round(100 * score / total),
                           bool(passed), question["id"], plain_text(question["stem_html"]),
                           "; ".join(options.get(option, option) for option in chosen),
                           "; ".join(options.get(option, option) for option in question["correct"]),
                           bool((graded or {}).get(question["id"]))]

    return RESPONSE_COLUMNS, rows()


def count_responses(session: Session, filters: ReportFilters, _catalogue: Catalogue) -> int:
    attempts = _responses_query(filters).order_by(None).subquery()
    return session.scalar(select(func.coalesce(func.sum(attempts.c.total), 0)))


# --- Free-text evaluation answers -----------------------------------------------------------

COMMENT_COLUMNS = ("learner", "email", "course", "submitted_on", "question", "answer")


def _text_items(catalogue: Catalogue, filters: ReportFilters) -> dict[str, dict[str, str]]:
    """course slug -> {item id: question text} for the free-text items of each course's evaluation."""
    return {course.slug: {item.id: item.text for item in course.evaluation if item.type == "text"}
            for course in _courses(catalogue, filters)}


def comments_table(session: Session, filters: ReportFilters, catalogue: Catalogue, *,
                   batch_size: int = BATCH_SIZE) -> Table:
    """One row per free-text answer given in an evaluation, with the question it answers, oldest first.

    The filters are the evaluation export's (submission day, course, body, profession, state, learner).
    """
    items = _text_items(catalogue, filters)

    def rows() -> Iterator[list]:
        query = _comments_query(filters, items)
        for chunk in streamed_chunks(session, query, batch_size):
            for name, email, course, submitted_at, answers in chunk:
                for item_id, question in items.get(course, {}).items():
                    answer = str(answers.get(item_id, "")).strip()
                    if answer:
                        yield [name, email, course, calendar_day(submitted_at), question, answer]

    return COMMENT_COLUMNS, rows()


def _comments_query(filters: ReportFilters, items: dict[str, dict[str, str]]) -> Select:
    query = _evaluations_query(filters).where(
        EvaluationResponse.course_slug.in_([slug for slug, questions in items.items() if questions]))
    if filters.learner:
        query = query.where(User.email == filters.learner.strip().lower())
    return query


def count_comments(session: Session, filters: ReportFilters, catalogue: Catalogue) -> int:
    """Counted by reading the answers once (in constant memory): which answers are blank is in the JSON."""
    return sum(1 for _ in comments_table(session, filters, catalogue)[1])


LEARNER_EXPORTS = (
    Export("progress", "Learners in progress or not started", count_progress, progress_table, uses_learner=True),
    Export("unfinished", "Completions without an evaluation or a claim", count_unfinished, unfinished_table,
           uses_learner=True),
    Export("quiz-responses", "Quiz responses of one learner", count_responses, responses_table, uses_learner=True,
           needs_learner=True),
    Export("evaluation-comments", "Free-text evaluation answers", count_comments, comments_table, uses_learner=True),
)
