"""The audit trail: one entry for every administrative action, whoever took it and however.

Role changes, certificate revocations and reissues, and every export (from the browser or the
command line) call `record_audit` in the same transaction as the action itself, so an action
that is rolled back leaves no entry and an entry never lacks its action.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import JSON, ForeignKey, Index, Select, String, select
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from course.core.clock import utcnow
from course.core.extensions import db
from course.core.operator import host, os_user

from .models import User

ACTIONS = {
    "role_change": "Role change",
    "profile_edit": "Profile corrected by an administrator",
    "name_change": "Name changed by the learner",
    "certificate_revoke": "Certificate revoked",
    "certificate_reissue": "Certificate reissued",
    "certificate_reinstate": "Certificate reinstated",
    "certificate_amount_correct": "Certificate amount corrected",
    "quiz_extra_attempt": "Extra quiz attempt granted",
    "quiz_reset": "Quiz attempts reset",
    "completion_by_hand": "Completion recorded by hand",
    "account_deactivate": "Account deactivated",
    "account_reactivate": "Account reactivated",
    "account_delete": "Account deleted",
    "password_reset_sent": "Password-reset email sent",
    "export": "Export",
    "report_batch": "Report batch made",
    "report_submit": "Report batch uploaded",
    "report_outcome": "Report outcome recorded",
    "report_correct": "Report record corrected",
    "lti_platform": "LTI platform registered",
    "lti_key_rotation": "LTI tool key rotated",
}
# What `details["via"]` says: the actor of a command-line action is not a signed-in user.
VIA_WEB = "web"
VIA_COMMAND_LINE = "command line"
VIA_LTI = "LTI launch"  # a role set from a learning system's launch


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_created_at", "created_at"),
        Index("ix_audit_entries_action_created_at", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for actions taken from the command line, where nobody is signed in.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str | None] = mapped_column(String(40))  # "user", "certificate", "report"
    target_id: Mapped[str | None] = mapped_column(String(100))  # a row id, or a report's name
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


def record_audit(
    session: Session, actor: User | None, action: str, *, target_type: str | None = None,
    target_id: int | str | None = None, details: dict | None = None, now: datetime | None = None,
) -> AuditEntry:
    """Add an entry for `action` taken by `actor` (None: the command line) and flush it.

    A command-line entry also names the operating-system user and the host that ran it, since
    nobody is signed in there.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    details = dict(details or {})
    if actor is None and details.get("via") == VIA_COMMAND_LINE:
        details.setdefault("os_user", os_user())
        details.setdefault("host", host())
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None, action=action, target_type=target_type,
        target_id=None if target_id is None else str(target_id), details=details,
        created_at=now or utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


# An actor filter value meaning "actions taken from the command line".
COMMAND_LINE_ACTOR = "command-line"


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    actor: str | None = None  # a user id as text, or COMMAND_LINE_ACTOR
    since: date | None = None
    until: date | None = None  # inclusive: the whole UTC day


def audit_query(filters: AuditFilters) -> Select:
    """Entries matching `filters`, newest first, with their actors loaded in the same query."""
    query = select(AuditEntry, User).outerjoin(User, AuditEntry.actor_id == User.id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.actor == COMMAND_LINE_ACTOR:
        query = query.where(AuditEntry.actor_id.is_(None))
    elif filters.actor:
        query = query.where(AuditEntry.actor_id == int(filters.actor))
    if filters.since:
        query = query.where(AuditEntry.created_at >= datetime.combine(filters.since, time(), UTC))
    if filters.until:
        query = query.where(AuditEntry.created_at < datetime.combine(filters.until + timedelta(days=1), time(), UTC))
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def audit_actors(session: Session) -> list[User]:
    """Everyone who appears in the audit trail as an actor, by name (for the actor filter)."""
    return list(session.scalars(
        select(User).where(User.id.in_(select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None))))
        .order_by(User.name, User.id)
    ))


def entries_about(session: Session, target_type: str, target_ids: list[int | str]) -> list[AuditEntry]:
    """The audit entries about these targets (e.g. one certificate and those it was reissued as), oldest first."""
    return list(session.scalars(
        select(AuditEntry).options(joinedload(AuditEntry.actor))
        .where(AuditEntry.target_type == target_type, AuditEntry.target_id.in_([str(i) for i in target_ids]))
        .order_by(AuditEntry.created_at, AuditEntry.id)
    ))
