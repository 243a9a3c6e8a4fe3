"""The current time, replaceable in tests through the app's CLOCK setting, and the provider's time zone."""
from collections.abc import Callable
from datetime import UTC, date, datetime, time, tzinfo

from flask import Flask, current_app, has_app_context

LOCAL_ZONE = "local_zone"  # app.extensions key: a callable giving the provider's zone


def utcnow() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The time requests and commands act at: the app's CLOCK if a test set one, else the real time."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else utcnow()


def set_local_zone(app: Flask, zone_of: Callable[[], tzinfo]) -> None:
    """Tell the ground where the provider's time zone comes from (the content layer: provider.yaml)."""
    app.extensions[LOCAL_ZONE] = zone_of


def local_zone() -> tzinfo:
    """The provider's time zone: the zone of every calendar day the platform writes. UTC outside an app."""
    zone_of = current_app.extensions.get(LOCAL_ZONE) if has_app_context() else None
    return zone_of() if zone_of else UTC


def start_of_day(day: date, zone: tzinfo | None = None) -> datetime:
    """The UTC moment `day` begins in `zone` (default: the provider's), for filtering stored timestamps."""
    return datetime.combine(day, time(), zone or local_zone()).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp with its zone: SQLite hands timestamps back naive, and everything stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
