"""What administrators change about a learner's quizzes: extra attempts, resets, completions recorded by hand.

Each change is audited in the same transaction. Functions flush; the caller commits.
"""
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.audit import record_audit
from accounts.models import User
from course.content.model import Course

from .attempts import QuizRefused, completion_for
from .models import CourseCompletion, QuizAllowance, QuizAttempt

# A completion recorded by hand is dated at noon UTC of the day given, the middle of the day
# in the time zones of the Americas and Europe, so the day shown is the day the administrator typed.
HAND_RECORDED_HOUR = time(12, tzinfo=UTC)


class SupportRefused(QuizRefused):
    def __init__(self, message: str, status: int = 422):
        super().__init__(message, status)


def allowance_for(session: Session, user_id: int, course_slug: str, objective_id: str) -> QuizAllowance | None:
    return session.scalar(select(QuizAllowance).where(
        QuizAllowance.user_id == user_id, QuizAllowance.course_slug == course_slug,
        QuizAllowance.objective_id == objective_id,
    ))


def _allowance(session: Session, user_id: int, course_slug: str, objective_id: str) -> QuizAllowance:
    """The learner's allowance row for the objective, made if missing (two admins racing meet the unique constraint)."""
    allowance = allowance_for(session, user_id, course_slug, objective_id)
    if allowance is None:
        try:
            with session.begin_nested():
                allowance = QuizAllowance(user_id=user_id, course_slug=course_slug, objective_id=objective_id,
                                          extra_attempts=0, counted_after=0)
                session.add(allowance)
        except IntegrityError:
            allowance = allowance_for(session, user_id, course_slug, objective_id)
    return allowance


def _check(course: Course, objective_id: str, reason: str) -> str:
    if all(objective.id != objective_id for objective in course.objectives):
        raise SupportRefused("That course has no such objective.", 404)
    reason = (reason or "").strip()
    if not reason:
        raise SupportRefused("Give the reason.")
    return reason


def grant_extra_attempt(session: Session, *, user: User, course: Course, objective_id: str, reason: str,
                        actor: User | None, via: str, now: datetime) -> QuizAllowance:
    """One more attempt than the course allows, for this learner and objective."""
    reason = _check(course, objective_id, reason)
    allowance = _allowance(session, user.id, course.slug, objective_id)
    allowance.extra_attempts += 1
    session.flush()
    record_audit(session, actor, "quiz_extra_attempt", target_type="user", target_id=user.id, now=now, details={
        "course": course.slug, "objective": objective_id, "extra_attempts": allowance.extra_attempts,
        "reason": reason, "via": via})
    return allowance


def reset_attempts(session: Session, *, user: User, course: Course, objective_id: str, reason: str,
                   actor: User | None, via: str, now: datetime) -> QuizAllowance:
    """Start the learner's count afresh: the attempts so far stay on record but no longer count or make them wait."""
    reason = _check(course, objective_id, reason)
    last = session.scalar(select(func.max(QuizAttempt.number)).where(
        QuizAttempt.user_id == user.id, QuizAttempt.course_slug == course.slug,
        QuizAttempt.objective_id == objective_id, QuizAttempt.status == "submitted")) or 0
    allowance = _allowance(session, user.id, course.slug, objective_id)
    allowance.counted_after, allowance.extra_attempts = last, 0
    session.flush()
    record_audit(session, actor, "quiz_reset", target_type="user", target_id=user.id, now=now, details={
        "course": course.slug, "objective": objective_id, "attempts_set_aside": last, "reason": reason, "via": via})
    return allowance


def record_completion_by_hand(session: Session, *, user: User, course: Course, completed_on: date, reason: str,
                              actor: User | None, via: str, now: datetime) -> CourseCompletion:
    """Record that the learner completed the course on `completed_on` outside the platform (e.g. on paper)."""
    reason = (reason or "").strip()
    if not reason:
        raise SupportRefused("Give the reason for recording the completion by hand.")
    if completed_on > now.date():
        raise SupportRefused("The completion date cannot be in the future.")
    if completion_for(session, user.id, course.slug) is not None:
        raise SupportRefused(f"{user.name} has already completed {course.title}.", 409)
    completion = CourseCompletion(user_id=user.id, course_slug=course.slug, content_version=course.version,
                                  completed_at=datetime.combine(completed_on, HAND_RECORDED_HOUR),
                                  recorded_reason=reason)
    try:
        with session.begin_nested():
            session.add(completion)
    except IntegrityError as error:  # the learner's last quiz was passed at the same moment
        raise SupportRefused(f"{user.name} has already completed {course.title}.", 409) from error
    record_audit(session, actor, "completion_by_hand", target_type="user", target_id=user.id, now=now, details={
        "course": course.slug, "completed_on": completed_on.isoformat(), "reason": reason, "via": via})
    return completion
