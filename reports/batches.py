"""Batches: made after pre-validation, uploaded, then each record accepted or rejected; rejected records corrected.

Every step is one function taking the actor and how they acted (web or command line), writing
the records' history and an audit entry; the browser and `flask reports` both come through
here. Work on a batch's records is done in chunks with set-based statements (claiming records
with UPDATE ... RETURNING, history rows with INSERT ... SELECT), so a batch of any size takes
bounded memory. Functions flush; the caller commits.
"""
import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session, aliased

from accounts.audit import record_audit
from accounts.models import User
from course.content.model import Catalogue

from .models import BATCHABLE, REGULATORS, SENT, ReportBatch, ReportBatchItem, ReportEvent, ReportRecord
from .payloads import Prepared, Problem
from .tracking import CHUNK, add_event, prepare_records, sync

OUTCOMES = ("accepted", "rejected")


class ReportingError(Exception):
    def __init__(self, message: str, status: int = 409, problems: tuple[Problem, ...] = ()):
        super().__init__(message)
        self.message, self.status, self.problems = message, status, problems


def check_regulator(regulator: str) -> None:
    if regulator not in REGULATORS:
        raise ReportingError(f"Unknown regulator {regulator!r}: use one of {', '.join(REGULATORS)}.", 404)


def _batchable(regulator: str, until: date | None, after_id: int):
    query = select(ReportRecord.id).where(
        ReportRecord.regulator == regulator, ReportRecord.status.in_(BATCHABLE), ReportRecord.id > after_id)
    if until is not None:
        query = query.where(ReportRecord.completion_date <= until)
    return query.order_by(ReportRecord.id).limit(CHUNK)


def _chunks_of_batchable(session: Session, regulator: str, until: date | None):
    after = 0
    while ids := list(session.scalars(_batchable(regulator, until, after))):
        yield ids
        after = ids[-1]


@dataclass(frozen=True)
class Failure:
    record_id: int
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class PreValidation:
    ready: int
    failures: tuple[Failure, ...]


def pre_validate(session: Session, regulator: str, catalogue: Catalogue, until: date | None = None) -> PreValidation:
    """Check every record the next batch would take, as the regulator will; nothing is written."""
    check_regulator(regulator)
    ready, failures = 0, []
    for ids in _chunks_of_batchable(session, regulator, until):
        for record_id, prepared in prepare_records(session, ids, catalogue).items():
            if prepared.ready:
                ready += 1
            else:
                failures.append(Failure(record_id, prepared.problems))
    return PreValidation(ready, tuple(failures))


def _rows_for(regulator: str, action: str) -> int:
    """File rows a record takes: PARS writes a correction as a Delete and an Add; CE Broker's changes are by hand."""
    if regulator == "pars":
        return 2 if action == "correct" else 1
    return 1 if action == "add" else 0


def make_batch(session: Session, regulator: str, catalogue: Catalogue, *, actor: User | None, via: str, now: datetime,
               until: date | None = None) -> tuple[ReportBatch, PreValidation]:
    """Catch records up (tracking.sync), then put every record that passes pre-validation into a new batch.

    Records that fail stay where they are, listed in the PreValidation returned. Raises
    ReportingError when no record is ready (no empty batch is made).
    """
    check_regulator(regulator)
    sync(session, regulator, catalogue)
    batch = ReportBatch(regulator=regulator, status="open", created_at=now,
                        created_by_id=actor.id if actor else None)
    session.add(batch)
    session.flush()
    next_row = 2 if regulator == "pars" else 1  # PARS's workbook has its header on row 1
    ready, failures = 0, []
    replaced = aliased(ReportRecord)
    for ids in _chunks_of_batchable(session, regulator, until):
        prepared = prepare_records(session, ids, catalogue)
        failures += [Failure(i, p.problems) for i, p in prepared.items() if not p.ready]
        wanted = [i for i, p in prepared.items() if p.ready]
        if not wanted:
            continue
        claimed = set(session.scalars(
            update(ReportRecord).where(ReportRecord.id.in_(wanted), ReportRecord.status.in_(BATCHABLE))
            .values(status="in_batch", batch_id=batch.id).returning(ReportRecord.id)
            .execution_options(synchronize_session=False)))
        facts = dict(session.execute(
            select(ReportRecord.id, ReportRecord.action).where(ReportRecord.id.in_(claimed))).all())
        previous = dict(session.execute(select(ReportRecord.id, replaced.payload).join(
            replaced, replaced.id == ReportRecord.replaces_id).where(ReportRecord.id.in_(claimed))).all())
        items, updates = [], []
        for record_id in sorted(claimed):
            action, rows = facts[record_id], _rows_for(regulator, facts[record_id])
            items.append({"batch_id": batch.id, "record_id": record_id, "action": action,
                          "payload": prepared[record_id].payload, "previous_payload": previous.get(record_id),
                          "first_row": next_row if rows else None, "rows": rows})
            updates.append({"id": record_id, "payload": prepared[record_id].payload})
            next_row += rows
        session.execute(insert(ReportBatchItem), items)
        session.execute(update(ReportRecord), updates)
        ready += len(claimed)
    if ready == 0:
        raise ReportingError("No record is ready to report: fix the problems listed, or wait for new completions.",
                             problems=tuple(problem for failure in failures for problem in failure.problems))
    _events_for_batch(session, batch.id, now_in=("in_batch",), status="in_batch", note=f"Put in batch {batch.id}.",
                      actor=actor, via=via, now=now)
    batch.record_count = ready
    batch.row_count = next_row - (2 if regulator == "pars" else 1)
    record_audit(session, actor, "report_batch", target_type="report_batch", target_id=batch.id, now=now, details={
        "regulator": regulator, "records": ready, "rows": batch.row_count, "not_ready": len(failures), "via": via,
        **({"until": until.isoformat()} if until else {}),
    })
    session.flush()
    session.expire_all()
    return batch, PreValidation(ready, tuple(failures))


