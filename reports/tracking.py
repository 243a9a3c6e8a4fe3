"""Report records made and followed up as certificates are issued, reissued and revoked.

Two ways in, one set of rules. The credits layer sends `certificate_issued`,
`certificate_reissued` and `certificate_revoked` inside the transaction of the change; the
receivers here (connected by `connect_signals`) make the record or its follow-up in the same
transaction. `sync` applies the same rules to every certificate before a batch is made, so a
certificate that changed without the signal (issued before reporting was tracked, or written
by a script) is caught up; on a database the signals kept current it finds nothing to do.

The follow-ups:
- issued: an `add` for each regulator the certificate's credit is reported to;
- reissued: the new certificate takes over the old one's records; if what the regulator holds
  (or will, from an open batch) differs from what the new certificate would send, a `correct`;
- revoked: records not yet sent are withdrawn; if anything reached the regulator, a `delete`;
- reinstated: the revocation's follow-ups are undone while none has reached the regulator.
Functions flush; the caller commits.
"""
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType

from sqlalchemy import Row, Select, and_, exists, select
from sqlalchemy.orm import Session, aliased

from accounts.models import BoardId, Licence, User
from course.content.model import Catalogue, Provider
from course.content.store import current_catalogue
from course.core.clock import now as clock_now
from course.core.reference import BOARDS
from credits.models import Certificate
from credits.errors import CertificateNotValid
from credits.signals import certificate_issued, certificate_reinstated, certificate_reissued, certificate_revoked

from .models import REACHED, REGULATORS, WAITING, ReportEvent, ReportRecord
from .payloads import Prepared, Subject, prepare

CHUNK = 500


def regulators_for(certificate: Certificate, provider: Provider | None) -> list[str]:
    """The regulators this certificate's credit must be reported to."""
    found = []
    if certificate.moc_board and certificate.moc_consented_at is not None:
        found.append("pars")
    approval = provider.approvals.get(certificate.approval_id) if provider else None
    if approval is not None and approval.ce_broker is not None:
        found.append("ce-broker")
    return found


def destination(regulator: str, approval_id: str, provider: Provider | None) -> str:
    """Where a record goes, as a learner reads it: "ACCME for ABIM MOC", "CE Broker for the Florida Board of Nursing"."""
    approval = provider.approvals.get(approval_id) if provider else None
    if regulator == "pars":
        board = approval.moc_board if approval else None
        return f"ACCME for {board} MOC" if board in BOARDS else "ACCME"
    return f"CE Broker for the {approval.body}" if approval else "CE Broker"


def due_on(regulator: str, approval_id: str, completed_on: date, provider: Provider | None) -> date | None:
    approval = provider.approvals.get(approval_id) if provider else None
    rule = None
    if approval is not None:
        rule = approval.ce_broker if regulator == "ce-broker" else approval.pars
    days = rule.deadline_days if rule is not None else None
    return completed_on + timedelta(days=days) if days else None


def add_event(session: Session, record: ReportRecord, *, note: str | None = None, batch_id: int | None = None,
              actor: User | None = None, via: str | None = None, at: datetime | None = None) -> None:
    session.add(ReportEvent(record_id=record.id, status=record.status, note=note, batch_id=batch_id,
                            certificate_id=record.certificate_id, actor_id=actor.id if actor else None, via=via,
                            at=at or clock_now()))


def _new_record(session: Session, regulator: str, action: str, certificate: Certificate, provider: Provider | None,
                note: str, replaces: ReportRecord | None = None) -> ReportRecord:
    record = ReportRecord(
        regulator=regulator, action=action, status="pending", certificate_id=certificate.id,
        user_id=certificate.user_id, completion_date=certificate.completion_date, replaces=replaces,
        due_on=due_on(regulator, certificate.approval_id, certificate.completion_date, provider),
        created_at=clock_now(),
    )
    session.add(record)
    session.flush()
    add_event(session, record, note=note)
    return record


def _records_on(session: Session, certificate_id: int) -> list[ReportRecord]:
    return list(session.scalars(select(ReportRecord).where(ReportRecord.certificate_id == certificate_id)
                                .order_by(ReportRecord.id)))


def open_records(session: Session, certificate: Certificate, provider: Provider | None) -> None:
    """An `add` for each regulator the certificate must reach and has no record for yet."""
    held = {record.regulator for record in _records_on(session, certificate.id)}
    for regulator in regulators_for(certificate, provider):
        if regulator not in held:
            _new_record(session, regulator, "add", certificate, provider, "Certificate issued: to be reported.")
    session.flush()


def _last_reached(records: list[ReportRecord], regulator: str) -> ReportRecord | None:
    """The newest add or correction the regulator holds (or will), unless a delete already follows."""
    mine = [record for record in records if record.regulator == regulator]
    if any(record.action == "delete" for record in mine):
        return None
    return next((record for record in reversed(mine) if record.status in REACHED), None)


