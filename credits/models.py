"""Evaluation responses and certificates."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, CheckConstraint, ForeignKey, Index, LargeBinary, Numeric, String, Text, UniqueConstraint, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.core.clock import utcnow
from course.core.extensions import db

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

    Every printed fact is copied here when the certificate is issued, and its PDF is drawn then
    (and drawn again only when revocation or a reissue changes its status), so later edits to
    the content or to the learner's profile never change it. A name correction issues a new
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
    statement: Mapped[str] = mapped_column(Text)  # the approval's statement, then the designation's, as prescribed
    # The approval whose credit this is: its own, or for a state approval the designation it accepts,
    # so a transcript counts one hour of learning once however many boards accept it.
    credit_of: Mapped[str | None] = mapped_column(String(100))
    course_level: Mapped[str | None] = mapped_column(String(100))
    # The licence a state approval's credit was claimed for (boards such as California's require it printed).
    licence_state: Mapped[str | None] = mapped_column(String(2))
    licence_type: Mapped[str | None] = mapped_column(String(10))
    licence_number: Mapped[str | None] = mapped_column(String(40))

    # The claim behind it: attestation for variable credit, and what MOC reporting to ACCME needs.
    attested_at: Mapped[datetime | None]
    moc_board: Mapped[str | None] = mapped_column(String(20))
    moc_board_id: Mapped[str | None] = mapped_column(String(40))
    moc_birth_month: Mapped[int | None]
    moc_birth_day: Mapped[int | None]
    moc_consented_at: Mapped[datetime | None]

    # The PDF every download sends (in a table of its own, so reading certificates never reads PDFs).
    document: Mapped["CertificatePdf"] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    supersedes: Mapped["Certificate | None"] = relationship(
        remote_side=[id], back_populates="superseded_by", foreign_keys=[supersedes_id]
    )
    superseded_by: Mapped["Certificate | None"] = relationship(back_populates="supersedes", uselist=False)

    @property
    def address_lines(self) -> list[str]:
        return self.provider_address.split("\n")


class CertificatePdf(db.Model):
    """A certificate's PDF, drawn when it is issued and again when it is revoked or superseded."""

    __tablename__ = "certificate_pdfs"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)


class CertificateCredential(db.Model):
    """A certificate's signed Open Badges 3.0 credential, as served, frozen when it was first made.

    Its place in the issuer's revocation status list is the certificate's id (credits/badges/credential.py),
    so the list needs no table of its own: a bit is set when the certificate is not valid.
    """

    __tablename__ = "certificate_credentials"

    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True)
    credential: Mapped[str] = mapped_column(Text)  # the signed JSON document, byte for byte what is downloaded
    verification_method: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
