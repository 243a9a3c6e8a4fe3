"""Checks on values people type, shared by every form and command that takes them.

Each returns a message saying what is wrong (or raises with one), so that bad input is
answered with a 4xx and an explanation, never a 500 from a later step that assumed more.
"""
import re
import unicodedata
from datetime import date
from decimal import Decimal

from wtforms.validators import ValidationError

# Dates people may ask about: a report's period, an audit search, a batch's cut-off. The bounds
# leave room for "the day after" arithmetic and for every database's date type.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
DATE_RANGE_MESSAGE = f"Enter a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}."

# Characters that change how text around them is drawn without being seen: direction overrides
# and isolates (which can reorder a name on a certificate) and zero-width characters.
INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
NAME_MESSAGE = ("Use one line of printable characters: no line breaks, tabs, invisible or "
                "text-direction characters.")
AMOUNT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
AMOUNT_MAX_LENGTH = 20


def date_problem(value: date | None) -> str | None:
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        return DATE_RANGE_MESSAGE
    return None


def in_date_range(form, field) -> None:
    """WTForms validator: a date within EARLIEST_DATE..LATEST_DATE."""
    problem = date_problem(field.data)
    if problem:
        raise ValidationError(problem)


def clean_name(value: str) -> str:
    """A name as stored: NFC-normalised, outer spaces removed, runs of spaces made one."""
    return re.sub(" +", " ", unicodedata.normalize("NFC", value)).strip()


def name_problem(value: str) -> str | None:
    """Why `value` cannot be a person's name on a certificate, or None."""
    text = unicodedata.normalize("NFC", value or "")
    if INVISIBLE.search(text) or any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
                                     or (c.isspace() and c != " ") for c in text):
        return NAME_MESSAGE
    return None


def one_line_name(form, field) -> None:
    """WTForms validator (and filter): the field's data NFC-normalised, refused if not one printable line."""
    if field.data is None:
        return
    problem = name_problem(field.data)
    if problem:
        raise ValidationError(problem)
    field.data = clean_name(field.data)


def parse_amount(text: str) -> Decimal | None:
    """A plain decimal such as 0.75, -1 or 12: digits with at most one point, up to 20 characters;
    None for anything else (exponents such as 1e-999999999, NaN, infinities, commas)."""
    text = (text or "").strip()
    if len(text) > AMOUNT_MAX_LENGTH or not AMOUNT.fullmatch(text):
        return None
    return Decimal(text)
