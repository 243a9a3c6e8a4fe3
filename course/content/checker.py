"""Reading typed fields out of content YAML while collecting every problem with its file and line."""
import re
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .model import Problem, errors_in
from .yaml_lines import LineList, LineMap, YamlProblem, parse_yaml

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class FileChecker:
    """Collects problems for one file while reading typed fields out of its YAML."""

    def __init__(self, path: Path, root: Path, problems: list[Problem]):
        self.path = path
        self.name = display_path(path, root)
        self.problems = problems

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def warning(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message, warning=True))

    def error_count(self) -> int:
        return errors_in(self.problems)

    def mapping(self, data, line: int, what: str) -> LineMap | None:
        if isinstance(data, LineMap):
            return data
        if data is UNREADABLE:
            return None
        self.problem(line, f"{what} must be a mapping of keys to values")
        return None

    def field(self, data: LineMap, key: str, kind, *, required: bool = True, default=None):
        """Return data[key] if it has the right kind; record a problem otherwise."""
        if key not in data or data[key] is None:
            if required:
                self.problem(data.line, f"missing required field '{key}'")
            return default
        value, line = data[key], data.line_of(key)
        checker = _KINDS[kind]
        try:
            return checker(value)
        except (TypeError, ValueError, InvalidOperation) as error:
            self.problem(line, f"'{key}' {error}")
            return default

    def entries(self, data: LineMap, key: str, what: str, *, required: bool = True) -> Iterator[LineMap]:
        """Each mapping in the list data[key]; a problem for the list if it is not one, and for each item that is not a mapping."""
        items = self.field(data, key, "list", required=required, default=LineList())
        for index, item in enumerate(items):
            entry = self.mapping(item, items.line_of(index), what)
            if entry is not None:
                yield entry

    def id_field(self, data: LineMap, key: str = "id") -> str | None:
        value = self.field(data, key, "text")
        if value is not None and not ID_RE.match(value):
            self.problem(data.line_of(key), f"'{key}' {value!r} must use lowercase letters, digits and hyphens")
            return None
        return value

    def unknown_keys(self, data: LineMap, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.problem(data.line_of(key), f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")


def _text(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("must be text")
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _integer(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def _decimal(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    number = Decimal(str(value))
    if number <= 0:
        raise ValueError("must be greater than zero")
    return number


def _date(value) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError("must be a date written as YYYY-MM-DD")
    return value


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _list(value) -> LineList:
    if not isinstance(value, LineList):
        raise ValueError("must be a list")
    return value


def _mapping(value) -> LineMap:
    if not isinstance(value, LineMap):
        raise ValueError("must be a mapping of keys to values")
    return value


def _text_list(value) -> tuple[str, ...]:
    return tuple(_text(item) for item in _list(value))


_KINDS = {
    "text": _text,
    "int": _integer,
    "decimal": _decimal,
    "date": _date,
    "bool": _boolean,
    "list": _list,
    "text_list": _text_list,
    "map": _mapping,
}


def display_path(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


UNREADABLE = object()  # what read_yaml_file returns after recording why it could not read


def read_yaml_file(checker: FileChecker):
    try:
        return parse_yaml(checker.path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        checker.problem(1, "file is missing")
    except UnicodeDecodeError:
        checker.problem(1, "file is not UTF-8 text")
    except IsADirectoryError:
        checker.problem(1, "is a folder, not a file")
    except OSError as error:
        checker.problem(1, f"file cannot be read: {error.strerror or error}")
    except YamlProblem as error:
        checker.problem(error.line, error.message)
    return UNREADABLE

