"""Starting, submitting and summarising quiz attempts. Functions flush; the caller commits."""
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.content.model import Course

from .models import CourseCompletion, QuizAllowance, QuizAttempt, best_passed_percent
from .reading import modules_read
from .rules import Allowance, Grade, QuestionSnapshot, allowance, draw_questions, grade, read_answers
from .signals import quiz_passed


class QuizRefused(Exception):
    """The learner may not do this now; the message says why, `status` is the HTTP status."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.message = message
        self.status = status


ALREADY_SUBMITTED = "This attempt was already submitted; its result is recorded once."


def quiz_refusal(session: Session, user_id: int, course: Course, objective_id: str) -> str | None:
    """Why the learner may not open this objective's quiz at all, or None."""
    module = course.module_for_objective(objective_id)
    if module is None or objective_id not in course.banks:
        return "This course has no quiz for that objective."
    if module.id not in modules_read(session, user_id, course.slug):
        return f"Read the module “{module.title}” first: its quiz opens once you have opened it."
    return None


def open_attempt(session: Session, user_id: int, course: Course, objective_id: str) -> QuizAttempt | None:
    return session.scalar(select(QuizAttempt).where(
        QuizAttempt.user_id == user_id, QuizAttempt.course_slug == course.slug,
        QuizAttempt.objective_id == objective_id, QuizAttempt.status == "open",
    ))


def attempts_for(session: Session, user_id: int, course_slug: str, objective_id: str | None = None) -> list[QuizAttempt]:
    query = select(QuizAttempt).where(QuizAttempt.user_id == user_id, QuizAttempt.course_slug == course_slug)
    if objective_id is not None:
        query = query.where(QuizAttempt.objective_id == objective_id)
    return list(session.scalars(query.order_by(QuizAttempt.objective_id, QuizAttempt.number)))


def attempt_allowance(session: Session, user_id: int, course: Course, objective_id: str, now: datetime) -> Allowance:
    """Attempts left and the retake wait for the learner at this objective's quiz, counting submitted attempts.

    What an administrator allowed (quizzes.support) counts too: extra attempts, and a reset
    after which earlier attempts no longer count.
    """
    granted = session.scalar(select(QuizAllowance).where(
        QuizAllowance.user_id == user_id, QuizAllowance.course_slug == course.slug,
        QuizAllowance.objective_id == objective_id,
    ))
    counted_after = granted.counted_after if granted else 0
    submitted = [a for a in attempts_for(session, user_id, course.slug, objective_id)
                 if a.status == "submitted" and a.number > counted_after]
    last_submitted = max((a.submitted_at for a in submitted), default=None)
    return allowance(course.quiz, len(submitted), last_submitted, now,
                     extra_attempts=granted.extra_attempts if granted else 0)


def start_attempt(
    session: Session, user_id: int, course: Course, objective_id: str, now: datetime,
    draw: Callable[[Course, str], list[QuestionSnapshot]] = draw_questions,
) -> QuizAttempt:
    """Return the learner's open attempt for the objective, or draw a new one.

    Raises QuizRefused if the module is unread or a retake limit applies (see attempt_allowance).
    """
    refusal = quiz_refusal(session, user_id, course, objective_id)
    if refusal:
        raise QuizRefused(refusal)
    existing = open_attempt(session, user_id, course, objective_id)
    if existing is not None:
        return existing
    refusal = attempt_allowance(session, user_id, course, objective_id, now).refusal
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
class Submission:
    attempt_id: int
    grade: Grade
    completed_course: bool  # this submission completed the course


def submit_attempt(
    session: Session, attempt: QuizAttempt, submitted: dict[str, list[str]], course: Course, now: datetime,
) -> Submission:
    """Grade and close the learner's open attempt, exactly once, and complete the course if this was the last pass.

    Raises AnswerProblems for unreadable answers and QuizRefused for an attempt already
    submitted. Closing is one conditional UPDATE (… WHERE status = 'open'), so of two
    submissions racing on separate connections only one changes the row.
    """
    if attempt.status != "open":
        raise QuizRefused(ALREADY_SUBMITTED, status=409)
    answers = read_answers(attempt.questions, submitted)
    result = grade(attempt.questions, answers, attempt.pass_mark)
    closed = session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == "open")
        .values(status="submitted", submitted_at=now, answers=answers, graded=result.right, score=result.score,
                passed=result.passed)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed != 1:
        raise QuizRefused(ALREADY_SUBMITTED, status=409)
    session.expire(attempt)  # the UPDATE bypassed it: read it again when next used
    completed = result.passed and record_completion_if_done(session, attempt.user_id, course, now)
    if result.passed:
        quiz_passed.send(attempt, session=session, course=course, completed_course=completed)
    return Submission(attempt.id, result, completed)


def passed_objectives(session: Session, user_id: int, course_slug: str) -> dict[str, int]:
    """Objective id -> best score (percent) among the learner's passed attempts."""
    rows = session.execute(
        select(QuizAttempt.objective_id, best_passed_percent)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.course_slug == course_slug, QuizAttempt.passed.is_(True))
        .group_by(QuizAttempt.objective_id)
    )
    return {objective_id: round(best) for objective_id, best in rows}


def completion_for(session: Session, user_id: int, course_slug: str) -> CourseCompletion | None:
    return session.scalar(select(CourseCompletion).where(
        CourseCompletion.user_id == user_id, CourseCompletion.course_slug == course_slug,
    ))


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
    rows = session.execute(
        select(QuizAttempt.objective_id, func.sum(case((QuizAttempt.status == "submitted", 1), else_=0)),
               best_passed_percent)
        .where(QuizAttempt.user_id == user_id, QuizAttempt.course_slug == course.slug)
        .group_by(QuizAttempt.objective_id)
    )
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


def submitted_answer_sheets(session: Session, course_slug: str, batch_size: int = 1000) -> Iterator[tuple[list, dict, dict]]:
    """(questions snapshot, answers, graded) of every submitted attempt at the course, oldest first.

    One query, streamed `batch_size` rows at a time (a server-side cursor on PostgreSQL), so
    item analysis over many attempts does not hold them all in memory.
    """
    result = session.execute(
        select(QuizAttempt.questions, QuizAttempt.answers, QuizAttempt.graded)
        .where(QuizAttempt.course_slug == course_slug, QuizAttempt.status == "submitted")
        .order_by(QuizAttempt.id)
        .execution_options(yield_per=batch_size)
    )
    yield from result
