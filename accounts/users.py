"""Account rules: registration, authentication, profile changes, roles, password resets.

Plain functions on a Session: no request objects here. They flush; the caller commits.
"""
import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import urlsplit

from itsdangerous import BadData, URLSafeTimedSerializer

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.core.roles import check_role

from .audit import VIA_WEB, record_audit
from .models import BoardId, Licence, User
from .passwords import hash_password, needs_rehash, verify_against_nothing, verify_password


class EmailTaken(Exception):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def split_full_name(full_name: str) -> tuple[str, str]:
    """(first name, last name) guessed from one name: the last word is the last name, the rest the first.

    Used only where a person gave a single name (accounts made before first and last names were
    asked for, `flask users create-admin`); "Mary Ann van Dyke" gives ("Mary Ann van", "Dyke"),
    which the profile lets them correct.
    """
    words = full_name.split()
    return " ".join(words[:-1]), words[-1] if words else ""


def register_user(session: Session, *, name: str, email: str, password: str, role: str = "learner",
                  first_name: str | None = None, last_name: str | None = None) -> User:
    """Create a user; raise EmailTaken if the email (in any case) already has an account.

    `name` is the name for certificates; without `first_name` and `last_name` they are split from it.
    """
    check_role(role)
    email = normalise_email(email)
    password_hash = hash_password(password)  # before the lookup, so a taken email costs the same time
    if find_user_by_email(session, email) is not None:
        raise EmailTaken(email)
    if first_name is None or last_name is None:
        first_name, last_name = split_full_name(name)
    user = User(name=name.strip(), first_name=first_name.strip(), last_name=last_name.strip(), email=email,
                password_hash=password_hash, role=role)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as error:  # two registrations racing for one email
        raise EmailTaken(email) from error
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = find_user_by_email(session, email)
    if user is None:
        verify_against_nothing(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user


@dataclass(frozen=True)
class ProfileData:
    name: str  # as printed on certificates
    first_name: str
    last_name: str
    profession: str
    licences: list[tuple[str, str, str]]  # (state, licence type, number)
    board_ids: list[tuple[str, str]]  # (board, id)
    birth_month: int | None
    birth_day: int | None


def update_profile(session: Session, user: User, data: ProfileData) -> None:
    """Replace the user's profile with `data` (already validated)."""
    user.name = data.name.strip()
    user.first_name = data.first_name.strip()
    user.last_name = data.last_name.strip()
    user.profession = data.profession
    user.birth_month = data.birth_month
    user.birth_day = data.birth_day
    wanted = {(state, number.strip()): licence_type for state, licence_type, number in data.licences}
    for licence in list(user.licences):
        if (licence.state, licence.number) not in wanted:
            user.licences.remove(licence)
        else:
            licence.type = wanted[(licence.state, licence.number)] or None
    existing = {(licence.state, licence.number) for licence in user.licences}
    for state, licence_type, number in data.licences:
        if (state, number.strip()) not in existing:
            user.licences.append(Licence(state=state, type=licence_type or None, number=number.strip()))
            existing.add((state, number.strip()))
    boards = dict(data.board_ids)
    for board_id in list(user.board_ids):
        if boards.get(board_id.board) != board_id.number:
            user.board_ids.remove(board_id)
    session.flush()
    present = {board_id.board for board_id in user.board_ids}
    for board, number in data.board_ids:
        if board not in present:
            user.board_ids.append(BoardId(board=board, number=number.strip()))
    session.flush()


class RoleChangeRefused(Exception):
    pass


SELF_DEMOTION_MESSAGE = (
    "You cannot remove your own administrator role: ask another administrator to do it. "
    "This keeps the platform from being left without an administrator by mistake."
)


def change_role(session: Session, *, actor: User | None, user: User, role: str, via: str = VIA_WEB) -> bool:
    """Give `user` the `role`, audited; False if they hold it already.

    `actor` is None from the command line. Administrators cannot demote themselves (see
    SELF_DEMOTION_MESSAGE), which also means the last administrator cannot be demoted from the web.
    """
    check_role(role)
    if actor is not None and actor.id == user.id and role != "admin":
        raise RoleChangeRefused(SELF_DEMOTION_MESSAGE)
    previous = user.role
    if previous == role:
        return False
    user.role = role
    record_audit(session, actor, "role_change", target_type="user", target_id=user.id,
                 details={"email": user.email, "from": previous, "to": role, "via": via})
    return True


def is_safe_redirect(target: str | None) -> bool:
    """Only paths on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and all(ord(c) >= 32 for c in target)


def end_all_sessions(session: Session, user: User) -> None:
    """Invalidate every session and remember-me cookie the user has (see User.session_version)."""
    user.session_version += 1
    session.flush()


class WrongPassword(Exception):
    pass


def change_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    """Set a new password after checking the current one; ends every other session."""
    if not verify_password(user.password_hash, current_password):
        raise WrongPassword
    set_password(session, user, new_password)


def set_password(session: Session, user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    end_all_sessions(session, user)


class ResetTokenUsed(Exception):
    pass


def reset_password_once(session: Session, user: User, new_password: str) -> None:
    """Set the password a reset token allows, once: in one UPDATE conditional on the password hash the
    token was checked against, so of simultaneous uses of one token exactly one succeeds."""
    checked_hash = user.password_hash
    result = session.execute(
        update(User).where(User.id == user.id, User.password_hash == checked_hash)
        .values(password_hash=hash_password(new_password), session_version=User.session_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ResetTokenUsed
    session.refresh(user)


RESET_SALT = "password-reset"


def _reset_fingerprint(user: User) -> str:
    """Changes whenever the password does, so a used reset token cannot be used again."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User, secret_key: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt=RESET_SALT).dumps({"user": user.id, "fp": _reset_fingerprint(user)})


def user_for_reset_token(session: Session, token: str, secret_key: str, max_age_seconds: int) -> User | None:
    """The user a reset token was issued to, or None if it is forged, expired or already used."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=RESET_SALT).loads(token, max_age=max_age_seconds)
    except BadData:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    user = session.get(User, data["user"])
    if user is None or not hmac.compare_digest(str(data.get("fp", "")), _reset_fingerprint(user)):
        return None
    return user
