"""Security headers on every response, and which proxy's forwarded headers are believed.

Pages are never framed (`frame-ancestors 'none'`) unless a request sets `g.frame_ancestors` to
the origins that may frame it (the LTI package does, for a learning system's platform), and
forms post only to this site unless a request adds origins in `g.form_action`.
"""
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
