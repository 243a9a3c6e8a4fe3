"""How amounts, dates and times are written, on pages and PDFs alike; registered once as template filters.

Stored timestamps are UTC. `calendar_day` is the one conversion from a timestamp to the day a
learner, a certificate or a report shows, in the provider's time zone (`course.core.clock.local_zone`).
"""
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal

from flask import Flask
from markupsafe import Markup

from .clock import as_utc, local_zone
from .reference import LICENCE_TYPES, PROFESSIONS


def format_amount(amount: Decimal) -> str:
    """1.0000 -> '1', 0.5000 -> '0.5', 1.2500 -> '1.25'."""
    return f"{Decimal(amount).normalize():f}"


def calendar_day(moment: datetime, zone: tzinfo | None = None) -> date:
    """The day a stored timestamp (UTC, or naive UTC from SQLite) falls on in `zone`, by default the provider's.

    A learner finishing at 01:10 UTC on 2 December in California completed on 1 December.
    """
    return as_utc(moment).astimezone(zone or local_zone()).date()


def long_date(day: date | datetime) -> str:
    """July 29, 2025 (a timestamp gives its calendar day)."""
    if isinstance(day, datetime):
        day = calendar_day(day)
    return f"{day:%B} {day.day}, {day.year}"


def timestamp(moment: datetime | None, empty: str = "—") -> Markup | str:
    """A moment for staff pages: <time datetime="2026-03-01T14:05:00Z">2026-03-01 14:05 UTC</time>."""
    if moment is None:
        return empty
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return Markup('<time datetime="{}">{} UTC</time>').format(
        utc.strftime("%Y-%m-%dT%H:%M:%SZ"), utc.strftime("%Y-%m-%d %H:%M")
    )


def profession_label(code: str | None) -> str:
    return PROFESSIONS.get(code, code) if code else "—"


LICENCE_TYPE_SHORT = {"LPN": "LPN/LVN", "PT": "psychiatric technician", "OTHER": "other"}


def licence_types(codes) -> str:
    """{'APRN', 'RN'} -> 'RN or APRN', in the order of LICENCE_TYPES."""
    return " or ".join(LICENCE_TYPE_SHORT.get(code, code) for code in LICENCE_TYPES if code in codes)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update({
        "credit_amount": format_amount,
        "long_date": long_date,
        "timestamp": timestamp,
        "profession_label": profession_label,
        "licence_types": licence_types,
    })
