"""The course evaluation: reading a learner's answers and storing them, once, after completion.

Functions flush; the caller commits.
"""
import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.content.model import Course, EvaluationItem
from quizzes.attempts import completion_for

from .errors import EvaluationAlreadySubmitted, EvaluationInvalid, NotCompleted
from .models import EvaluationResponse
from .signals import evaluation_completed

TEXT_ANSWER_MAX = 2000
WHOLE_NUMBER_RE = re.compile(r"[+-]?\d{1,9}")
ALREADY_SUBMITTED = "You have already submitted the evaluation for this course."


def evaluation_of(session: Session, user_id: int, course_slug: str) -> EvaluationResponse | None:
    return session.scalar(select(EvaluationResponse).where(
        EvaluationResponse.user_id == user_id, EvaluationResponse.course_slug == course_slug,
    ))


def evaluation_submitted(session: Session, user_id: int, course_slug: str) -> bool:
    return session.scalar(select(select(EvaluationResponse.id).where(
        EvaluationResponse.user_id == user_id, EvaluationResponse.course_slug == course_slug,
    ).exists()))


def check_evaluation_answers(
    items: Iterable[EvaluationItem], raw: Mapping[str, str | None]
) -> tuple[dict[str, str | int], dict[str, str]]:
    """Read the answers to `items` out of `raw` (item id -> text as sent).

    Returns (answers, errors): the valid answers by item id, and a message per item that is
    required but unanswered or whose answer does not fit its type, options or range.
    """
    answers: dict[str, str | int] = {}
    errors: dict[str, str] = {}
    for item in items:
        value = (raw.get(item.id) or "").strip()
        if not value:
            if item.required:
                errors[item.id] = "Answer this question."
            continue
        if item.type in ("rating", "choice"):
            if value in item.choices:
                answers[item.id] = value
            else:
                errors[item.id] = "Choose one of the options."
        elif item.type == "number":
            problem = _number_problem(value, item.minimum, item.maximum)
            if problem:
                errors[item.id] = problem
            else:
                answers[item.id] = int(value)
        elif len(value) > TEXT_ANSWER_MAX:
            errors[item.id] = f"Keep your answer to {TEXT_ANSWER_MAX:,} characters or fewer."
        else:
            answers[item.id] = value
    return answers, errors


def _number_problem(value: str, minimum: int | None, maximum: int | None) -> str | None:
    if not WHOLE_NUMBER_RE.fullmatch(value):
        return "Enter a whole number."
    number = int(value)
    if minimum is not None and maximum is not None and not minimum <= number <= maximum:
        return f"Enter a number from {minimum} to {maximum}."
    if minimum is not None and number < minimum:
        return f"Enter a number of at least {minimum}."
    if maximum is not None and number > maximum:
        return f"Enter a number of at most {maximum}."
    return None


def submit_evaluation(
    session: Session, *, user_id: int, course: Course, raw_answers: Mapping[str, str | None], now: datetime
) -> EvaluationResponse:
    """Store the learner's evaluation, once, after they have completed the course."""
    if completion_for(session, user_id, course.slug) is None:
        raise NotCompleted("Pass every quiz in the course before filling in its evaluation.")
    if evaluation_submitted(session, user_id, course.slug):
        raise EvaluationAlreadySubmitted(ALREADY_SUBMITTED)
    answers, errors = check_evaluation_answers(course.evaluation, raw_answers)
    if errors:
        raise EvaluationInvalid(errors)
    response = EvaluationResponse(
        user_id=user_id, course_slug=course.slug, answers=answers, content_version=course.version, submitted_at=now
    )
    try:
        with session.begin_nested():
            session.add(response)
            session.flush()
    except IntegrityError as error:  # the same evaluation sent twice at once
        raise EvaluationAlreadySubmitted(ALREADY_SUBMITTED) from error
    evaluation_completed.send(response, session=session, course=course)
    return response
