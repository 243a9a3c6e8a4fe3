"""Roles, defined once: what each role may do is the roles below it and its own.

A learner takes courses; an instructor also sees the instructors' pages; an administrator
also sees the administrators' pages. Whether a user may open a page is decided on the server,
for every request, by `role_required`.
"""
from collections.abc import Callable
from functools import wraps

from flask import abort, current_app
from flask_login import current_user

ROLES = ("learner", "instructor", "admin")  # lowest first: each holds the ones before it


def check_role(role: str) -> str:
    """`role` if it is one of ROLES; ValueError otherwise."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    return role


def role_at_least(role: str, needed: str) -> bool:
    """Whether someone holding `role` may do what `needed` may do."""
    return ROLES.index(check_role(role)) >= ROLES.index(check_role(needed))


def role_required(role: str) -> Callable:
    """Let a view run only for a signed-in user holding `role` or a higher one.

    A visitor who is not signed in goes through Flask-Login's unauthorized flow (a redirect to
    sign-in that comes back afterwards); a signed-in user without the role gets 403.
    """
    check_role(role)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def checked_view(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not role_at_least(current_user.role, role):
                abort(403)
            return view(*args, **kwargs)

        return checked_view

    return decorator
