"""What each audit entry's target is, in words: a learner's name and email, not "Account 15".

One query per kind of target on the page (accounts, certificates), whatever the number of rows.
"""
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.audit import AuditEntry
from accounts.models import User
from credits.models import Certificate


def _person(name: str | None, email: str | None) -> str:
    return f"{name} ({email})" if email else (name or "an unknown account")


def target_labels(session: Session, entries: Iterable[AuditEntry]) -> dict[tuple[str, str], str]:
    """(target type, target id) -> a label for every entry's target that is a row we can still name."""
    ids: dict[str, set[int]] = {"user": set(), "certificate": set()}
    for entry in entries:
        if entry.target_type in ids and entry.target_id and entry.target_id.isdigit():
            ids[entry.target_type].add(int(entry.target_id))
    labels: dict[tuple[str, str], str] = {}
    if ids["user"]:
        for user_id, name, email in session.execute(
            select(User.id, User.name, User.email).where(User.id.in_(ids["user"]))
        ):
            labels[("user", str(user_id))] = _person(name, email)
    if ids["certificate"]:
        for certificate_id, course_title, approval_body, learner_name, email in session.execute(
            select(Certificate.id, Certificate.course_title, Certificate.approval_body, Certificate.learner_name,
                   User.email)
            .outerjoin(User, User.id == Certificate.user_id).where(Certificate.id.in_(ids["certificate"]))
        ):
            labels[("certificate", str(certificate_id))] = (
                f"{_person(learner_name, email)}: {course_title}, {approval_body}"
            )
    return labels
