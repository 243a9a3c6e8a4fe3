"""What has been, and must be, reported to regulators: report records, batches, and each record's history.

A report record is one thing a regulator must receive about one certificate: its completion
(`add`), a change to what was sent (`correct`), or its withdrawal after a revocation
(`delete`). Its status moves

    pending -> in_batch -> submitted -> accepted | rejected
    rejected -> corrected -> in_batch -> resubmitted -> accepted | rejected
    pending | rejected | corrected -> withdrawn   (the certificate was revoked before anything reached the regulator)

A record follows its certificate through reissues (the reissued certificate takes over its
records), so all of one learner's reporting for one course and credit hangs off the
certificate that is current. The constraints hold the rules: one `add` and one `delete` per
certificate and regulator, at most one record waiting to be sent (pending, rejected or
corrected) per certificate and regulator, and a record is in at most one batch at a time
(`batch_id` is one column: its open batch, or the last one it was sent in).
"""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.core.clock import utcnow
from course.core.extensions import db

REGULATORS = {"pars": "ACCME (PARS)", "ce-broker": "CE Broker"}
ACTIONS = ("add", "correct", "delete")
STATUSES = ("pending", "in_batch", "submitted", "accepted", "rejected", "corrected", "resubmitted", "withdrawn")
WAITING = ("pending", "rejected", "corrected")  # not yet sent, or to be sent again
BATCHABLE = ("pending", "corrected")
SENT = ("submitted", "resubmitted")  # uploaded, outcome not yet recorded
REACHED = ("in_batch", "submitted", "resubmitted", "accepted")  # what the regulator holds, or will once uploaded
BATCH_STATUSES = ("open", "submitted", "closed")


def _in(values) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


class ReportBatch(db.Model):
    """One upload to a regulator: made (open), uploaded (submitted), every outcome recorded (closed)."""

    __tablename__ = "report_batches"
    __table_args__ = (
        CheckConstraint(f"regulator IN {_in(REGULATORS)}", name="regulator"),
        CheckConstraint(f"status IN {_in(BATCH_STATUSES)}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    regulator: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    record_count: Mapped[int] = mapped_column(default=0)
    row_count: Mapped[int] = mapped_column(default=0)  # rows of the upload file (a PARS correction takes two)


class ReportRecord(db.Model):
    __tablename__ = "report_records"
    __table_args__ = (
        CheckConstraint(f"regulator IN {_in(REGULATORS)}", name="regulator"),
        CheckConstraint(f"action IN {_in(ACTIONS)}", name="action"),
        CheckConstraint(f"status IN {_in(STATUSES)}", name="status"),
        CheckConstraint("status <> 'in_batch' OR batch_id IS NOT NULL", name="in_batch_has_batch"),
        Index("uq_report_records_add", "regulator", "certificate_id", unique=True,
              sqlite_where=text("action = 'add'"), postgresql_where=text("action = 'add'")),
        Index("uq_report_records_delete", "regulator", "certificate_id", unique=True,
              sqlite_where=text("action = 'delete'"), postgresql_where=text("action = 'delete'")),
        Index("uq_report_records_waiting", "regulator", "certificate_id", unique=True,
              sqlite_where=text(f"status IN {_in(WAITING)}"), postgresql_where=text(f"status IN {_in(WAITING)}")),
        Index("ix_report_records_regulator_status", "regulator", "status", "completion_date"),
        Index("ix_report_records_certificate_id", "certificate_id"),
        Index("ix_report_records_batch_id", "batch_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    regulator: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    completion_date: Mapped[date]
    due_on: Mapped[date | None]  # the regulator's deadline, where it sets one (CE Broker: 30 days)
    # For a correction or a delete: the record whose data, as sent, this one changes or withdraws.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("report_records.id"))
    # The learner data as last written into a batch (None until then): what the regulator holds.
    payload: Mapped[dict | None] = mapped_column(JSON)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("report_batches.id"))
    times_sent: Mapped[int] = mapped_column(default=0)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    replaces: Mapped["ReportRecord | None"] = relationship(remote_side=[id])
    batch: Mapped[ReportBatch | None] = relationship()
    events: Mapped[list["ReportEvent"]] = relationship(order_by="ReportEvent.id", cascade="all, delete-orphan",
                                                       passive_deletes=True)


class ReportBatchItem(db.Model):
    """A record as it was written into one batch's file: the learner data, and where in the file."""

    __tablename__ = "report_batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "record_id", name="uq_report_batch_items_batch_record"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("report_batches.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("report_records.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict] = mapped_column(JSON)
    previous_payload: Mapped[dict | None] = mapped_column(JSON)  # what a correction or delete takes back
    first_row: Mapped[int | None]  # the file row (1 = the first line) of its first row; None for what is done by hand
    rows: Mapped[int] = mapped_column(default=1)


class ReportEvent(db.Model):
    """One step in a record's history: the status it moved to, when, by whom, why."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("report_records.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("report_batches.id", ondelete="SET NULL"))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    via: Mapped[str | None] = mapped_column(String(20))  # web, command line, or None when the platform did it
    note: Mapped[str | None] = mapped_column(Text)
