"""Starting, submitting and summarising quiz attempts. Functions flush; the caller commits."""
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.catalogue import Course
from course.progress import modules_read

from .models import CourseCompletion, QuizAttempt
from .rules import Grade, draw_questions, grade, read_answers, retake_refusal


# Statements run on every course, quiz or submission request; built once (see
# course/database.py: prebuilt statements).
_LEARNER_COURSE = (QuizAttempt.user_id == bindparam("user_id"), QuizAttempt.course_slug == bindparam("course_slug"))
_OPEN_ATTEMPT = select(QuizAttempt).where(
    *_LEARNER_COURSE, QuizAttempt.objective_id == bindparam("objective_id"), QuizAttempt.status == "open"
)
_BEST_PASSED_SCORES = (
    select(QuizAttempt.objective_id, func.max(100.0 * QuizAttempt.score / QuizAttempt.total))
    .where(*_LEARNER_COURSE, QuizAttempt.passed.is_(True))
    .group_by(QuizAttempt.objective_id)
)
_COMPLETION = select(CourseCompletion).where(
    CourseCompletion.user_id == bindparam("user_id"), CourseCompletion.course_slug == bindparam("course_slug")
)
_OBJECTIVE_COUNTS_AND_BEST_SCORES = (
    select(
        QuizAttempt.objective_id,
        func.sum(case((QuizAttempt.status == "submitted", 1), else_=0)),
        func.max(case((QuizAttempt.passed.is_(True), 100.0 * QuizAttempt.score / QuizAttempt.total))),
    )
    .where(*_LEARNER_COURSE)
    .group_by(QuizAttempt.objective_id)
)


class QuizRefused(Exception):
    """The learner may not do this now; the message says why, `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.message = message
        self.status = status


def quiz_refusal(session: Session, user_id: int, course: Course, objective_id: str) -> str | None:
    """Why the learner may not open this objective's quiz at all, or None."""
    module = course.module_for_objective(objective_id)
    if module is None or objective_id not in course.banks:
        return "This course has no quiz for that objective."
    if module.id not in modules_read(session, user_id, course.slug):
        return f"Read the module “{module.title}” first: its quiz opens once you have opened it."
    return None


def open_attempt(session: Session, user_id: int, course: Course, objective_id: str) -> QuizAttempt | None:
    return session.scalar(_OPEN_ATTEMPT, {"user_id": user_id, "course_slug": course.slug, "objective_id": objective_id})


def attempts_for(session: Session, user_id: int, course_slug: str, objective_id: str | None = None) -> list[QuizAttempt]:
    query = select(QuizAttempt).where(QuizAttempt.user_id == user_id, QuizAttempt.course_slug == course_slug)
    if objective_id is not None:
        query = query.where(QuizAttempt.objective_id == objective_id)
    return list(session.scalars(query.order_by(QuizAttempt.objective_id, QuizAttempt.number)))


def start_attempt(
    session: Session, user_id: int, course: Course, objective_id: str, now: datetime,
    draw: Callable[[Course, str], list[dict]] = draw_questions,
) -> QuizAttempt:
    """Return the learner's open attempt for the objective, or draw a new one.

    Raises QuizRefused if the module is unread or a retake limit applies.
    """
    refusal = quiz_refusal(session, user_id, course, objective_id)
    if refusal:
        raise QuizRefused(refusal)
    existing = open_attempt(session, user_id, course, objective_id)
    if existing is not None:
        return existing
    previous = [a for a in attempts_for(session, user_id, course.slug, objective_id) if a.status == "submitted"]
    last_submitted = max((a.submitted_at for a in previous), default=None)
    refusal = retake_refusal(course.quiz, len(previous), last_submitted, now)
    if refusal:
        raise QuizRefused(refusal.message, refusal.status)
    number = 1 + (session.scalar(
        select(func.max(QuizAttempt.number)).where(
            QuizAttempt.user_id == user_id, QuizAttempt.course_slug == course.slug,
            QuizAttempt.objective_id == objective_id,
        )
    ) or 0)
    questions = draw(course, objective_id)
    attempt = QuizAttempt(
        user_id=user_id, course_slug=course.slug, objective_id=objective_id, number=number,
        content_version=course.banks[objective_id].version, questions=questions,
        pass_mark=course.pass_mark, total=len(questions), started_at=now,
    )
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:
        # Another request started an attempt at the same moment; the constraints let one win.
        winner = open_attempt(session, user_id, course, objective_id)
        if winner is None:
            raise
        return winner
    return attempt


@dataclass(frozen=True)
class GradedAttempt:
    """An open attempt's answers, read and graded but not yet recorded."""

    attempt_id: int
    user_id: int
    answers: dict[str, list[str]]
    grade: Grade


@dataclass(frozen=True)
class Submission:
    attempt_id: int
    grade: Grade
    completed_course: bool  # this submission completed the course


