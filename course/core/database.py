"""How the app uses its database: SQLite's settings, the write lock, and values it cannot store.

One rule for transactions: a request that may write (any method but GET, HEAD, OPTIONS), and a
command that writes, starts its transaction with `take_write_lock`. On SQLite that is
`BEGIN IMMEDIATE`, so a writer waits its turn (up to the busy timeout) instead of failing when
another writer commits between its first read and its first write; other transactions
`BEGIN` as readers, which in WAL mode never wait for a writer. On PostgreSQL nothing changes.
"""
import re
from itertools import chain

from flask import Flask, abort, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 10_000
WRITE_LOCK = "sqlite_write_lock"  # the execution option `take_write_lock` sets
# C0 control characters other than tab, line feed and carriage return. PostgreSQL cannot store
# NUL at all, and none of them belongs in a name, an answer or a search.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def take_write_lock(session: Session) -> None:
    """Begin `session`'s transaction as a writer (see the module's docstring); call before its first query."""
    session.connection(execution_options={WRITE_LOCK: True})


def _sqlite_settings(dbapi_connection, connection_record) -> None:
    """WAL lets readers work while one writer writes; busy_timeout makes writers wait, not fail.

    synchronous=NORMAL is SQLite's setting for WAL: a commit appends to the log without waiting
    for the disk (the log is synced at checkpoints). A crash cannot corrupt the database; a
    power cut can lose the last commits.
    """
    dbapi_connection.isolation_level = None  # the driver leaves BEGIN to _begin_sqlite_transaction
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite_transaction(connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_LOCK, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _refuse_control_characters() -> None:
    body = request.method not in SAFE_METHODS
    values = chain(
        (v for k, vs in request.args.lists() for v in (k, *vs)),
        (v for k, vs in request.form.lists() for v in (k, *vs)) if body else (),
        (v for k, f in request.files.items(multi=True) for v in (k, f.filename or "")) if body else (),
        (str(v) for v in (request.view_args or {}).values()),
    )
    if any(CONTROL_CHARACTERS.search(value) for value in values):
        abort(400, "What you sent contains control characters, which are not allowed. Please retype it.")


def _writers_take_the_write_lock() -> None:
    if request.method not in SAFE_METHODS:
        take_write_lock(db.session)


def init_app(app: Flask) -> None:
    """Attach the SQLite settings to the app's engine, and the request checks above."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_settings)
        event.listen(engine, "begin", _begin_sqlite_transaction)
    app.before_request(_refuse_control_characters)
    app.before_request(_writers_take_the_write_lock)


def owned_or_404(model, row_id: int, owner_id: int):
    """The `model` row with this id if it belongs to `owner_id`; 404 otherwise.

    Someone else's row is answered exactly as a missing one, so ids reveal nothing.
    """
    row = db.session.get(model, row_id)
    if row is None or row.user_id != owner_id:
        abort(404)
    return row
