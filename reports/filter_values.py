"""The values each report filter accepts, and the check the command line makes against them.

The web filters are drop-down lists of these same values; the command line takes typed text, so
an unknown value (a misspelt course, a body id that does not exist) is refused with the valid
ones named instead of producing an empty report.
"""
from course.content.model import Catalogue
from course.core.reference import PROFESSIONS, US_STATES


def valid_filter_values(catalogue: Catalogue) -> dict[str, list[str]]:
    """Filter name -> the values it accepts, sorted."""
    return {
        "course": sorted(catalogue.courses),
        "body": sorted(catalogue.provider.approvals) if catalogue.provider else [],
        "profession": sorted(PROFESSIONS),
        "state": sorted(US_STATES),
    }


def unknown_filter_value(name: str, value: str, catalogue: Catalogue) -> str | None:
    """A message naming the valid values when `value` is not one of filter `name`'s, else None."""
    valid = valid_filter_values(catalogue)[name]
    if value in valid:
        return None
    listed = ", ".join(valid) if valid else "(none: the catalogue has none)"
    return f"{value!r} is not a known {name}. Valid values: {listed}."
