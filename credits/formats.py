"""How amounts and dates are written on certificates, pages and PDFs alike."""
from datetime import UTC, date, datetime
from decimal import Decimal


def format_amount(amount: Decimal) -> str:
    """1.0000 -> '1', 0.5000 -> '0.5', 1.2500 -> '1.25'."""
    return f"{amount.normalize():f}"


def long_date(day: date) -> str:
    """July 29, 2025."""
    return f"{day:%B} {day.day}, {day.year}"


def utc_date(moment: datetime) -> date:
    """The UTC calendar day of a stored timestamp (SQLite hands timestamps back without a zone, in UTC)."""
    return moment.astimezone(UTC).date() if moment.tzinfo else moment.date()
