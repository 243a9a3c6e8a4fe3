"""Learner administration: finding accounts and reading a learner's whole record."""
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from accounts.models import BoardId, Licence, User
from course.content.model import Course
from course.core.folding import fold
from credits.evaluation import evaluation_of
from credits.models import Certificate, EvaluationResponse
from quizzes.attempts import ObjectiveStatus, completion_for, objective_statuses
from quizzes.models import CourseCompletion, QuizAttempt
from quizzes.reading import CourseProgress, course_progress, modules_read


def learner_search_query(text: str) -> Select:
    """Accounts whose name, email, a licence number or a board ID contains `text`, by name.

    Name and email are matched folded (any case, with or without accents: `User.search_text`).

    One query: each row carries the account's licences ("NY 123; CA 456") from a correlated
    subquery, so a page of results never costs a query per row.
    """
    licences = (
        select(func.aggregate_strings(Licence.state + " " + Licence.number, "; "))
        .where(Licence.user_id == User.id).correlate(User).scalar_subquery()
    )
    query = select(User.id, User.name, User.email, User.role, User.profession, licences.label("licences"))
    text = text.strip()
    if text:
        query = query.where(or_(
            User.search_text.contains(fold(text), autoescape=True),
            select(Licence.id).where(Licence.user_id == User.id, Licence.number.icontains(text, autoescape=True)).exists(),
            select(BoardId.id).where(BoardId.user_id == User.id, BoardId.number.icontains(text, autoescape=True)).exists(),
        ))
    return query.order_by(User.name, User.id)


@dataclass(frozen=True)
class CourseRecord:
    course: Course
    progress: CourseProgress
    objectives: list[ObjectiveStatus]
    completion: CourseCompletion | None
    evaluation: EvaluationResponse | None


@dataclass(frozen=True)
class LearnerRecord:
    user: User
    courses: list[CourseRecord]
    attempts: list[QuizAttempt]  # every attempt at every course, including open ones
    certificates: list[Certificate]  # every certificate, including revoked and superseded ones


def learner_record(session: Session, user: User, courses: Iterable[Course]) -> LearnerRecord:
    """Everything the platform holds about `user`'s learning, course by course (a few queries per course)."""
    course_records = []
    for course in courses:
        read = modules_read(session, user.id, course.slug)
        course_records.append(CourseRecord(
            course,
            course_progress(course, read),
            objective_statuses(session, user.id, course, read),
            completion_for(session, user.id, course.slug),
            evaluation_of(session, user.id, course.slug),
        ))
    attempts = session.scalars(
        select(QuizAttempt).where(QuizAttempt.user_id == user.id)
        .order_by(QuizAttempt.course_slug, QuizAttempt.objective_id, QuizAttempt.number)
    )
    certificates = session.scalars(
        select(Certificate).where(Certificate.user_id == user.id)
        .order_by(Certificate.course_slug, Certificate.approval_id, Certificate.id)
    )
    return LearnerRecord(user, course_records, list(attempts), list(certificates))
