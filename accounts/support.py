"""Account support by administrators: deactivating, reactivating and deleting accounts, password-reset emails.

Deleting keeps the account's row, so certificates (which copy the printed name when issued)
stay verifiable and records that point at the account keep pointing somewhere; everything that
identifies the person in the account itself is erased. Functions flush; the caller commits.
"""
from datetime import datetime

from sqlalchemy.orm import Session

from .audit import record_audit
from .models import User
from .users import end_all_sessions

DELETED_NAME = "Deleted account"
# A password hash no password matches (argon2 refuses it as malformed), so a deleted account never signs in.
NO_PASSWORD = "!deleted"


class AccountRefused(Exception):
    status = 409

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status or self.status


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise AccountRefused("Give the reason.", 422)
    return reason


def _refuse_own(actor: User | None, user: User, doing: str) -> None:
    if actor is not None and actor.id == user.id:
        raise AccountRefused(f"You cannot {doing} your own account: ask another administrator.")
    if user.deleted_at is not None:
        raise AccountRefused("This account is deleted.")


def deactivate(session: Session, *, actor: User | None, user: User, reason: str, via: str, now: datetime) -> None:
    """Stop the account signing in (its sessions end at once); everything it holds stays."""
    reason = _reason(reason)
    _refuse_own(actor, user, "deactivate")
    if user.deactivated_at is not None:
        raise AccountRefused("This account is already deactivated.")
    user.deactivated_at = now
    end_all_sessions(session, user)
    record_audit(session, actor, "account_deactivate", target_type="user", target_id=user.id, now=now,
                 details={"email": user.email, "reason": reason, "via": via})


def reactivate(session: Session, *, actor: User | None, user: User, reason: str, via: str, now: datetime) -> None:
    reason = _reason(reason)
    _refuse_own(actor, user, "reactivate")
    if user.deactivated_at is None:
        raise AccountRefused("This account is active.")
    user.deactivated_at = None
    session.flush()
    record_audit(session, actor, "account_reactivate", target_type="user", target_id=user.id, now=now,
                 details={"email": user.email, "reason": reason, "via": via})


def delete_account(session: Session, *, actor: User | None, user: User, reason: str, via: str, now: datetime) -> None:
    """Erase who the account belongs to; its certificates keep the name they printed and stay verifiable.

    Kept, without a person attached: quiz attempts, completions and evaluation answers (they
    count in the statistics), certificates and their report records. The audit entry keeps
    the reason, not the email.
    """
    reason = _reason(reason)
    _refuse_own(actor, user, "delete")
    user.email = f"deleted-{user.id}@deleted.invalid"
    user.name, user.first_name, user.last_name = DELETED_NAME, "", ""
    user.password_hash = NO_PASSWORD
    user.role = "learner"
    user.profession = user.birth_month = user.birth_day = user.nabp_eprofile_id = None
    user.licences.clear()
    user.board_ids.clear()
    user.deleted_at = now
    user.deactivated_at = user.deactivated_at or now
    end_all_sessions(session, user)
    record_audit(session, actor, "account_delete", target_type="user", target_id=user.id, now=now,
                 details={"reason": reason, "via": via})


def password_reset_message(link: str) -> tuple[str, str]:
    """(subject, body) of the email carrying a password-reset link, whoever asked for it."""
    return ("Reset your password",
            f"Use this link within an hour to choose a new password:\n\n{link}\n\n"
            "If you did not ask for this, ignore this message; your password is unchanged.")


def record_reset_sent(session: Session, *, actor: User | None, user: User, via: str, now: datetime) -> None:
    if not user.is_active:
        raise AccountRefused("A deactivated or deleted account cannot reset its password: reactivate it first.")
    record_audit(session, actor, "password_reset_sent", target_type="user", target_id=user.id, now=now,
                 details={"email": user.email, "via": via})