def follow_reissue(session: Session, replacement: Certificate, previous: Certificate, catalogue: Catalogue) -> None:
    """The replacement takes over the previous certificate's records; a correction where the data changed."""
    records = _records_on(session, previous.id)
    for record in records:
        record.certificate_id = replacement.id
        add_event(session, record, note=f"Carried to the reissued certificate ({replacement.code[:8]}…).")
    session.flush()
    for regulator in sorted({record.regulator for record in records}):
        reached = _last_reached(records, regulator)
        waiting = any(record.regulator == regulator and record.status in WAITING for record in records)
        if reached is None or waiting:
            continue  # nothing sent, or a record still to be sent: the next batch sends the new data
        prepared = prepare_records(session, [reached.id], catalogue, action="correct").get(reached.id)
        if prepared is None or prepared.payload != reached.payload:
            _new_record(session, regulator, "correct", replacement, catalogue.provider,
                        "Certificate reissued after it was reported: the correction is to be sent.", replaces=reached)
    open_records(session, replacement, catalogue.provider)


def follow_revocation(session: Session, certificate: Certificate, provider: Provider | None) -> None:
    """Withdraw what was not sent; a delete for whatever reached the regulator."""
    records = _records_on(session, certificate.id)
    for record in records:
        if record.status in WAITING and record.action != "delete":
            record.status = "withdrawn"
            add_event(session, record, note="Certificate revoked before this was sent: withdrawn.")
    for regulator in sorted({record.regulator for record in records}):
        reached = _last_reached(records, regulator)
        if reached is not None:
            _new_record(session, regulator, "delete", certificate, provider,
                        "Certificate revoked after it was reported: the delete is to be sent.", replaces=reached)
    session.flush()


def follow_reinstatement(session: Session, certificate: Certificate) -> None:
    """Undo what the revocation set going, while nothing of it has reached the regulator.

    A delete not yet sent is withdrawn (the regulator keeps what it holds); a record the
    revocation withdrew is pending again. A delete the regulator holds (or will, from a batch)
    cannot be taken back: the reinstatement is refused (CertificateNotValid), which rolls it back.
    """
    records = _records_on(session, certificate.id)
    for regulator in sorted({record.regulator for record in records}):
        mine = [record for record in records if record.regulator == regulator]
        delete = next((record for record in mine if record.action == "delete"), None)
        if delete is not None and delete.status in REACHED:
            raise CertificateNotValid(
                f"{REGULATORS[regulator]} has received (or will, from batch {delete.batch_id}) this certificate's "
                "deletion, so it cannot be reinstated: report the credit to the regulator by hand.")
        if delete is not None and delete.status in WAITING:
            delete.status = "withdrawn"
            add_event(session, delete, note="Certificate reinstated before the deletion was sent: withdrawn.")
            session.flush()
        withdrawn = [record for record in mine if record.action != "delete" and record.status == "withdrawn"]
        if withdrawn and not any(record.status in WAITING for record in mine):
            withdrawn[-1].status = "pending"
            add_event(session, withdrawn[-1], note="Certificate reinstated: to be reported again.")
    session.flush()


def sync(session: Session, regulator: str, catalogue: Catalogue) -> None:
    """Apply the follow-up rules to every certificate the signals may have missed (see the module)."""
    provider = catalogue.provider
    if regulator == "pars":
        reportable = and_(Certificate.moc_board.is_not(None), Certificate.moc_consented_at.is_not(None))
    else:
        reportable = Certificate.approval_id.in_(
            [approval.id for approval in (provider.approvals.values() if provider else ()) if approval.ce_broker])
    has_record = exists().where(ReportRecord.regulator == regulator, ReportRecord.certificate_id == Certificate.id)
    for certificate in _certificates_chunked(session, select(Certificate).where(
            Certificate.status == "valid", reportable, ~has_record).order_by(Certificate.id)):
        open_records(session, certificate, provider)
    superseded = select(Certificate).where(Certificate.status == "superseded", exists().where(
        ReportRecord.regulator == regulator, ReportRecord.certificate_id == Certificate.id))
    for certificate in list(session.scalars(superseded)):
        follow_reissue(session, certificate.superseded_by, certificate, catalogue)
    delete = aliased(ReportRecord)
    unfollowed = exists().where(
        ReportRecord.regulator == regulator, ReportRecord.certificate_id == Certificate.id,
        ReportRecord.action != "delete",
        ReportRecord.status.in_(WAITING) | (ReportRecord.status.in_(REACHED) & ~exists().where(
            delete.regulator == regulator, delete.certificate_id == Certificate.id, delete.action == "delete")),
    )
    for certificate in list(session.scalars(select(Certificate).where(Certificate.status == "revoked", unfollowed))):
        follow_revocation(session, certificate, provider)


