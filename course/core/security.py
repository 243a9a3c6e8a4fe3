"""Security headers on every response, and the CSRF token signed once per session rather than per page."""
import time

from flask import Flask, current_app, g, request, session
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HTTPS_ONLY_HEADERS = (("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),)


def add_security_headers(response):
    """Add each header the view has not set itself; signed-in pages stay out of shared caches."""
    for name, value in SECURITY_HEADERS + (HTTPS_ONLY_HEADERS if request.is_secure else ()):
        response.headers.setdefault(name, value)
    if current_user.is_authenticated:
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


def init_app(app: Flask) -> None:
    app.before_request(reuse_signed_csrf_token)
    app.after_request(keep_signed_csrf_token)
    app.after_request(add_security_headers)
