"""Quiz attempts and course completions."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, case, func, text
from sqlalchemy.orm import Mapped, mapped_column

from course.core.clock import utcnow
from course.core.extensions import db

from .rules import QuestionSnapshot


class QuizAttempt(db.Model):
    """One draw of questions for one learner and objective.

    `questions` is the snapshot of what was drawn (see quizzes.rules.QuestionSnapshot); the
    correct options never leave the server while the attempt is open. On submission the
    answers, and `graded` (question id -> answered right, as quizzes.rules.grade judged it),
    are stored with it, and everything that shows a result reads them.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug", "objective_id", "number", name="uq_quiz_attempts_number"),
        # At most one open attempt per learner and objective, whatever requests race.
        Index(
            "uq_quiz_attempts_one_open", "user_id", "course_slug", "objective_id", unique=True,
            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"),
        ),
        CheckConstraint("status IN ('open', 'submitted')", name="status"),
        CheckConstraint(
            "(status = 'open' AND submitted_at IS NULL AND score IS NULL AND passed IS NULL) OR "
            "(status = 'submitted' AND submitted_at IS NOT NULL AND score IS NOT NULL AND passed IS NOT NULL)",
            name="result_with_status",
        ),
        # A learner's attempts at a course; with the scores, so counts and best scores per
        # objective are read from the index without the rows' question snapshots.
        Index("ix_quiz_attempts_user_course_scores", "user_id", "course_slug", "objective_id", "passed", "score",
              "total", "status"),
        Index("ix_quiz_attempts_course_status", "course_slug", "status"),  # item analysis, reports
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(100))
    objective_id: Mapped[str] = mapped_column(String(100))
    number: Mapped[int]  # 1 for the learner's first attempt at this objective, then 2...
    content_version: Mapped[str] = mapped_column(String(32))  # hash of the bank drawn from
    questions: Mapped[list[QuestionSnapshot]] = mapped_column(JSON)
    pass_mark: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="open")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    answers: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    graded: Mapped[dict[str, bool] | None] = mapped_column(JSON)
    score: Mapped[int | None]  # questions answered right
    total: Mapped[int]
    passed: Mapped[bool | None]

    @property
    def percent(self) -> int | None:
        return None if self.score is None else round(100 * self.score / self.total)


# An objective's best passed score in percent, as the course page, the quiz page and the
# completion check show it (the completions export writes it rounded, as text made in SQL:
# reports.exports.completions_query).
best_passed_percent = func.max(case((QuizAttempt.passed.is_(True), 100.0 * QuizAttempt.score / QuizAttempt.total)))


class QuizAllowance(db.Model):
    """What an administrator changed about one learner's attempts at one objective's quiz.

    `extra_attempts` adds to the course's max_attempts; attempts numbered `counted_after` or lower
    no longer count against the limit or the wait between attempts (a reset). The attempts
    themselves stay, with their scores.
    """

    __tablename__ = "quiz_allowances"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug", "objective_id", name="uq_quiz_allowances_user_course_objective"),
        CheckConstraint("extra_attempts >= 0", name="extra_attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(100))
    objective_id: Mapped[str] = mapped_column(String(100))
    extra_attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    counted_after: Mapped[int] = mapped_column(default=0, server_default="0")


class CourseCompletion(db.Model):
    """A learner passed every objective's quiz; recorded once, when the last one is passed.

    The course is complete only once the evaluation is submitted too (credits.completion).
    """

    __tablename__ = "course_completions"
    __table_args__ = (UniqueConstraint("user_id", "course_slug", name="uq_course_completions_user_course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(100))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    content_version: Mapped[str] = mapped_column(String(32))
    # Set when an administrator recorded the completion by hand (e.g. after a paper attempt): why.
    recorded_reason: Mapped[str | None] = mapped_column(Text)
