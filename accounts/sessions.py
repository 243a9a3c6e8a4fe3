"""Signed-in sessions: who a session cookie names, and when a session ends.

A session (and a remember-me cookie) names "<user id>.<session version>"; raising the user's
session version (sign-out, password change) ends every session issued under the old one.
Every request checks the version against the database (no cache), so signing out ends every
session at once.
"""
from dataclasses import dataclass

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy.orm import Session, joinedload

from course.core.clock import now
from course.core.database import read_connection

from .models import SignedInAccount, User

# Seconds between updates of the session's last-seen time. Each update changes the cookie,
# which is then signed and sent again, so it is not done on every request; the idle timeout
# can therefore end a session up to this much early, never late.
SEEN_AT_RESOLUTION = 60


@dataclass(frozen=True, eq=False)
class SignedInUser(SignedInAccount):
    """`current_user`: what every signed-in request needs to know about who is signed in.

    A view that needs more of the account (profile, licences, board IDs) or changes it loads
    the `User` row with `account_of`.
    """

    id: int
    session_version: int
    role: str
    name: str


def load_user(session_token: str) -> SignedInUser | None:
    """Flask-Login's user loader: the user named by "<id>.<session version>" if that version is still current.

    One statement on the worker's kept connection (course.core.database), before every
    signed-in request, written in SQL: building a `select()` each time would cost several times
    what the database takes to answer it.
    """
    user_id, _, version = session_token.partition(".")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    connection = read_connection()
    placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    row = connection.exec_driver_sql(
        "SELECT id, session_version, role, name FROM users"
        f" WHERE id = {placeholder} AND deactivated_at IS NULL AND deleted_at IS NULL", (int(user_id),)
    ).first()
    if row is None or row.session_version != int(version):
        return None
    return SignedInUser(*row)


def account_of(session: Session, user: SignedInUser, *, with_profile: bool = False) -> User:
    """The signed-in user's `User` row in `session` (404 if it was deleted since the request began).

    `with_profile` loads the licences and board IDs (what eligibility and the profile form read) in
    the same statement, instead of one lazy load each.
    """
    account = session.get(User, user.id, options=(
        (joinedload(User.licences), joinedload(User.board_ids)) if with_profile else ()))
    if account is None:
        abort(404)
    return account


def start_session(user: User, remember: bool = False) -> None:
    """A fresh session for a user who just proved who they are."""
    session.clear()
    login_user(SignedInUser(user.id, user.session_version, user.role, user.name), remember=remember)
    stamp = now().timestamp()
    session.update({"auth_at": stamp, "seen_at": stamp, "remember": remember})
    session.permanent = remember


def enforce_session_timeouts():
    """Before every request: sign out a session idle too long or older than the absolute limit."""
    if not current_user.is_authenticated:
        return None
    config, moment = current_app.config, now().timestamp()
    if session.get("remember"):
        idle_limit, absolute_limit = None, config["REMEMBER_COOKIE_DURATION"].total_seconds()
    else:
        idle_limit, absolute_limit = config["SESSION_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"]
    auth_at = session.setdefault("auth_at", moment)
    seen_at = session.get("seen_at", moment)
    if moment - auth_at > absolute_limit or (idle_limit and moment - seen_at > idle_limit):
        logout_user()
        session.clear()
        flash("Your session timed out. Please sign in again.", "info")
        return redirect(url_for("accounts.sign_in", next=request.full_path if request.method == "GET" else None))
    if moment - seen_at >= SEEN_AT_RESOLUTION:
        session["seen_at"] = moment
    return None
