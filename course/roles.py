"""Role checks for views: who may open a page is decided on the server, for every request."""
from collections.abc import Callable
from functools import wraps

from flask import abort, current_app
from flask_login import current_user

from .models import ROLES, User


def has_role(user: User, role: str) -> bool:
    """Whether `user` holds `role`; an administrator holds every role."""
    return user.role == role or user.role == "admin"


def role_required(*roles: str) -> Callable:
    """Let a view run only for a signed-in user holding one of `roles` (admins hold them all).

    A visitor who is not signed in goes through Flask-Login's unauthorized flow (a redirect to
    sign-in that comes back afterwards); a signed-in user without the role gets 403.
    """
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"role_required needs roles from {ROLES}, got {roles!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def checked_view(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not any(has_role(current_user, role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        return checked_view

    return decorator
