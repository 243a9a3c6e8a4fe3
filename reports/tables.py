"""The one writer behind every export: a header and rows become CSV lines or an XLSX workbook.

An export is a *table*: its header and an iterator of rows (plain values: text, numbers,
Decimal, dates, datetimes, booleans, None), read in constant memory by whoever produces them.
The same table is written

- as CSV that Excel opens correctly: UTF-8 with a byte-order mark before the header (without
  it Excel reads the file as the local code page and mangles "Zoë"), RFC 4180 quoting, CRLF;
- as XLSX by openpyxl's write-only mode, which streams rows to the file instead of building
  the sheet in memory: numbers stay numbers and dates are dates, with a bold header row.

Every text cell, in both, goes through `neutralise` (OWASP's advice on CSV injection): a cell a
spreadsheet would read as a formula gets a leading apostrophe. In XLSX this matters as much as
in CSV: openpyxl stores any string that starts with "=" as a formula.
"""
import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from course.core.filters import format_amount

FORMULA_TRIGGERS = frozenset("=+-@\t\r")  # what a spreadsheet may read as the start of a formula
LINE_END = "\r\n"  # RFC 4180; the tab-delimited PARS upload uses the same
BYTE_ORDER_MARK = "\ufeff"
Row = Sequence[object]
Table = tuple[Sequence[str], Iterable[Row]]

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(cell: str) -> str:
    """Make a cell that a spreadsheet would read as a formula read as text instead."""
    return "'" + cell if cell[:1] in FORMULA_TRIGGERS else cell


def cell_text(value: object) -> str:
    """A value as one CSV cell: dates ISO 8601, amounts without trailing zeros, yes/no, blank for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format_amount(value)
    return str(value)


class _Echo:
    """A file-like target for csv.writer that hands back each line written instead of keeping it."""

    def write(self, line: str) -> str:
        return line


def csv_cells(row: Row) -> list[str]:
    """A row's cells as CSV text, neutralised.

    Text that cannot start a formula (most cells: the large exports make their cells as text in
    SQL) is taken as it is, without the conversions; every other cell goes through them.
    """
    return [cell if type(cell) is str and cell[:1] not in FORMULA_TRIGGERS else neutralise(cell_text(cell))
            for cell in row]


def csv_lines(header: Sequence[str], rows: Iterable[Row], *, byte_order_mark: bool = True) -> Iterator[str]:
    """RFC 4180 lines (quoted where needed, CRLF), every cell neutralised; the first starts with the BOM."""
    writer = csv.writer(_Echo(), lineterminator=LINE_END)
    first = writer.writerow(csv_cells(header))
    yield (BYTE_ORDER_MARK + first) if byte_order_mark else first
    for row in rows:
        yield writer.writerow(csv_cells(row))


DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def _xlsx_cell(sheet, value: object) -> object:
    if value is None or isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, datetime | date):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None) if isinstance(value, datetime) else value)
        cell.number_format = DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
        return cell
    cell = WriteOnlyCell(sheet, value=neutralise(str(value)))
    cell.data_type = "s"  # text, whatever it looks like
    return cell


def write_xlsx(header: Sequence[str], rows: Iterable[Row], target: BinaryIO, *, title: str = "Export") -> int:
    """Write the table as a one-sheet workbook into `target` (write-only mode); the number of rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    heading = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=neutralise(str(name)))
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    written = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
        written += 1
    workbook.save(target)
    return written
