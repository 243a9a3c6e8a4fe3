"""Publishing a draft content folder: check it, copy it over the live folder, record the publication.

Instructors edit a draft folder beside the live one (`CONTENT_DRAFT_DIR`) and preview it on the
instructors' pages; nothing a learner sees changes until the draft is published. A publication
copies the draft's files over the live folder only when the draft passes the check, and keeps
one row per publication naming who published, when, the content hash of the whole folder and
each course's version.
"""
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import JSON, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from course.core.clock import utcnow
from course.core.extensions import db

from .loader import load_catalogue
from .model import Catalogue, Problem


class ContentPublication(db.Model):
    __tablename__ = "content_publications"
    __table_args__ = (Index("ix_content_publications_published_at", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(300))  # "Name <email>" or "os-user@host (command line)"
    content_hash: Mapped[str] = mapped_column(String(64))  # of every file in the published folder
    courses: Mapped[dict] = mapped_column(JSON, default=dict)  # slug -> course version


def folder_hash(root: Path) -> str:
    """SHA-256 of every file's path (relative to `root`) and bytes, in path order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class DraftState:
    catalogue: Catalogue
    content_hash: str
    live_hash: str

    @property
    def errors(self) -> tuple[Problem, ...]:
        return self.catalogue.problems

    @property
    def differs(self) -> bool:
        return self.content_hash != self.live_hash


def read_draft(draft: Path, live: Path) -> DraftState:
    """The draft folder checked and read, with its hash and the live folder's."""
    return DraftState(load_catalogue(draft), folder_hash(draft), folder_hash(live))


class PublishRefused(Exception):
    """The draft cannot be published; the message says why."""


def publish(session: Session, draft: Path, live: Path, published_by: str, now: datetime | None = None) -> ContentPublication:
    """Replace the live folder's files with the draft's and record it; flushes, the caller commits.

    Refused when the draft is missing, fails the check or is what is already live. Each file
    is replaced in one rename, so a worker never reads half a file; one that re-reads the folder
    midway and finds a course inconsistent keeps serving that course's last valid version.
    """
    draft, live = Path(draft), Path(live)
    if not draft.is_dir():
        raise PublishRefused(f"there is no draft folder at {draft}")
    state = read_draft(draft, live)
    if state.errors:
        raise PublishRefused(f"the draft has {len(state.errors)} error(s); fix them first (flask content check --draft)")
    if not state.differs:
        raise PublishRefused("the draft is the same as the live content: nothing to publish")
    _replace_files(draft, live)
    publication = ContentPublication(
        published_at=now or utcnow(), published_by=published_by, content_hash=state.content_hash,
        courses={slug: course.version for slug, course in state.catalogue.courses.items()},
    )
    session.add(publication)
    session.flush()
    return publication


def _replace_files(source: Path, target: Path) -> None:
    """Make `target`'s files those of `source`: each copied beside its place and renamed over it."""
    wanted = {p.relative_to(source) for p in source.rglob("*") if p.is_file()}
    for relative in sorted(wanted):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".publishing-", dir=destination.parent)
        os.close(handle)
        shutil.copyfile(source / relative, temporary)
        os.replace(temporary, destination)
    for path in sorted(target.rglob("*"), reverse=True):
        relative = path.relative_to(target)
        if path.is_file() and relative not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def publications(session: Session, limit: int = 20) -> list[ContentPublication]:
    return list(session.scalars(
        select(ContentPublication).order_by(ContentPublication.published_at.desc(), ContentPublication.id.desc()).limit(limit)
    ))
