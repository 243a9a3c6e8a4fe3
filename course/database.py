"""Per-request database behaviour: write intent for SQLite, and surviving a lost connection."""
from contextvars import ContextVar

from flask import Flask, g, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError

from .extensions import db

# True while handling a request that may write; SQLite transactions then BEGIN IMMEDIATE.
sqlite_write_intent: ContextVar[bool] = ContextVar("sqlite_write_intent", default=False)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def register_database_handling(app: Flask) -> None:
    # Check a pooled connection before using it, so a database restart costs one error at most.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)

    @app.before_request
    def note_write_intent():
        g.sqlite_write_intent_token = sqlite_write_intent.set(request.method not in SAFE_METHODS)

    @app.teardown_request
    def forget_write_intent(error=None):
        token = g.pop("sqlite_write_intent_token", None)
        if token is not None:
            sqlite_write_intent.reset(token)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error):
        """The connection failed mid-request: undo the transaction and say so plainly."""
        db.session.rollback()
        app.logger.warning("database unavailable: %s", error)
        message = "The database is unavailable for a moment. Nothing from this request was saved; please try again."
        return render_template("error.html", code=503, message=message), 503
