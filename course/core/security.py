"""Security headers on every response, which proxy's forwarded headers are believed, and the
CSRF token signed once per session rather than per page.

Pages are never framed (`frame-ancestors 'none'`) unless a request sets `g.frame_ancestors` to
the origins that may frame it (the LTI package does, for a learning system's platform), and
forms post only to this site unless a request adds origins in `g.form_action`.
"""
import time

from flask import Flask, current_app, g, request, session
from werkzeug.middleware.proxy_fix import ProxyFix


def content_security_policy(frame_ancestors: tuple[str, ...] = (), form_action: tuple[str, ...] = ()) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors " + (" ".join(frame_ancestors) or "'none'"),
        "form-action " + " ".join(("'self'", *form_action)),
    ])


CONTENT_SECURITY_POLICY = content_security_policy()
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HTTPS_ONLY_HEADERS = (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)


def _may_be_signed_in() -> bool:
    """Whether the request carries a session or remember-me cookie naming a user, decided without
    loading the user: this runs on every response, the database's error pages included."""
    return bool(session.get("_user_id") or request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME",
                                                                                        "remember_token")))


def add_security_headers(response):
    """Add each header the view has not set itself; signed-in pages stay out of shared caches."""
    frame_ancestors = tuple(g.get("frame_ancestors", ()))
    response.headers.setdefault(
        "Content-Security-Policy", content_security_policy(frame_ancestors, tuple(g.get("form_action", ()))))
    if not frame_ancestors:  # X-Frame-Options cannot name origins: only a page nobody may frame sends it
        response.headers.setdefault("X-Frame-Options", "DENY")
    for name, value in SECURITY_HEADERS + (HTTPS_ONLY_HEADERS if request.is_secure else ()):
        response.headers.setdefault(name, value)
    if _may_be_signed_in():
        response.headers.setdefault("Cache-Control", "no-store")
    return response


# Flask-WTF keeps the session's raw CSRF token under "csrf_token" and signs it, with a
# timestamp, for each request that renders a form (`generate_csrf`, cached in `g.csrf_token`).
# The signed token is kept in the session beside it, with when it was signed, and used again
# until half of WTF_CSRF_TIME_LIMIT has passed: every form still carries a token valid for at
# least that long, and validation is unchanged.
RAW_CSRF = "csrf_token"
SIGNED_CSRF = "csrf_signed"  # [signed token, seconds since the epoch when signed]


def reuse_signed_csrf_token() -> None:
    kept = session.get(SIGNED_CSRF)
    if kept is None or RAW_CSRF not in session:
        return
    limit = current_app.config["WTF_CSRF_TIME_LIMIT"]
    if limit is None or time.time() - kept[1] < limit / 2:
        g.csrf_token = kept[0]


def keep_signed_csrf_token(response):
    signed = g.get("csrf_token")
    if signed is not None and RAW_CSRF in session and session.get(SIGNED_CSRF, (None,))[0] != signed:
        session[SIGNED_CSRF] = [signed, time.time()]
    return response


FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX")


class TrustedProxyFix:
    """X-Forwarded-* headers are believed only from the proxy's own addresses (FORWARDED_ALLOW_IPS).

    From there, ProxyFix makes the client's address the request's remote address (which the
    rate limits count); from anywhere else the headers are dropped, so a client cannot name
    itself someone else.
    """

    def __init__(self, wsgi_app, trusted: list[str], proxies: int):
        self.trusted = frozenset(trusted)
        self.direct = wsgi_app
        self.behind_proxy = ProxyFix(wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0)

    def __call__(self, environ, start_response):
        if environ.get("REMOTE_ADDR") in self.trusted:
            return self.behind_proxy(environ, start_response)
        for header in FORWARDED_HEADERS:
            environ.pop(header, None)
        return self.direct(environ, start_response)


def init_app(app: Flask) -> None:
    app.before_request(reuse_signed_csrf_token)
    app.after_request(keep_signed_csrf_token)
    app.after_request(add_security_headers)
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["FORWARDED_ALLOW_IPS"], app.config["PROXY_COUNT"])
