"""The current time, replaceable in tests through the app's CLOCK setting."""
from datetime import UTC, datetime

from flask import current_app


def now() -> datetime:
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(UTC)
