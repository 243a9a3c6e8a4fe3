"""The CE platform's Flask application."""
from pathlib import Path

from flask import Flask, render_template, request
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from .catalogue import ContentStore
from .database import (
    join_sqlite_write_queue, leave_sqlite_write_queue, register_database_handling, sqlite_write_intent,
)
from .config import PROJECT_DIR, load_config
from .extensions import csrf, db, limiter, login_manager, migrate
from .mail import LogMailSender
from .models import PROFESSIONS


def create_app(config: dict | None = None) -> Flask:
    """Build the app; `config` overrides what the environment says (tests pass their own)."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_DIR / "instance"),
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PROJECT_DIR / "static"),
    )
    app.config.update(load_config(Path(app.instance_path), config))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_DIR / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    _check_limits_only_in_limited_views(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    app.extensions["content"] = ContentStore(Path(app.config["CONTENT_DIR"]), app.config["CONTENT_RECHECK_SECONDS"])
    app.extensions["mail_sender"] = app.config.get("MAIL_SENDER") or LogMailSender()
    app.after_request(_security_headers)
    register_database_handling(app)

    from credits import views as credit_views
    from quizzes import views as quiz_views

    from . import admin, auth, cli, instructor, views

    app.register_blueprint(auth.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(quiz_views.bp)
    app.register_blueprint(instructor.bp)
    app.register_blueprint(credit_views.bp)
    app.register_blueprint(admin.bp)
    cli.register(app)
    app.jinja_env.filters["profession_label"] = lambda code: PROFESSIONS.get(code, code)
    _register_error_pages(app)
    return app


def _check_limits_only_in_limited_views(app: Flask) -> None:
    """Drop Flask-Limiter's check before every request.

    The platform has no default or application-wide limits, only `@limiter.limit` on a few
    views, and those decorated views check their own limits. The hook before every request
    found nothing to count, but it still resolved the (empty) limits on every page.
    """
    hooks = app.before_request_funcs[None]
    hooks.remove(limiter._check_request_limit)


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


def _security_headers(response):
    headers = response.headers
    added = list(SECURITY_HEADERS)
    if request.is_secure:
        added += HTTPS_ONLY_HEADERS
    if current_user.is_authenticated:  # pages with personal data stay out of shared caches
        added.append(("Cache-Control", "no-store"))
    present = {name.lower() for name in headers.keys()}  # a view's own value wins
    headers.extend((name, value) for name, value in added if name.lower() not in present)
    return response


def _register_error_pages(app: Flask) -> None:
    from flask_limiter import RateLimitExceeded
    from flask_wtf.csrf import CSRFError

    messages = {
        400: "The request could not be understood.",
        403: "You do not have access to this page.",
        404: "There is no page at this address.",
        405: "That action is not allowed here.",
        413: "What you sent is too large.",
        429: "Too many attempts. Please wait a minute and try again.",
        500: "Something went wrong on our side. Nothing you saved was lost; please try again.",
    }

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        if isinstance(error, CSRFError):
            message = "Your form expired or was sent without its security token. Please reload the page and try again."
        elif code == 400 and error.description != type(error).description:
            message = error.description  # abort(400, "...") with its own explanation
        else:
            message = messages.get(code, getattr(error, "description", "Error"))
        response = app.make_response((render_template("error.html", code=code, message=message), code))
        if isinstance(error, RateLimitExceeded):  # at most one window away
            response.headers["Retry-After"] = str(error.limit.limit.get_expiry())
        return response

    app.register_error_handler(CSRFError, render_error)
    for code in messages:
        app.register_error_handler(code, render_error)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers work while one writer writes; busy_timeout makes writers wait, not fail.

    synchronous=NORMAL is SQLite's setting for WAL: a commit appends to the log without waiting
    for the disk (the log is synced at checkpoints), so writers hold the write lock for less
    time. The database cannot be corrupted by a crash; a power cut can lose the last commits.
    """
    if type(dbapi_connection).__module__ == "sqlite3":
        dbapi_connection.isolation_level = None  # transactions begin in _sqlite_begin instead
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    """Requests that write take SQLite's write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads first and writes later fails at once with "database is
    locked" if another writer committed in between; an immediate one waits its turn instead.
    """
    if connection.dialect.name == "sqlite":
        if sqlite_write_intent.get():
            join_sqlite_write_queue(connection)  # see course/database.py: a queue, not busy-handler sleeps
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except Exception:
                leave_sqlite_write_queue(connection)
                raise
        else:
            connection.exec_driver_sql("BEGIN")
