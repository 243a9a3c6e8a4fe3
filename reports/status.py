"""Where reporting stands: per learner (the transcript's notes), per regulator (counts, deadlines at risk), per record."""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.models import User
from course.content.model import Catalogue
from course.content.store import current_catalogue
from course.core.filters import long_date
from credits.models import Certificate
from credits.signals import TranscriptNote, transcript_notes_wanted

from .models import REGULATORS, SENT, STATUSES, WAITING, ReportBatch, ReportEvent, ReportRecord
from .tracking import destination, prepare_records

AT_RISK_DAYS = 7  # a record due within this many days, and not yet uploaded, is shown as at risk
SENT_WORDS = {  # after "Reported to X on DATE: "
    "in_batch": "being sent again",
    "submitted": "awaiting the answer",
    "resubmitted": "sent again, awaiting the answer",
    "accepted": "accepted",
    "rejected": "not accepted",
    "corrected": "corrected, to be sent again",
}
UNSENT_WORDS = {
    "pending": "To be reported to {where}.",
    "in_batch": "Being reported to {where}.",
    "withdrawn": "Not reported to {where}: the certificate was revoked first.",
    "rejected": "Not accepted by {where}.",
    "corrected": "Corrected, to be sent to {where} again.",
}
ACTION_WORDS = {"add": "", "correct": "Correction: ", "delete": "Removal: "}


def note_text(record: ReportRecord, where: str, sent_on: date | None) -> str:
    if sent_on is not None and record.status in SENT_WORDS:
        text = f"Reported to {where} on {long_date(sent_on)}: {SENT_WORDS[record.status]}."
    else:
        text = UNSENT_WORDS[record.status].format(where=where)
    if record.status == "rejected" and record.rejection_reason:
        text += f" Reason: {record.rejection_reason}"
    return ACTION_WORDS[record.action] + text


def _sent_on(session: Session, record_ids: list[int]) -> dict[int, date]:
    """The day each record was last uploaded (its last submitted or resubmitted event)."""
    found = session.execute(select(ReportEvent.record_id, func.max(ReportEvent.at)).where(
        ReportEvent.record_id.in_(record_ids), ReportEvent.status.in_(SENT)).group_by(ReportEvent.record_id))
    return {record_id: moment.date() for record_id, moment in found}


def learner_notes(session: Session, user_id: int, certificate_ids: list[int], catalogue: Catalogue) -> list[TranscriptNote]:
    """One note per record about the learner's certificates, e.g. "Reported to ACCME for ABIM MOC on
    March 3, 2026: accepted.", with what the learner must fix where pre-validation fails on their data."""
    records = list(session.execute(
        select(ReportRecord, Certificate.approval_id).join(Certificate, Certificate.id == ReportRecord.certificate_id)
        .where(ReportRecord.user_id == user_id, ReportRecord.certificate_id.in_(certificate_ids))
        .order_by(ReportRecord.id)))
    if not records:
        return []
    ids = [record.id for record, _ in records]
    sent = _sent_on(session, ids)
    checks = prepare_records(session, [record.id for record, _ in records if record.status in WAITING], catalogue)
    notes = []
    for record, approval_id in records:
        where = destination(record.regulator, approval_id, catalogue.provider)
        check = checks.get(record.id)
        notes.append(TranscriptNote(record.certificate_id, note_text(record, where, sent.get(record.id)),
                                    check.for_learner() if check else None))
    return notes


def _on_transcript(_sender, session: Session, user_id: int, certificates) -> list[TranscriptNote]:
    return learner_notes(session, user_id, [certificate.id for certificate in certificates], current_catalogue())


def connect_transcript() -> None:
    transcript_notes_wanted.connect(_on_transcript)


@dataclass(frozen=True)
class RegulatorSummary:
    regulator: str
    name: str
    counts: dict[str, int]  # status -> records
    open_batches: int
    awaiting_outcome: int  # batches uploaded, outcomes not all recorded


def summaries(session: Session) -> list[RegulatorSummary]:
    counts = {regulator: dict.fromkeys(STATUSES, 0) for regulator in REGULATORS}
    for regulator, status, count in session.execute(select(
            ReportRecord.regulator, ReportRecord.status, func.count()).group_by(ReportRecord.regulator,
                                                                                ReportRecord.status)):
        counts[regulator][status] = count
    batches = {(regulator, status): count for regulator, status, count in session.execute(select(
        ReportBatch.regulator, ReportBatch.status, func.count()).group_by(ReportBatch.regulator, ReportBatch.status))}
    return [RegulatorSummary(regulator, name, counts[regulator], batches.get((regulator, "open"), 0),
                             batches.get((regulator, "submitted"), 0)) for regulator, name in REGULATORS.items()]


@dataclass(frozen=True)
class AtRisk:
    record: ReportRecord
    learner: User
    days_left: int  # negative: overdue


def records_at_risk(session: Session, today: date, within_days: int = AT_RISK_DAYS, limit: int = 50) -> list[AtRisk]:
    """Records with a deadline not yet uploaded (waiting or in an open batch) due within `within_days`, soonest first."""
    rows = session.execute(
        select(ReportRecord, User).join(User, User.id == ReportRecord.user_id)
        .where(ReportRecord.due_on.is_not(None), ReportRecord.due_on <= today + timedelta(days=within_days),
               ReportRecord.status.in_((*WAITING, "in_batch")))
        .order_by(ReportRecord.due_on, ReportRecord.id).limit(limit))
    return [AtRisk(record, user, (record.due_on - today).days) for record, user in rows]


def count_at_risk(session: Session, today: date, within_days: int = AT_RISK_DAYS) -> int:
    return session.scalar(select(func.count(ReportRecord.id)).where(
        ReportRecord.due_on.is_not(None), ReportRecord.due_on <= today + timedelta(days=within_days),
        ReportRecord.status.in_((*WAITING, "in_batch"))))


def rejected_queue(session: Session, regulator: str) -> list[tuple[ReportRecord, User]]:
    """The fix-and-resubmit queue: rejected records, oldest first."""
    return list(session.execute(
        select(ReportRecord, User).join(User, User.id == ReportRecord.user_id)
        .where(ReportRecord.regulator == regulator, ReportRecord.status == "rejected").order_by(ReportRecord.id)).all())


def batches_of(session: Session, regulator: str, limit: int = 20) -> list[ReportBatch]:
    return list(session.scalars(select(ReportBatch).where(ReportBatch.regulator == regulator)
                                .order_by(ReportBatch.id.desc()).limit(limit)))
