"""The current time, replaceable in tests through the app's CLOCK setting."""
from datetime import UTC, datetime

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The time requests and commands act at: the app's CLOCK if a test set one, else the real time."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else utcnow()


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp with its zone: SQLite hands timestamps back naive, and everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
