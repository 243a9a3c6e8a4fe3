"""Test data for the administrators' pages and exports: certificates made directly, and a signed-in admin."""
from datetime import UTC, date, datetime
from decimal import Decimal

from course.extensions import db
from course.models import User
from credits.claims import new_code
from credits.models import Certificate
from tests.factories import make_user, sign_in

COURSE = "sample-course"
COMPLETED_ON = date(2025, 7, 29)
# approval id -> (body, unit) as in tests/fixtures/content/provider.yaml and the sample course.
APPROVALS = {
    "ama-pra": ("Accreditation Council for Continuing Medical Education (ACCME)", "AMA PRA Category 1 Credit™"),
    "ancc": ("American Nurses Credentialing Center (ANCC)", "contact hour"),
    "ipce": ("Joint Accreditation for Interprofessional Continuing Education (IPCE credit)", "IPCE credit"),
    "moc-abim": ("American Board of Internal Medicine (ABIM) Maintenance of Certification (MOC)", "ABIM MOC point"),
}


def certificate_fields(user_id: int, name: str, *, approval_id: str = "ama-pra", course_slug: str = COURSE,
                       completed_on: date = COMPLETED_ON, amount: str = "1", status: str = "valid") -> dict:
    """The columns of a certificate as claims.claim_credit would fill them (without MOC details)."""
    body, unit = APPROVALS[approval_id]
    return {
        "user_id": user_id, "course_slug": course_slug, "approval_id": approval_id, "content_version": "test",
        "code": new_code(), "status": status, "issued_at": datetime.combine(completed_on, datetime.min.time(), UTC),
        "learner_name": name, "course_title": "Sample Course on Depression Care",
        "course_format": "Enduring material (online self-study)", "provider_name": "Sample CE Provider",
        "provider_address": "1 Test Street\nSpringfield, IL 62701", "completion_date": completed_on,
        "amount": Decimal(amount), "unit": unit, "approval_body": body, "approval_number": None,
        "statement": "Statement.",
        **({"revoked_at": datetime(2025, 8, 1, tzinfo=UTC), "revoked_reason": "test"} if status == "revoked" else {}),
    }


def make_certificate(user: User, *, moc_consent: bool = False, **fields) -> Certificate:
    """A certificate for `user`; with approval "moc-abim", the MOC details come from the user's profile."""
    certificate = Certificate(**certificate_fields(user.id, user.name, **fields))
    if certificate.approval_id == "moc-abim":
        certificate.moc_board = "ABIM"
        certificate.moc_board_id = next((b.number for b in user.board_ids if b.board == "ABIM"), None)
        certificate.moc_birth_month, certificate.moc_birth_day = user.birth_month, user.birth_day
        certificate.moc_consented_at = datetime(2025, 7, 29, tzinfo=UTC) if moc_consent else None
    db.session.add(certificate)
    db.session.commit()
    return certificate


def sign_in_as(client, role: str, email: str | None = None, name: str = "Ada Admin") -> User:
    user = make_user(role=role, email=email, name=name)
    sign_in(client, user.email)
    return user
