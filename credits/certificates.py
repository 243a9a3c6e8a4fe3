"""Certificates after the claim: their PDF, lookups, reissue and revocation, transcript totals.

What a certificate prints is frozen when it is issued, and its PDF is drawn in the same
transaction; revoking or superseding it draws the PDF again, with the notice that says so.
Functions flush; the caller commits.
"""
import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from .badges.credential import issue_for_reissue
from .errors import CertificateNotValid, CreditError
from .models import Certificate, CertificatePdf
from .pdf import certificate_pdf
from .signals import certificate_reissued, certificate_revoked

# What a reissue does not copy from the certificate it replaces: the rest is the same claim.
NEW_ON_REISSUE = frozenset({
    "id", "code", "status", "issued_at", "revoked_at", "revoked_reason", "supersedes_id", "learner_name",
})


def verify_url(code: str) -> str:
    """The public verify URL printed on the certificate, on the configured site (BASE_URL)."""
    return url_for("credits.verify", code=code, _external=True)


def draw_pdf(certificate: Certificate) -> None:
    """(Re)draw the certificate's PDF from what it says now, including its status."""
    pdf = certificate_pdf(certificate, verify_url(certificate.code))
    if certificate.document is None:
        certificate.document = CertificatePdf(pdf=pdf)
    else:
        certificate.document.pdf = pdf


def new_code() -> str:
    """A verification code: 192 random bits from the OS CSPRNG, URL-safe, unrelated to any id.

    Never one that starts with "-" (drawn again, 1 time in 64): it would read as an option on
    the command line (`flask credits revoke CODE`) and as a formula in a spreadsheet.
    """
    while (code := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return code


def current_certificate(session: Session, user_id: int, course_slug: str, approval_id: str) -> Certificate | None:
    """The learner's certificate for this course and approval that has not been superseded, if any."""
    return session.scalar(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_slug == course_slug,
        Certificate.approval_id == approval_id, Certificate.status != "superseded",
    ))


def certificates_of(session: Session, user_id: int, course_slug: str | None = None) -> list[Certificate]:
    """The learner's certificates that have not been superseded, oldest completion first."""
    query = select(Certificate).where(Certificate.user_id == user_id, Certificate.status != "superseded")
    if course_slug is not None:
        query = query.where(Certificate.course_slug == course_slug)
    return list(session.scalars(query.order_by(Certificate.completion_date, Certificate.id)))


def find_by_code(session: Session, code: str) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.code == code))


def _refuse_unless_valid(certificate: Certificate, action: str) -> None:
    if certificate.status != "valid":
        raise CertificateNotValid(f"Only a valid certificate can be {action}; this one is {certificate.status}.")


def reissue_certificate(session: Session, certificate: Certificate, *, learner_name: str, now: datetime,
                        changes: dict | None = None) -> Certificate:
    """Replace a valid certificate with one under `learner_name` and a new code; the old one is kept, superseded.

    `changes` sets other columns of the replacement (a corrected amount, the MOC details the profile holds now).
    """
    _refuse_unless_valid(certificate, "reissued")
    name = learner_name.strip()
    if not name:
        raise CreditError("The name on a certificate cannot be blank.", field="learner_name")
    certificate.status = "superseded"
    draw_pdf(certificate)
    session.flush()  # the old row leaves the unique index before the new one enters it
    copied = {
        column.key: getattr(certificate, column.key)
        for column in Certificate.__mapper__.column_attrs if column.key not in NEW_ON_REISSUE
    } | (changes or {})
    replacement = Certificate(**copied, learner_name=name, code=new_code(), status="valid", issued_at=now,
                              supersedes=certificate)
    draw_pdf(replacement)
    session.add(replacement)
    session.flush()
    issue_for_reissue(session, replacement, certificate, now=now)
    certificate_reissued.send(replacement, session=session, previous=certificate)
    return replacement


def revoke_certificate(session: Session, certificate: Certificate, *, reason: str, now: datetime) -> None:
    _refuse_unless_valid(certificate, "revoked")
    reason = reason.strip()
    if not reason:
        raise CreditError("Give the reason for revoking the certificate.", field="reason")
    certificate.status = "revoked"
    certificate.revoked_reason = reason
    certificate.revoked_at = now
    draw_pdf(certificate)
    session.flush()
    certificate_revoked.send(certificate, session=session)


def credit_totals(certificates: Iterable[Certificate]) -> list[tuple[str, Decimal]]:
    """Total credit per unit over the valid certificates, units in the order first met.

    Each course's credit counts once per unit: certificates that carry the same credit (the
    ANCC contact hour, and a state board's approval accepting it) add it once, the largest
    amount among them.
    """
    counted: dict[tuple[str, str, str], Decimal] = {}
    for certificate in certificates:
        if certificate.status == "valid":
            key = (certificate.unit, certificate.course_slug, certificate.credit_of or certificate.approval_id)
            counted[key] = max(counted.get(key, Decimal(0)), certificate.amount)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for (unit, _, _), amount in counted.items():
        totals[unit] += amount
    return list(totals.items())
