"""Security headers on every response.

Pages are never framed (`frame-ancestors 'none'`) unless a request sets `g.frame_ancestors` to
the origins that may frame it (the LTI package does, for a learning system's platform), and
forms post only to this site unless a request adds origins in `g.form_action`.
"""
from flask import Flask, g, request
from flask_login import current_user


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


def add_security_headers(response):
    """Add each header the view has not set itself; signed-in pages stay out of shared caches."""
    frame_ancestors = tuple(g.get("frame_ancestors", ()))
    response.headers.setdefault(
        "Content-Security-Policy", content_security_policy(frame_ancestors, tuple(g.get("form_action", ()))))
    if not frame_ancestors:  # X-Frame-Options cannot name origins: only a page nobody may frame sends it
        response.headers.setdefault("X-Frame-Options", "DENY")
    for name, value in SECURITY_HEADERS + (HTTPS_ONLY_HEADERS if request.is_secure else ()):
        response.headers.setdefault(name, value)
    if current_user.is_authenticated:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
