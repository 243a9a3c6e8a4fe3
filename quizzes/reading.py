"""Reading progress: which modules a learner has opened. Opening an objective's module unlocks its quiz."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from course.content.model import Course
from course.core.clock import utcnow
from course.core.extensions import db


class ModuleRead(db.Model):
    """A learner opened a module; recorded once, the first time."""

    __tablename__ = "module_reads"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug", "module_id", name="uq_module_reads_user_module"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(100))
    module_id: Mapped[str] = mapped_column(String(100))
    first_read_at: Mapped[datetime] = mapped_column(default=utcnow)


def record_module_read(session: Session, user_id: int, course_slug: str, module_id: str) -> bool:
    """Record that the learner opened a module; True the first time, False after that."""
    if module_was_read(session, user_id, course_slug, module_id):
        return False
    try:
        with session.begin_nested():
            session.add(ModuleRead(user_id=user_id, course_slug=course_slug, module_id=module_id))
    except IntegrityError:  # the same learner opened it in another tab at the same moment
        return False
    return True


def module_was_read(session: Session, user_id: int, course_slug: str, module_id: str) -> bool:
    return session.scalar(select(select(ModuleRead.id).where(
        ModuleRead.user_id == user_id, ModuleRead.course_slug == course_slug, ModuleRead.module_id == module_id,
    ).exists())) or False


def modules_read(session: Session, user_id: int, course_slug: str) -> set[str]:
    return set(session.scalars(
        select(ModuleRead.module_id).where(ModuleRead.user_id == user_id, ModuleRead.course_slug == course_slug)
    ))


@dataclass(frozen=True)
class ModuleProgress:
    module_id: str
    title: str
    objective: str | None
    read: bool


@dataclass(frozen=True)
class CourseProgress:
    modules: tuple[ModuleProgress, ...]

    @property
    def read_count(self) -> int:
        return sum(m.read for m in self.modules)

    @property
    def percent(self) -> int:
        return round(100 * self.read_count / len(self.modules)) if self.modules else 0


def course_progress(course: Course, read: set[str]) -> CourseProgress:
    return CourseProgress(
        tuple(ModuleProgress(m.id, m.title, m.objective, m.id in read) for m in course.modules)
    )