def grade_attempt(session: Session, attempt_id: int, user_id: int, submitted: dict[str, list[str]]) -> GradedAttempt:
    """Read and grade the learner's answers to an open attempt; writes nothing.

    Raises AnswerProblems for unreadable answers, QuizRefused when the attempt is not the
    learner's or is already closed.
    """
    attempt = session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != user_id:
        raise QuizRefused("That quiz attempt is not yours.", status=403)
    if attempt.status != "open":
        raise QuizRefused("This attempt was already submitted; its result is recorded once.", status=409)
    answers = read_answers(attempt.questions, submitted)
    return GradedAttempt(attempt.id, user_id, answers, grade(attempt.questions, answers, attempt.pass_mark))


def record_graded_attempt(session: Session, graded: GradedAttempt, course: Course, now: datetime) -> Submission:
    """Close the attempt with its grade, exactly once, and complete the course if this was the last pass.

    Closing is one conditional UPDATE (… WHERE status = 'open'), so of two submissions racing
    on separate connections only one changes the row; the other gets QuizRefused. Nothing here
    relies on what `grade_attempt` read other than the attempt's frozen questions, so the two
    can run in separate transactions (quizzes/views.py holds the write lock only for this one).
    """
    result = graded.grade
    closed = session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == graded.attempt_id, QuizAttempt.user_id == graded.user_id, QuizAttempt.status == "open")
        .values(status="submitted", submitted_at=now, answers=graded.answers, score=result.score, passed=result.passed)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        raise QuizRefused("This attempt was already submitted; its result is recorded once.", status=409)
    loaded = session.identity_map.get(session.identity_key(QuizAttempt, graded.attempt_id))
    if loaded is not None:
        session.expire(loaded)  # the UPDATE bypassed it: read it again when next used
    completed = result.passed and record_completion_if_done(session, graded.user_id, course, now)
    return Submission(graded.attempt_id, result, completed)


def submit_attempt(
    session: Session, attempt_id: int, user_id: int, submitted: dict[str, list[str]], course: Course, now: datetime,
) -> Submission:
    """Grade and close an open attempt, exactly once, in the caller's transaction."""
    return record_graded_attempt(session, grade_attempt(session, attempt_id, user_id, submitted), course, now)


def passed_objectives(session: Session, user_id: int, course_slug: str) -> dict[str, int]:
    """Objective id -> best score (percent) among the learner's passed attempts."""
    rows = session.execute(_BEST_PASSED_SCORES, {"user_id": user_id, "course_slug": course_slug})
    return {objective_id: round(best) for objective_id, best in rows}


def completion_for(session: Session, user_id: int, course_slug: str) -> CourseCompletion | None:
    return session.scalar(_COMPLETION, {"user_id": user_id, "course_slug": course_slug})


def record_completion_if_done(session: Session, user_id: int, course: Course, now: datetime) -> bool:
    """Record the course as completed once every objective's quiz is passed; True if recorded now."""
    passed = passed_objectives(session, user_id, course.slug)
    if any(objective.id not in passed for objective in course.objectives):
        return False
    if completion_for(session, user_id, course.slug) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(CourseCompletion(user_id=user_id, course_slug=course.slug, completed_at=now,
                                         content_version=course.version))
    except IntegrityError:  # recorded by a concurrent submission
        return False
    return True


@dataclass(frozen=True)
class ObjectiveStatus:
    objective_id: str
    text: str
    module_id: str | None
    state: str  # "not started" | "read" | "passed"
    best_score: int | None
    attempts: int


def objective_statuses(session: Session, user_id: int, course: Course, read: set[str]) -> list[ObjectiveStatus]:
    """Where the learner stands on each objective, given the modules they have read (one query)."""
    rows = session.execute(_OBJECTIVE_COUNTS_AND_BEST_SCORES, {"user_id": user_id, "course_slug": course.slug})
    counts, passed = {}, {}
    for objective_id, submitted, best in rows:
        counts[objective_id] = submitted
        if best is not None:
            passed[objective_id] = round(best)
    statuses = []
    for objective in course.objectives:
        module = course.module_for_objective(objective.id)
        if objective.id in passed:
            state = "passed"
        elif module is not None and module.id in read:
            state = "read"
        else:
            state = "not started"
        statuses.append(ObjectiveStatus(
            objective.id, objective.text, module.id if module else None, state, passed.get(objective.id),
            counts.get(objective.id, 0),
        ))
    return statuses


def submitted_answer_sheets(session: Session, course_slug: str, batch_size: int = 1000) -> Iterator[tuple[list, dict]]:
    """(questions snapshot, answers) of every submitted attempt at the course, oldest first.

    One query, streamed `batch_size` rows at a time (a server-side cursor on PostgreSQL), so
    item analysis over many attempts does not hold them all in memory.
    """
    result = session.execute(
        select(QuizAttempt.questions, QuizAttempt.answers)
        .where(QuizAttempt.course_slug == course_slug, QuizAttempt.status == "submitted")
        .order_by(QuizAttempt.id)
        .execution_options(yield_per=batch_size)
    )
    for questions, answers in result:
        yield questions, answers
