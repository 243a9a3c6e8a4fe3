"""Stored snapshots of each course's last valid version, so a restart keeps serving it.

Whenever a course passes the check at a version not yet stored, its folder and the provider
file it was checked with are copied to `<snapshots>/<slug>/<version>/` (a private folder that
is renamed into place, so a reader never finds half a snapshot), and `<slug>/current` is
pointed at it. A worker that starts while a course's files fail the check loads that snapshot
instead, and the status page says so. Snapshots are files, read the same way as the content
folder, so they survive upgrades of the code that reads them.
"""
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from collections.abc import Callable

CURRENT = "current"
PROVIDER_FILE = "provider.yaml"


@dataclass(frozen=True)
class Snapshot:
    root: Path  # a content folder holding provider.yaml and the one course folder
    version: str
    taken_at: datetime


def save_snapshot(snapshots: Path, root: Path, slug: str, version: str, version_of: Callable[[Path], str]) -> bool:
    """Store course `slug` of content folder `root` as `version`, and make it the current one.

    `version_of(snapshot_root)` hashes the copy as the loader hashes a course; a copy that does
    not match (a file was edited between the check and the copy) is thrown away, and False returned.
    """
    course_snapshots = Path(snapshots) / slug
    target = course_snapshots / version
    if not target.is_dir():
        course_snapshots.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=course_snapshots))
        shutil.copytree(Path(root) / slug, staging / slug)
        if (Path(root) / PROVIDER_FILE).is_file():
            shutil.copyfile(Path(root) / PROVIDER_FILE, staging / PROVIDER_FILE)
        if version_of(staging) != version:
            shutil.rmtree(staging, ignore_errors=True)
            return False
        try:
            os.rename(staging, target)
        except OSError:  # another worker stored the same version first
            shutil.rmtree(staging, ignore_errors=True)
    _write_atomically(course_snapshots / CURRENT, version)
    return True


def current_snapshot(snapshots: Path, slug: str) -> Snapshot | None:
    """The last valid version stored for `slug`, if any."""
    course_snapshots = Path(snapshots) / slug
    try:
        version = (course_snapshots / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    root = course_snapshots / version
    if not version or not (root / slug).is_dir():
        return None
    taken_at = datetime.fromtimestamp(root.stat().st_mtime, UTC)
    return Snapshot(root, version, taken_at)


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=".current-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)
