"""The live catalogue: re-read when a content file changes, and the one way a request reaches it."""
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, tzinfo
from pathlib import Path

from flask import Flask, abort, current_app, g

from course.core.clock import set_local_zone

from .loader import load_catalogue
from .model import Catalogue, Course

logger = logging.getLogger(__name__)


def content_fingerprint(root: Path) -> tuple:
    """Cheap signature of every file and folder under `root`: changes when any is edited, added or removed."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        entries.extend((dirpath, dirname, "folder") for dirname in dirnames)
        for filename in sorted(filenames):
            try:
                stat = os.stat(os.path.join(dirpath, filename))
            except FileNotFoundError:
                continue
            entries.append((dirpath, filename, stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


class ContentStore:
    """The catalogue for one content folder, re-read when (and only when) a file changes.

    Looking for changes stats every file, so it is done at most once every `recheck_seconds`
    (production: a couple of seconds; development and tests: on every request).
    """

    def __init__(self, root: Path, recheck_seconds: float = 0.0, clock: Callable[[], float] = time.monotonic,
                 snapshots: Path | None = None):
        self.root = Path(root)
        self.snapshots = Path(snapshots) if snapshots else None
        self.recheck_seconds = recheck_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._fingerprint: tuple | None = None
        self._catalogue: Catalogue | None = None
        self._checked_at = float("-inf")

    def catalogue(self) -> Catalogue:
        checked_at = self._clock()
        if self._catalogue is not None and checked_at - self._checked_at < self.recheck_seconds:
            return self._catalogue
        fingerprint = content_fingerprint(self.root)
        if fingerprint != self._fingerprint:
            with self._lock:
                if fingerprint != self._fingerprint:
                    try:
                        self._catalogue = load_catalogue(self.root, self._catalogue, self.snapshots)
                    except Exception:  # noqa: BLE001 (the last catalogue read keeps serving)
                        if self._catalogue is None:
                            raise
                        logger.exception("content under %s could not be read; the last version keeps serving", self.root)
                    self._fingerprint = fingerprint
        self._checked_at = checked_at
        return self._catalogue



def init_app(app: Flask) -> None:
    """The live catalogue (its valid versions stored as snapshots) and the instructors' draft."""
    app.extensions["content"] = ContentStore(
        Path(app.config["CONTENT_DIR"]), app.config["CONTENT_RECHECK_SECONDS"],
        snapshots=Path(app.config["CONTENT_SNAPSHOT_DIR"]),
    )
    app.extensions["content_draft"] = ContentStore(Path(app.config["CONTENT_DRAFT_DIR"]))
    set_local_zone(app, _provider_zone)


def _provider_zone() -> tzinfo:
    provider = current_catalogue().provider
    return provider.zone if provider else UTC


def draft_catalogue() -> Catalogue:
    """The draft folder's catalogue, for instructors' previews (never what learners see)."""
    if "draft_catalogue" not in g:
        g.draft_catalogue = current_app.extensions["content_draft"].catalogue()
    return g.draft_catalogue


def current_catalogue() -> Catalogue:
    """The catalogue this request reads; the same version for the whole request, whatever is edited meanwhile."""
    if "catalogue" not in g:
        g.catalogue = current_app.extensions["content"].catalogue()
    return g.catalogue


def course_or_404(slug: str) -> Course:
    course = current_catalogue().courses.get(slug)
    if course is None:
        abort(404)
    return course
