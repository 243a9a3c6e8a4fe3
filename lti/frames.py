"""Running inside a platform's iframe: the session cookie and the CSP's frame-ancestors.

A page in a cross-site iframe gets only cookies marked `SameSite=None; Secure`, and the launch
itself is a cross-site POST, so a session begun by an LTI login carries that mark (over HTTPS
only: browsers refuse SameSite=None without Secure), and is Partitioned, which browsers that
block third-party cookies still keep (for that platform's pages only). Every other session keeps the app's Lax
cookie. Such a session remembers its platform's origins, and its pages may be framed by them
and by nobody else.
"""
from flask import Flask, g, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

SESSION_KEY = "lti"  # {"platform_id": ..., "origins": [...]} once launched; {"login": True} during the login


def mark_lti_session(platform_id: int | None, origins: list[str]) -> None:
    session[SESSION_KEY] = {"platform_id": platform_id, "origins": list(origins)}


def lti_session() -> dict | None:
    return session.get(SESSION_KEY)


class LtiSessionInterface(SecureCookieSessionInterface):
    """The app's signed-cookie sessions, with SameSite=None; Secure for LTI sessions over HTTPS."""

    def _cross_site(self) -> bool:
        return has_request_context() and request.is_secure and bool(session.get(SESSION_KEY))

    def get_cookie_samesite(self, app: Flask):
        return "None" if self._cross_site() else super().get_cookie_samesite(app)

    def get_cookie_secure(self, app: Flask) -> bool:
        return True if self._cross_site() else super().get_cookie_secure(app)

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """Partitioned (CHIPS): kept per top-level site, so browsers that block other third-party cookies keep it."""
        return True if self._cross_site() else super().get_cookie_partitioned(app)


def allow_platform_frames() -> None:
    """Before each request: an LTI session's pages may be framed by its platform's origins."""
    state = session.get(SESSION_KEY) or {}
    if state.get("origins"):
        g.frame_ancestors = tuple(state["origins"])


def init_app(app: Flask) -> None:
    app.session_interface = LtiSessionInterface()
    app.before_request(allow_platform_frames)
