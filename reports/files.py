"""The upload files a batch becomes: ACCME PARS learner upload (Excel and tab-delimited) and CE Broker's roster.

Each is written from the batch's items (the data as it went into the batch), read from one
cursor a chunk at a time; the workbooks are written by openpyxl's write-only mode into a file
the caller provides (a temporary file for a download), so a batch of any size takes bounded
memory. What was checked against each regulator's published instructions, and what could not
be, is in README.md ("Reporting credit").

PARS ("Learner Excel CME MOC" layout): one row per learner and activity, CME and MOC credit
together; a correction is a Delete of the data PARS holds followed by an Add of the new data.
The workbook has the header on its first row; the tab-delimited text has no header row
(ACCME's tab-delimited instructions have the header row removed before the text is made).

CE Broker (Excel roster, full course credit): columns A-H by position, no header: provider
tracking number and course tracking number without their 50- / 20- prefixes, own course ID and
publishing number (blank), licence number, completion date (an Excel date), State=XX,
Profession=CODE. CE Broker's roster upload only adds credit: corrections and deletions are made
by hand in CE Broker and are listed on the batch page instead.
"""
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from .exports import BATCH_SIZE, streamed_chunks
from .tables import LINE_END, neutralise
from .models import ReportBatch, ReportBatchItem

PARS_HEADER = (
    "Record Action", "ACCME Activity ID", "Completion Date", "First Name", "Last Name", "Date of Birth",
    "Licensing State", "Licensing ID or NPI", "Number of CME Credits", "Certifying Board", "Certifying Board ID",
    "Total Board Credits", "Credit Type", "Credits Awarded for Credit Type",
)
PARS_DATE_FORMAT = "MM/DD/YYYY"
CE_BROKER_DATE_FORMAT = "m/d/yyyy"  # CE Broker's example: 12/3/2008


def _items(session: Session, batch: ReportBatch, batch_size: int) -> Iterator[tuple]:
    query = (select(ReportBatchItem.action, ReportBatchItem.payload, ReportBatchItem.previous_payload)
             .where(ReportBatchItem.batch_id == batch.id, ReportBatchItem.first_row.is_not(None))
             .order_by(ReportBatchItem.first_row))
    for chunk in streamed_chunks(session, query, batch_size):
        yield from chunk


def _amount(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def pars_rows(action: str, payload: dict, previous: dict | None) -> list[list]:
    """The rows one item takes, typed for the workbook (dates as dates, credits as numbers)."""
    def row(record_action: str, data: dict) -> list:
        return [
            record_action, data["activity_id"], date.fromisoformat(data["completion_date"]), data["first_name"],
            data["last_name"], f"{data['birth_month']:02d}/{data['birth_day']:02d}", data["licensing_state"],
            data["licensing_id"], _amount(data["cme_credits"]), data["board"], data["board_id"],
            _amount(data["board_credits"]), data["credit_type"], _amount(data["credit_type_credits"]),
        ]
    if action == "add":
        return [row("Add", payload)]
    if action == "delete":
        return [row("Delete", payload)]
    return [row("Delete", previous), row("Add", payload)]


def _text(value) -> str:
    """A cell of the tab-delimited file: dates MM/DD/YYYY, numbers as written, whitespace runs one space."""
    if value is None:
        return ""
    if isinstance(value, date):
        value = value.strftime("%m/%d/%Y")
    return neutralise(" ".join(f"{value:f}".split() if isinstance(value, Decimal) else str(value).split()))


def pars_text(session: Session, batch: ReportBatch, *, batch_size: int = BATCH_SIZE) -> Iterator[str]:
    """The tab-delimited variant of the PARS learner upload: one CRLF-ended line per row, no header."""
    for action, payload, previous in _items(session, batch, batch_size):
        for row in pars_rows(action, payload, previous):
            yield "\t".join(_text(cell) for cell in row) + LINE_END


def _cell(sheet, value, number_format: str | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=neutralise(value) if isinstance(value, str) else value)
    if number_format:
        cell.number_format = number_format
    return cell


def pars_workbook(session: Session, batch: ReportBatch, target: BinaryIO, *, batch_size: int = BATCH_SIZE) -> None:
    """The PARS learner upload workbook: the header, then the rows, written into `target`."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Learners")
    bold = Font(bold=True)
    header = []
    for title in PARS_HEADER:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for action, payload, previous in _items(session, batch, batch_size):
        for row in pars_rows(action, payload, previous):
            sheet.append([_cell(sheet, value, PARS_DATE_FORMAT if isinstance(value, date) else None) for value in row])
    workbook.save(target)


def ce_broker_row(payload: dict) -> list:
    return [
        payload["provider_number"], payload["course_number"], None, None, payload["licence_number"],
        date.fromisoformat(payload["completion_date"]), f"State={payload['state']}",
        f"Profession={payload['profession_code']}",
    ]


def ce_broker_workbook(session: Session, batch: ReportBatch, target: BinaryIO, *,
                       batch_size: int = BATCH_SIZE) -> None:
    """CE Broker's full-credit roster: one row per licensee, columns A-H, no header, written into `target`."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Roster")
    for _action, payload, _previous in _items(session, batch, batch_size):
        sheet.append([_cell(sheet, value, CE_BROKER_DATE_FORMAT if isinstance(value, date) else None)
                      for value in ce_broker_row(payload)])
    workbook.save(target)


# name -> (regulator, title, media type, writer); text writers yield lines, workbook writers fill a file
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BATCH_FILES = {
    "pars.xlsx": ("pars", "PARS learner upload (Excel)", XLSX, pars_workbook),
    "pars.txt": ("pars", "PARS learner upload (tab-delimited text)", "text/plain; charset=utf-8", pars_text),
    "ce-broker.xlsx": ("ce-broker", "CE Broker roster (Excel)", XLSX, ce_broker_workbook),
}


def files_for(regulator: str) -> list[str]:
    return [name for name, (owner, *_rest) in BATCH_FILES.items() if owner == regulator]
