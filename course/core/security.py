"""Security headers on every response."""
from flask import Flask, request
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


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
