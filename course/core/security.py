"""Security headers on every response, and which proxy's forwarded headers are believed."""
from flask import Flask, current_app, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

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


def _may_be_signed_in() -> bool:
    """Whether the request carries a session or remember-me cookie naming a user, decided without
    loading the user: this runs on every response, the database's error pages included."""
    return bool(session.get("_user_id") or request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME",
                                                                                        "remember_token")))


def add_security_headers(response):
    """Add each header the view has not set itself; signed-in pages stay out of shared caches."""
    for name, value in SECURITY_HEADERS + (HTTPS_ONLY_HEADERS if request.is_secure else ()):
        response.headers.setdefault(name, value)
    if _may_be_signed_in():
        response.headers.setdefault("Cache-Control", "no-store")
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
    app.after_request(add_security_headers)
    app.wsgi_app = TrustedProxyFix(app.wsgi_app, app.config["FORWARDED_ALLOW_IPS"], app.config["PROXY_COUNT"])
