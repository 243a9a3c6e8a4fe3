"""Evaluation responses and certificates."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, CheckConstraint, ForeignKey, Index, LargeBinary, Numeric, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.extensions import db
from course.models import utcnow

CERTIFICATE_STATUSES = ("valid", "revoked", "superseded")
AMOUNT = Numeric(10, 4)


class EvaluationResponse(db.Model):
    """A learner's answers to a course's evaluation; submitted once per learner and course."""

    __tablename__ = "evaluation_responses"
    __table_args__ = (
        UniqueConstraint("user_id", "course_slug", name="uq_evaluation_responses_user_course"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(100))
    answers: Mapped[dict] = mapped_column(JSON)  # item id -> answer, for the items answered
    content_version: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Certificate(db.Model):
    """Credit claimed by one learner for one course under one approval, and what the certificate says.

    Every printed fact is copied here when the certificate is issued, so later edits to the
    content or to the learner's profile never change it. A name correction issues a new
    certificate (new code) and marks this one superseded; the partial unique index allows one
    certificate per learner, course and approval that is not superseded, so the history stays.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        Index(
            "uq_certificates_current", "user_id", "course_slug", "approval_id", unique=True,
            sqlite_where=text("status <> 'superseded'"), postgresql_where=text("status <> 'superseded'"),
        ),
        Index("ix_certificates_user_id", "user_id"),
        Index("ix_certificates_completion_date", "completion_date"),  # completion reports filter and sort by it
        CheckConstraint(f"status IN {CERTIFICATE_STATUSES}", name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL AND revoked_reason IS NOT NULL)",
            name="revoked_with_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_slug: Mapped[str] = mapped_column(String(100))
    approval_id: Mapped[str] = mapped_column(String(100))
    content_version: Mapped[str] = mapped_column(String(32))
    # Printed in the verify URL: 32 URL-safe characters from secrets.token_urlsafe (192 bits).
    code: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="valid")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    # The certificate this one replaced; a certificate is replaced at most once.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), unique=True)

    # What the certificate says, frozen at issue.
    learner_name: Mapped[str] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(300))
    course_format: Mapped[str] = mapped_column(String(200))
    provider_name: Mapped[str] = mapped_column(String(200))
    provider_address: Mapped[str] = mapped_column(Text)  # one line per address line
    completion_date: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    unit: Mapped[str] = mapped_column(String(200))
    pharmacology_hours: Mapped[Decimal | None] = mapped_column(AMOUNT)
    approval_body: Mapped[str] = mapped_column(Text)
    approval_number: Mapped[str | None] = mapped_column(String(40))
    statement: Mapped[str] = mapped_column(Text)

    # The claim behind it: attestation for variable credit, and what MOC reporting to ACCME needs.
    attested_at: Mapped[datetime | None]
    moc_board: Mapped[str | None] = mapped_column(String(20))
    moc_board_id: Mapped[str | None] = mapped_column(String(40))
    moc_birth_month: Mapped[int | None]
    moc_birth_day: Mapped[int | None]
    moc_consented_at: Mapped[datetime | None]

    supersedes: Mapped["Certificate | None"] = relationship(
        remote_side=[id], back_populates="superseded_by", foreign_keys=[supersedes_id]
    )
    superseded_by: Mapped["Certificate | None"] = relationship(back_populates="supersedes", uselist=False)

    @property
    def address_lines(self) -> list[str]:
        return self.provider_address.split("\n")


class CertificateDocument(db.Model):
    """A certificate's PDF, kept once rendered so downloading it again does not draw it again.

    The printed facts are frozen at issue, but the PDF also prints the certificate's status
    (a revoked or superseded notice) and the verify URL, whose host comes from the request;
    the row records both, and the version of the code that drew it, and is used only while
    all three still match (credits/documents.py).
    In a table of its own so that loading a certificate never loads the PDF.
    """

    __tablename__ = "certificate_documents"
    __table_args__ = (CheckConstraint(f"status IN {CERTIFICATE_STATUSES}", name="status"),)

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))  # the certificate's status when rendered
    verify_url: Mapped[str] = mapped_column(Text)
    layout: Mapped[str] = mapped_column(String(16))  # documents.LAYOUT_VERSION: the code that drew it
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
