"""Reading progress through a course's modules."""
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .catalogue import Course
from .models import ModuleRead


# Run on every module and course page; built once (see course/database.py: prebuilt statements).
_MODULES_READ = select(ModuleRead.module_id).where(
    ModuleRead.user_id == bindparam("user_id"), ModuleRead.course_slug == bindparam("course_slug")
)
_MODULE_READ = select(ModuleRead.id).where(
    ModuleRead.user_id == bindparam("user_id"), ModuleRead.course_slug == bindparam("course_slug"),
    ModuleRead.module_id == bindparam("module_id"),
)


def record_module_read(session: Session, user_id: int, course_slug: str, module_id: str) -> bool:
    """Record that the learner opened a module; True the first time, False after that."""
    exists = session.scalar(_MODULE_READ, {"user_id": user_id, "course_slug": course_slug, "module_id": module_id})
    if exists:
        return False
    try:
        with session.begin_nested():
            session.add(ModuleRead(user_id=user_id, course_slug=course_slug, module_id=module_id))
    except IntegrityError:  # the same learner opened it in another tab at the same moment
        return False
    return True


def modules_read(session: Session, user_id: int, course_slug: str) -> set[str]:
    return set(session.scalars(_MODULES_READ, {"user_id": user_id, "course_slug": course_slug}))


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

    def objective_read(self, objective_id: str) -> bool:
        return any(m.read for m in self.modules if m.objective == objective_id)


def course_progress(course: Course, read: set[str]) -> CourseProgress:
    return CourseProgress(
        tuple(ModuleProgress(m.id, m.title, m.objective, m.id in read) for m in course.modules)
    )