def _events_for_batch(session: Session, batch_id: int, *, now_in: tuple[str, ...], status: str, note: str,
                      actor: User | None, via: str, now: datetime) -> None:
    """One history row, saying `status`, for each record of the batch whose status is in `now_in`; one statement."""
    session.execute(insert(ReportEvent).from_select(
        ["record_id", "status", "at", "batch_id", "certificate_id", "actor_id", "via", "note"],
        select(ReportRecord.id, literal(status), literal(now), literal(batch_id), ReportRecord.certificate_id,
               literal(actor.id if actor else None), literal(via), literal(note))
        .where(ReportRecord.batch_id == batch_id, ReportRecord.status.in_(now_in))))


def submit_batch(session: Session, batch: ReportBatch, *, actor: User | None, via: str, now: datetime) -> None:
    """The batch's file was uploaded to the regulator: its records are submitted (resubmitted if sent before)."""
    if batch.status != "open":
        raise ReportingError(f"Batch {batch.id} was already marked uploaded.")
    in_batch = (ReportRecord.batch_id == batch.id) & (ReportRecord.status == "in_batch")
    session.execute(update(ReportRecord).where(in_batch, ReportRecord.times_sent == 0)
                    .values(status="submitted", times_sent=1).execution_options(synchronize_session=False))
    session.execute(update(ReportRecord).where(in_batch, ReportRecord.times_sent > 0)
                    .values(status="resubmitted", times_sent=ReportRecord.times_sent + 1)
                    .execution_options(synchronize_session=False))
    batch.status, batch.submitted_at = "submitted", now
    note = f"Batch {batch.id} uploaded to {REGULATORS[batch.regulator]}."
    for status in SENT:
        _events_for_batch(session, batch.id, now_in=(status,), status=status, note=note, actor=actor, via=via, now=now)
    record_audit(session, actor, "report_submit", target_type="report_batch", target_id=batch.id, now=now,
                 details={"regulator": batch.regulator, "records": batch.record_count, "via": via})
    session.flush()
    session.expire_all()


def _close_if_done(session: Session, batch: ReportBatch, now: datetime) -> None:
    waiting = session.scalar(select(func.count(ReportRecord.id)).where(
        ReportRecord.batch_id == batch.id, ReportRecord.status.in_(SENT)))
    if batch.status == "submitted" and not waiting:
        batch.status, batch.closed_at = "closed", now


def record_outcome(session: Session, record: ReportRecord, outcome: str, *, reason: str | None, actor: User | None,
                   via: str, now: datetime) -> None:
    """What the regulator answered for one uploaded record; a rejected one goes back to the fix-and-resubmit queue."""
    _set_outcome(session, record, outcome, reason, actor, via, now)
    record_audit(session, actor, "report_outcome", target_type="report_record", target_id=record.id, now=now,
                 details={"outcome": outcome, "reason": record.rejection_reason, "batch": record.batch_id, "via": via})
    _close_if_done(session, record.batch, now)
    session.flush()


def _set_outcome(session: Session, record: ReportRecord, outcome: str, reason: str | None, actor: User | None,
                 via: str, now: datetime) -> None:
    if outcome not in OUTCOMES:
        raise ReportingError(f"The outcome is accepted or rejected, not {outcome!r}.", 422)
    if record.status not in SENT:
        raise ReportingError(f"Record {record.id} is {record.status.replace('_', ' ')}: only an uploaded record "
                             "can be accepted or rejected.")
    reason = (reason or "").strip()
    if outcome == "rejected" and not reason:
        raise ReportingError("Give the reason the regulator gave for rejecting the record.", 422)
    record.status = outcome
    record.rejection_reason = reason if outcome == "rejected" else None
    add_event(session, record, note=reason or None, batch_id=record.batch_id, actor=actor, via=via, at=now)


