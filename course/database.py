"""Per-request database behaviour: write intent for SQLite, input the database cannot store,
and surviving a lost connection."""
import re
from contextvars import ContextVar
from itertools import chain

from flask import Flask, abort, g, render_template, request
from sqlalchemy.exc import InterfaceError, OperationalError

from .extensions import db

# True while handling a request that may write; SQLite transactions then BEGIN IMMEDIATE.
sqlite_write_intent: ContextVar[bool] = ContextVar("sqlite_write_intent", default=False)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# C0 control characters other than tab, line feed and carriage return. PostgreSQL cannot store
# NUL at all, and none of them belongs in a name, an answer or a search.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def register_database_handling(app: Flask) -> None:
    # Check a pooled connection before using it, so a database restart costs one error at most.
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)

    @app.before_request
    def refuse_control_characters():
        values = chain(
            (v for _, vs in request.args.lists() for v in vs),
            (v for _, vs in request.form.lists() for v in vs),
            (str(v) for v in (request.view_args or {}).values()),
        )
        if any(CONTROL_CHARACTERS.search(value) for value in values):
            abort(400, "What you sent contains control characters, which are not allowed. Please retype it.")

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