def _certificates_chunked(session: Session, query: Select) -> Iterator[Certificate]:
    """The certificates `query` selects (ordered by id), read a chunk at a time."""
    offset_id = 0
    while True:
        chunk = list(session.scalars(query.where(Certificate.id > offset_id).limit(CHUNK)))
        if not chunk:
            return
        yield from chunk
        offset_id = chunk[-1].id


# --- The facts each record's data is built from, a chunk of records at a time --------------


def _subject_query(record_ids: list[int]) -> Select:
    replaced = aliased(ReportRecord)
    return (
        select(ReportRecord.id, ReportRecord.regulator, ReportRecord.action, replaced.payload.label("previous"),
               Certificate.course_slug, Certificate.approval_id, Certificate.completion_date, Certificate.amount,
               Certificate.moc_board, User.id.label("user_id"), User.first_name, User.last_name, User.birth_month,
               User.birth_day)
        .join(Certificate, Certificate.id == ReportRecord.certificate_id)
        .join(User, User.id == ReportRecord.user_id)
        .outerjoin(replaced, replaced.id == ReportRecord.replaces_id)
        .where(ReportRecord.id.in_(record_ids))
        .order_by(ReportRecord.id)
    )


def _cme_amounts(session: Session, rows: list[Row], catalogue: Catalogue) -> dict[tuple[int, str, str], Decimal]:
    """(user, course, approval) -> amount of the valid CME certificates the PARS rows of a chunk report beside MOC."""
    wanted = set()
    for row in rows:
        approval = catalogue.provider.approvals.get(row.approval_id) if catalogue.provider else None
        if row.regulator == "pars" and approval and approval.pars and approval.pars.cme_approval:
            wanted.add((row.user_id, row.course_slug, approval.pars.cme_approval))
    if not wanted:
        return {}
    found = session.execute(
        select(Certificate.user_id, Certificate.course_slug, Certificate.approval_id, Certificate.amount).where(
            Certificate.status == "valid", Certificate.user_id.in_({key[0] for key in wanted}),
            Certificate.approval_id.in_({key[2] for key in wanted}))
    )
    return {(user_id, course, approval): amount for user_id, course, approval, amount in found
            if (user_id, course, approval) in wanted}


def prepare_records(session: Session, record_ids: Iterable[int], catalogue: Catalogue,
                    action: str | None = None) -> dict[int, Prepared]:
    """Each record's data and problems (pre-validation), built from the profile now; a few queries per chunk.

    `action` overrides the records' own (a reissue asks what a correction would send).
    """
    ids = list(record_ids)
    prepared: dict[int, Prepared] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(_subject_query(ids[start:start + CHUNK])).all()
        user_ids = list({row.user_id for row in rows})
        board_ids: dict[int, dict[str, str]] = {}
        for user_id, board, number in session.execute(
                select(BoardId.user_id, BoardId.board, BoardId.number).where(BoardId.user_id.in_(user_ids))):
            board_ids.setdefault(user_id, {})[board] = number
        licences: dict[int, list[tuple[str, str]]] = {}
        for user_id, state, number in session.execute(
                select(Licence.user_id, Licence.state, Licence.number).where(Licence.user_id.in_(user_ids))
                .order_by(Licence.id)):
            licences.setdefault(user_id, []).append((state, number))
        cme = _cme_amounts(session, rows, catalogue)
        for row in rows:
            approval = catalogue.provider.approvals.get(row.approval_id) if catalogue.provider else None
            cme_approval = approval.pars.cme_approval if approval and approval.pars else None
            subject = Subject(
                regulator=row.regulator, action=action or row.action, course_slug=row.course_slug,
                approval_id=row.approval_id, completion_date=row.completion_date, amount=row.amount,
                moc_board=row.moc_board, first_name=row.first_name, last_name=row.last_name,
                birth_month=row.birth_month, birth_day=row.birth_day,
                board_ids=MappingProxyType(board_ids.get(row.user_id, {})),
                licences=tuple(licences.get(row.user_id, ())),
                cme_amount=cme.get((row.user_id, row.course_slug, cme_approval)), previous=row.previous,
            )
            prepared[row.id] = prepare(subject, catalogue)
    return prepared


# --- The signals ---------------------------------------------------------------------------


def _on_issued(certificate: Certificate, session: Session) -> None:
    open_records(session, certificate, current_catalogue().provider)


def _on_reissued(replacement: Certificate, session: Session, previous: Certificate) -> None:
    follow_reissue(session, replacement, previous, current_catalogue())


def _on_revoked(certificate: Certificate, session: Session) -> None:
    follow_revocation(session, certificate, current_catalogue().provider)


def _on_reinstated(certificate: Certificate, session: Session) -> None:
    follow_reinstatement(session, certificate)


def connect_signals() -> None:
    """Make and follow up report records as certificates change (called once by the app factory)."""
    certificate_reinstated.connect(_on_reinstated)
    certificate_issued.connect(_on_issued)
    certificate_reissued.connect(_on_reissued)
    certificate_revoked.connect(_on_revoked)