def accept_remaining(session: Session, batch: ReportBatch, *, actor: User | None, via: str, now: datetime) -> int:
    """Every record of the batch still awaiting an outcome is accepted; how many."""
    if batch.status != "submitted":
        raise ReportingError(f"Batch {batch.id} is {batch.status}: only an uploaded batch awaits outcomes.")
    _events_for_batch(session, batch.id, now_in=SENT, status="accepted", note="Accepted with the rest of the batch.",
                      actor=actor, via=via, now=now)
    count = session.execute(update(ReportRecord).where(
        ReportRecord.batch_id == batch.id, ReportRecord.status.in_(SENT)).values(status="accepted")
        .execution_options(synchronize_session=False)).rowcount
    record_audit(session, actor, "report_outcome", target_type="report_batch", target_id=batch.id, now=now,
                 details={"outcome": "accepted", "records": count, "via": via})
    session.expire_all()
    _close_if_done(session, batch, now)
    session.flush()
    return count


@dataclass(frozen=True)
class ResultLine:
    row: int
    outcome: str
    reason: str


def read_result_file(data: bytes, batch: ReportBatch, items_by_row: dict[int, int]) -> list[tuple[int, ResultLine]]:
    """(record id, line) for each line of a result file; ReportingError naming every bad line, so nothing half-applies.

    The file is CSV or tab-separated, UTF-8, with a header naming `row` (the row of our batch
    file the regulator reports on), `outcome` (accepted or rejected) and, for rejections, `reason`.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReportingError("The result file is not UTF-8 text: save it as CSV (UTF-8) and upload it again.", 422)
    delimiter = "\t" if "\t" in text.partition("\n")[0] else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = {name.strip().lower() for name in reader.fieldnames or ()}
    if not {"row", "outcome"} <= header:
        raise ReportingError("The result file needs a header with the columns row, outcome and reason.", 422)
    found, errors = [], []
    for line_number, raw in enumerate(reader, start=2):
        line = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()}
        try:
            row = int(line["row"])
        except ValueError:
            errors.append(f"line {line_number}: row {line['row']!r} is not a number")
            continue
        outcome = line["outcome"].lower()
        if row not in items_by_row:
            errors.append(f"line {line_number}: batch {batch.id}'s file has no row {row}")
        elif outcome not in OUTCOMES:
            errors.append(f"line {line_number}: outcome {line['outcome']!r} is not accepted or rejected")
        elif outcome == "rejected" and not line.get("reason"):
            errors.append(f"line {line_number}: a rejection needs its reason")
        else:
            found.append((items_by_row[row], ResultLine(row, outcome, line.get("reason", ""))))
    if errors:
        raise ReportingError("Nothing was recorded; fix the result file: " + "; ".join(errors) + ".", 422)
    return found


def apply_result_file(session: Session, batch: ReportBatch, data: bytes, *, actor: User | None, via: str,
                      now: datetime) -> dict[str, int]:
    """Record the outcomes a result file lists; records it does not mention stay uploaded, awaiting an outcome."""
    if batch.status != "submitted":
        raise ReportingError(f"Batch {batch.id} is {batch.status}: only an uploaded batch awaits outcomes.")
    items_by_row = {}
    for record_id, first_row, rows in session.execute(select(
            ReportBatchItem.record_id, ReportBatchItem.first_row, ReportBatchItem.rows).where(
            ReportBatchItem.batch_id == batch.id, ReportBatchItem.first_row.is_not(None))):
        items_by_row.update({row: record_id for row in range(first_row, first_row + rows)})
    counts = dict.fromkeys(OUTCOMES, 0)
    done = set()
    for record_id, line in read_result_file(data, batch, items_by_row):
        if record_id in done:
            continue  # both rows of a PARS correction
        record = session.get(ReportRecord, record_id)
        _set_outcome(session, record, line.outcome, line.reason, actor, via, now)
        done.add(record_id)
        counts[line.outcome] += 1
    record_audit(session, actor, "report_outcome", target_type="report_batch", target_id=batch.id, now=now,
                 details={"result_file": counts, "via": via})
    _close_if_done(session, batch, now)
    session.flush()
    return counts


def mark_corrected(session: Session, record: ReportRecord, catalogue: Catalogue, *, actor: User | None, via: str,
                   now: datetime) -> Prepared:
    """A rejected record whose data now passes pre-validation is ready to be sent again."""
    if record.status != "rejected":
        raise ReportingError(f"Record {record.id} is {record.status.replace('_', ' ')}: only a rejected record "
                             "is corrected.")
    prepared = prepare_records(session, [record.id], catalogue)[record.id]
    if not prepared.ready:
        raise ReportingError("The record still fails pre-validation: " + " ".join(
            f"{problem.message} ({problem.fixer})" for problem in prepared.problems), 422, prepared.problems)
    record.status = "corrected"
    add_event(session, record, note="Corrected after the rejection; to be sent again.", actor=actor, via=via, at=now)
    record_audit(session, actor, "report_correct", target_type="report_record", target_id=record.id, now=now,
                 details={"regulator": record.regulator, "rejection": record.rejection_reason, "via": via})
    session.flush()
    return prepared
