"""Corrections to a learner's profile, audited with what it said before and after.

An administrator's correction needs a reason; a learner's own change of name (the name printed
on certificates, or the first and last name regulators match) is audited too, since it is what
a later reissue prints. Functions flush; the caller commits.
"""
from sqlalchemy.orm import Session

from .audit import VIA_WEB, record_audit
from .models import User
from .users import ProfileData, update_profile

NAME_FIELDS = ("name", "first_name", "last_name")
# What the audit trail and the admin pages call each field of the snapshot.
PROFILE_FIELDS = {
    "name": "Name on certificates", "first_name": "First name", "last_name": "Last name",
    "profession": "Profession", "licences": "Licences", "board_ids": "Board IDs",
    "birth": "Birth month/day",
}


class ProfileEditRefused(Exception):
    status = 422

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def profile_snapshot(user: User) -> dict[str, str]:
    """The profile as text, one entry per field of PROFILE_FIELDS (lists sorted, so order never reads as a change)."""
    return {
        "name": user.name, "first_name": user.first_name, "last_name": user.last_name,
        "profession": user.profession or "",
        "licences": "; ".join(sorted(" ".join(filter(None, (licence.state, licence.type, licence.number))) for licence in user.licences)),
        "board_ids": "; ".join(sorted(f"{entry.board} {entry.number}" for entry in user.board_ids)),
        "birth": f"{user.birth_month}/{user.birth_day}" if user.birth_month else "",
    }


def profile_changes(before: dict[str, str], after: dict[str, str]) -> dict[str, dict[str, str]]:
    """field -> {"from": ..., "to": ...} for each field that differs."""
    return {field: {"from": before[field], "to": after[field]} for field in PROFILE_FIELDS if before[field] != after[field]}


def edit_profile(session: Session, *, actor: User | None, user: User, data: ProfileData, reason: str,
                 via: str) -> dict[str, dict[str, str]]:
    """An administrator's correction of `user`'s profile; the changes made ({} if none, and then nothing is audited)."""
    reason = (reason or "").strip()
    if not reason:
        raise ProfileEditRefused("Give the reason for correcting the profile.")
    before = profile_snapshot(user)
    update_profile(session, user, data)
    changes = profile_changes(before, profile_snapshot(user))
    if changes:
        record_audit(session, actor, "profile_edit", target_type="user", target_id=user.id,
                     details={"email": user.email, "reason": reason, "changes": changes, "via": via})
    return changes


def update_own_profile(session: Session, user: User, data: ProfileData) -> dict[str, dict[str, str]]:
    """The learner's own profile change; a change of name is audited (actor: the learner). Returns the changes."""
    before = profile_snapshot(user)
    update_profile(session, user, data)
    changes = profile_changes(before, profile_snapshot(user))
    names = {field: change for field, change in changes.items() if field in NAME_FIELDS}
    if names:
        record_audit(session, user, "name_change", target_type="user", target_id=user.id,
                     details={"email": user.email, "changes": names, "via": VIA_WEB})
    return changes
