"""Per-request database behaviour: write intent for SQLite, input the database cannot store,
and surviving a lost connection."""
import fcntl
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import chain

from flask import Flask, abort, g, render_template, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from .extensions import db

# True while handling a request that may write; SQLite transactions then BEGIN IMMEDIATE.
sqlite_write_intent: ContextVar[bool] = ContextVar("sqlite_write_intent", default=False)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# How long a writer waits in the queue below before it asks SQLite anyway (its busy_timeout).
WRITE_QUEUE_TIMEOUT = 10.0
# C0 control characters other than tab, line feed and carriage return. PostgreSQL cannot store
# NUL at all, and none of them belongs in a name, an answer or a search.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def register_database_handling(app: Flask) -> None:
    # Check a pooled connection before using it, so a database server's restart costs one
    # error at most. A SQLite file has no server to lose, so it is spared the extra query.
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)

    @app.before_request
    def refuse_control_characters():
        values = chain(
            (v for _, vs in request.args.lists() for v in vs) if request.query_string else (),
            (v for _, vs in request.form.lists() for v in vs) if request.method not in SAFE_METHODS else (),
            (str(v) for v in (request.view_args or {}).values()),
        )
        if any(CONTROL_CHARACTERS.search(value) for value in values):
            abort(400, "What you sent contains control characters, which are not allowed. Please retype it.")

    @app.before_request
    def note_write_intent():
        view = app.view_functions.get(request.endpoint)
        writes = request.method not in SAFE_METHODS and not getattr(view, "writes_in_write_transaction", False)
        g.sqlite_write_intent_token = sqlite_write_intent.set(writes)

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


def writes_in_write_transaction(view):
    """Mark a form view that writes only inside `write_transaction()` blocks.

    Its request then begins as a reader (deferred BEGIN) instead of taking SQLite's write lock
    at its first query, so what it reads and computes does not keep other writers waiting.
    """
    view.writes_in_write_transaction = True
    return view


@contextmanager
def write_transaction(session: Session) -> Iterator[None]:
    """Run the block as its own short write transaction, committed at the end.

    For a request that reads (and computes) first and writes little: what it read is
    committed away first, so on SQLite the write lock (BEGIN IMMEDIATE, behind the queue
    below) is held only for the block, and the block begins from the newest snapshot instead
    of failing on an older one. The block must re-check, in its own statements, whatever it
    relies on that another request could have changed since (a conditional UPDATE, an
    insert under a unique constraint).
    """
    session.commit()
    token = sqlite_write_intent.set(True)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        sqlite_write_intent.reset(token)


# --- Prebuilt statements ------------------------------------------------------------------
#
# Building a select() in SQLAlchemy (each `column == value` makes expression and bind objects,
# and the statement's cache key is worked out again) costs more than SQLite takes to run a
# small indexed query: a module page's "has the learner read this module" lookup took 205 us,
# 80 of them building the statement. The queries every page runs are therefore built once at
# import, with bindparam() where the values go, and run as session.scalar(STATEMENT, {...}).
# (sqlalchemy.lambda_stmt, made for this, measured slower here than building afresh.)

# --- SQLite writers queue on a lock file -------------------------------------------------
#
# SQLite lets one writer in at a time. A writer that finds the write lock taken sleeps in the
# busy handler in growing steps (1, 2, 5, 10 ... up to 100 ms) and tries again, so under
# concurrent form posts from several gunicorn workers a submission could sleep for most of a
# second while the lock stood free (bench/README.md: quiz submission p95). Write transactions
# therefore first take an exclusive flock on "<database>.write-queue", polled every
# millisecond at most, and BEGIN IMMEDIATE only once they hold it; they let it go as the
# transaction ends. SQLite's own lock still guards the data: the queue only decides who asks
# next, and after WRITE_QUEUE_TIMEOUT a writer asks SQLite anyway.

_queue_fds: dict[int, int] = {}  # id(Connection) -> the lock file descriptor it holds


def join_sqlite_write_queue(connection: Connection) -> None:
    """Wait for this process's turn to write to the SQLite file behind `connection`."""
    database = connection.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    fd = os.open(f"{database}.write-queue", os.O_RDWR | os.O_CREAT, 0o600)
    delay, deadline = 0.0001, time.monotonic() + WRITE_QUEUE_TIMEOUT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                break  # leave it to SQLite's busy_timeout
            time.sleep(delay)
            delay = min(delay * 2, 0.001)
    _queue_fds[id(connection)] = fd


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def leave_sqlite_write_queue(connection: Connection) -> None:
    fd = _queue_fds.pop(id(connection), None)  # not connection.info: an invalidated connection refuses it
    if fd is not None:
        os.close(fd)  # closing the only descriptor releases the flock
