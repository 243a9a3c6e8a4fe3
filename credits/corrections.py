"""Corrections of certificates by administrators: what a certificate holds that the profile now says
otherwise (for deciding on a reissue), reinstating a revoked certificate, correcting a claimed amount.

A certificate freezes the name it prints (and, for MOC credit, the board ID and birth month/day
reported to ACCME) when it is issued; after a profile correction those can differ, and a reissue
is what brings them in line.
"""
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from accounts.audit import record_audit
from accounts.models import User
from course.content.model import Catalogue, Designation
from course.core.clock import as_utc
from course.core.filters import format_amount

from .certificates import draw_pdf, reissue_certificate
from .claims import CLAIM_STEP
from .errors import CertificateNotValid, CreditError
from .models import Certificate
from .signals import certificate_reinstated


@dataclass(frozen=True)
class Difference:
    label: str
    on_certificate: str
    in_profile: str


def _birth(month: int | None, day: int | None) -> str:
    return f"{month}/{day}" if month else ""


def profile_updates(certificate: Certificate, user: User) -> dict:
    """The certificate's columns a reissue would take from the profile now, for those that differ."""
    updates = {}
    if certificate.learner_name != user.name.strip():
        updates["learner_name"] = user.name.strip()
    if certificate.moc_board:
        board_id = next((entry.number for entry in user.board_ids if entry.board == certificate.moc_board), None)
        if board_id and board_id != certificate.moc_board_id:
            updates["moc_board_id"] = board_id
        if user.birth_month and (user.birth_month, user.birth_day) != (certificate.moc_birth_month,
                                                                         certificate.moc_birth_day):
            updates["moc_birth_month"], updates["moc_birth_day"] = user.birth_month, user.birth_day
    return updates


def profile_differences(certificate: Certificate, user: User) -> list[Difference]:
    """Each detail a reissue would change, as the certificate has it and as the profile has it."""
    updates = profile_updates(certificate, user)
    differences = []
    if "learner_name" in updates:
        differences.append(Difference("Name printed", certificate.learner_name, updates["learner_name"]))
    if "moc_board_id" in updates:
        differences.append(Difference(f"{certificate.moc_board} ID reported", certificate.moc_board_id or "",
                                      updates["moc_board_id"]))
    if "moc_birth_month" in updates:
        differences.append(Difference(
            "Birth month/day reported", _birth(certificate.moc_birth_month, certificate.moc_birth_day),
            _birth(updates["moc_birth_month"], updates["moc_birth_day"])))
    return differences


def differences_by_certificate(certificates, user: User) -> dict[int, list[Difference]]:
    """certificate id -> its differences, for the valid certificates among `certificates` that have any."""
    return {certificate.id: differences for certificate in certificates
            if certificate.status == "valid" and (differences := profile_differences(certificate, user))}


# --- Corrections of a certificate by an administrator ---------------------------------------


def reinstate(session: Session, certificate: Certificate, *, reason: str, actor: User | None, via: str,
              now: datetime) -> None:
    """Make a revoked certificate valid again under its own code (a revocation made in error), audited.

    The revocation's date and reason move to the audit entry, which keeps the history; the PDF
    is drawn again without the revocation notice. Reporting follows through `certificate_reinstated`.
    """
    if certificate.status != "revoked":
        raise CertificateNotValid(f"Only a revoked certificate can be reinstated; this one is {certificate.status}.")
    reason = (reason or "").strip()
    if not reason:
        raise CreditError("Give the reason for reinstating the certificate.", field="reason")
    revoked_at, revoked_reason = certificate.revoked_at, certificate.revoked_reason
    certificate.status, certificate.revoked_at, certificate.revoked_reason = "valid", None, None
    draw_pdf(certificate)
    session.flush()
    certificate_reinstated.send(certificate, session=session)
    record_audit(session, actor, "certificate_reinstate", target_type="certificate", target_id=certificate.id, now=now,
                 details={"code": certificate.code, "reason": reason, "revoked_at": as_utc(revoked_at).isoformat(),
                          "revoked_reason": revoked_reason, "via": via})


def corrected_amount(certificate: Certificate, designation: Designation, text: str) -> Decimal:
    """The amount an administrator typed, checked against the course's designation for the certificate's credit."""
    try:
        amount = Decimal((text or "").strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise CreditError("Enter the amount as a number, such as 0.75.", field="amount")
    maximum = f"{format_amount(designation.amount)} {designation.unit}"
    if designation.claim == "variable":
        if amount <= 0 or amount > designation.amount:
            raise CreditError(f"The amount must be more than zero and at most {maximum}.", field="amount")
        if amount % CLAIM_STEP:
            raise CreditError("Use steps of 0.25, such as 0.5 or 0.75.", field="amount")
    elif amount != designation.amount:
        raise CreditError(f"This credit is awarded whole: the only amount is {maximum}.", field="amount")
    if amount == certificate.amount:
        raise CreditError(f"The certificate already awards {format_amount(amount)} {certificate.unit}.",
                          field="amount")
    return amount


def designation_for(certificate: Certificate, catalogue: Catalogue) -> Designation:
    course = catalogue.courses.get(certificate.course_slug)
    designation = next((d for d in course.designations if d.approval_id == certificate.approval_id), None) \
        if course else None
    if designation is None:
        raise CreditError("The course no longer designates this credit, so its amount cannot be checked.")
    return designation


def correct_amount(session: Session, certificate: Certificate, *, amount: str, reason: str, catalogue: Catalogue,
                   actor: User | None, via: str, now: datetime) -> Certificate:
    """Reissue a valid certificate with a corrected amount within the designation; the old one stays, superseded."""
    if certificate.status != "valid":
        raise CertificateNotValid(f"Only a valid certificate can be corrected; this one is {certificate.status}.")
    reason = (reason or "").strip()
    if not reason:
        raise CreditError("Give the reason for correcting the amount.", field="reason")
    new_amount = corrected_amount(certificate, designation_for(certificate, catalogue), amount)
    replacement = reissue_certificate(session, certificate, learner_name=certificate.learner_name, now=now,
                                      changes={"amount": new_amount})
    record_audit(session, actor, "certificate_amount_correct", target_type="certificate", target_id=certificate.id,
                 now=now, details={"code": certificate.code, "replacement_id": replacement.id,
                                   "replacement_code": replacement.code, "reason": reason,
                                   "old_amount": format_amount(certificate.amount),
                                   "new_amount": format_amount(new_amount), "via": via})
    return replacement
