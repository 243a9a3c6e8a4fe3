"""When a learner has completed a course: the last of passing every quiz and submitting the evaluation.

The accreditors make the evaluation part of completion, so the course is complete, and dated,
only when both are done; until then `Completion.remaining` says what is left.
"""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from course.core.clock import as_utc
from course.core.filters import calendar_day
from quizzes.attempts import completion_for

from .evaluation import evaluation_of

QUIZZES = "quizzes"
EVALUATION = "evaluation"


@dataclass(frozen=True)
class Completion:
    quizzes_passed_at: datetime | None  # when the last quiz was passed
    evaluated_at: datetime | None  # when the evaluation was submitted

    @property
    def quizzes_passed(self) -> bool:
        return self.quizzes_passed_at is not None

    @property
    def evaluated(self) -> bool:
        return self.evaluated_at is not None

    @property
    def remaining(self) -> tuple[str, ...]:
        """QUIZZES and/or EVALUATION, in the order the learner does them; empty once complete."""
        return tuple(step for step, done in ((QUIZZES, self.quizzes_passed), (EVALUATION, self.evaluated)) if not done)

    @property
    def completed_at(self) -> datetime | None:
        if self.remaining:
            return None
        return max(as_utc(self.quizzes_passed_at), as_utc(self.evaluated_at))

    @property
    def completed_on(self) -> date | None:
        return calendar_day(self.completed_at) if self.completed_at else None


def course_completion(session: Session, user_id: int, course_slug: str) -> Completion:
    quizzes = completion_for(session, user_id, course_slug)
    evaluation = evaluation_of(session, user_id, course_slug)
    return Completion(quizzes.completed_at if quizzes else None, evaluation.submitted_at if evaluation else None)
