"""How the app uses its database: reads, writes, SQLite's settings, and values it cannot store.

**Reads go through `reads()`, writes through `db.session`.**

- `reads()` is the request's read-only ORM session, on a connection the worker keeps open in
  autocommit: no connection checkout, no BEGIN, nothing to roll back at the end. Each statement
  sees what was committed last. A view that only shows things uses it, and so does the
  signed-in user's load before every request (`accounts.sessions.load_user`). Where the pool
  pings its connections before use (PostgreSQL), the kept connection is pinged at its first use
  in each request and replaced if the server dropped it, so a database restart costs no
  request here either.
- `db.session` (Flask-SQLAlchemy's) is one transaction, committed by the view or command. A
  view that writes reads through it too, so what it checks and what it writes are one
  transaction; it is opened at its first use, so a view that never writes never pays for it.

One rule for write transactions: in a request that may write (any method but GET, HEAD,
OPTIONS), `db.session` begins its transaction as a writer at its first statement, and a command
that writes starts its transaction with `take_write_lock`. On SQLite that is `BEGIN IMMEDIATE`,
so a writer waits its turn (up to the busy timeout) instead of failing when another writer
commits between its first read and its first write; other transactions `BEGIN` as readers,
which in WAL mode never wait for a writer. Only the transaction holds the lock: what a request
does before its first statement (reading the form and the cookie, loading the user, checking
the CSRF token) and after its commit (the redirect) does not keep other writers waiting. On
PostgreSQL nothing changes.
"""
import functools
import os
import re
import threading
import weakref
from itertools import chain

import click
from flask import Flask, abort, current_app, g, has_request_context, request
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SQLITE_BUSY_TIMEOUT_MS = 10_000  # the default of the SQLITE_BUSY_TIMEOUT_MS setting
# PostgreSQL's SQLSTATEs for a write that lost to another: lock not available, deadlock,
# serialisation failure.
POSTGRES_CONFLICTS = frozenset({"55P03", "40P01", "40001"})
WRITE_LOCK = "sqlite_write_lock"  # the execution option `take_write_lock` sets
AUTOCOMMIT = "autocommit_reads"  # the execution option of the kept read connections
# C0 control characters other than tab, line feed and carriage return. PostgreSQL cannot store
# NUL at all, and none of them belongs in a name, an answer or a search.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def take_write_lock(session: Session) -> None:
    """Begin `session`'s transaction as a writer (see the module's docstring); call before its first query."""
    session.connection(execution_options={WRITE_LOCK: True})


def is_write_conflict(error: OperationalError) -> bool:
    """Whether `error` says another writer held the lock (SQLite: past the busy timeout)."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate in POSTGRES_CONFLICTS or "database is locked" in str(error.orig)


def writes(command):
    """Make a CLI command a writer: its transaction takes the write lock first, as a request's does.

    A lock it cannot get in time (another command or request is writing) rolls back and exits 1
    with one line instead of a traceback; so does a database that cannot be reached.
    """
    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            take_write_lock(db.session)
            return command(*args, **kwargs)
        except OperationalError as error:
            db.session.rollback()
            if is_write_conflict(error):
                raise click.ClickException(
                    "Another change is being written to the database right now; nothing was changed. "
                    "Run the command again."
                ) from None
            first_line = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else type(error.orig).__name__
            raise click.ClickException(f"The database could not be used ({first_line}); nothing was changed.") from None

    return run


def _sqlite_settings(busy_timeout_ms: int, dbapi_connection, connection_record) -> None:
    """WAL lets readers work while one writer writes; busy_timeout makes writers wait, not fail.

    synchronous=NORMAL is SQLite's setting for WAL: a commit appends to the log without waiting
    for the disk (the log is synced at checkpoints). A crash cannot corrupt the database; a
    power cut can lose the last commits.
    """
    dbapi_connection.isolation_level = None  # the driver leaves BEGIN to _begin_sqlite_transaction
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite_transaction(connection) -> None:
    options = connection.get_execution_options()
    if options.get(AUTOCOMMIT):
        return  # the driver is in autocommit (see _sqlite_settings): each statement on its own
    writer = options.get(WRITE_LOCK) or (has_request_context() and request.method not in SAFE_METHODS)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


class KeptConnections:
    """One autocommit connection per worker thread to an engine, opened at first use and kept.

    Closed when its thread ends (a server that starts a thread per request gives each back to
    the pool) and when the engine is disposed; forgotten (not closed: the parent still uses
    them) in a forked child. A connection that failed is replaced at the next use, and with
    `ping`, `checked_connection` replaces one the server has dropped before it is used.
    """

    def __init__(self, engine: Engine, ping: bool = False):
        self.engine = engine
        self.ping = ping
        self.local = threading.local()
        self.opened: list[Connection] = []
        self.lock = threading.Lock()
        event.listen(engine, "engine_disposed", lambda _engine: self.close())
        os.register_at_fork(after_in_child=self.forget)

    def connection(self) -> Connection:
        connection = getattr(self.local, "connection", None)
        if connection is None or connection.invalidated or connection.closed:
            connection = self.engine.connect()
            options = {AUTOCOMMIT: True}
            if self.engine.dialect.name != "sqlite":
                options["isolation_level"] = "AUTOCOMMIT"
            connection.execution_options(**options)
            self.local.connection = connection
            with self.lock:
                self.opened.append(connection)
            weakref.finalize(threading.current_thread(), self.release, connection)
        return connection

    def checked_connection(self) -> Connection:
        """`connection()`, pinged first when `ping` is set (as the pool's pre-ping checks a checkout)."""
        connection = self.connection()
        if self.ping and not self._answers(connection):
            connection.invalidate()
            self.release(connection)
            connection = self.connection()
        return connection

    def _answers(self, connection: Connection) -> bool:
        try:
            return self.engine.dialect.do_ping(connection.connection.dbapi_connection)
        except self.engine.dialect.loaded_dbapi.Error:
            return False

    def release(self, connection: Connection) -> None:
        with self.lock:
            if connection not in self.opened:
                return  # closed already, by close()
            self.opened.remove(connection)
        connection.close()

    def close(self) -> None:
        with self.lock:
            opened, self.opened = self.opened, []
        for connection in opened:
            connection.invalidate()  # closes the driver's connection now: the disposed pool takes none back
            connection.close()
        self.local = threading.local()

    def forget(self) -> None:
        self.opened, self.local, self.lock = [], threading.local(), threading.Lock()


def read_connection() -> Connection:
    """The worker's autocommit connection (see the module's docstring), checked once per request."""
    connection = g.get("_read_connection")
    if connection is None or connection.invalidated or connection.closed:
        connection = g._read_connection = current_app.extensions["kept_connections"].checked_connection()
    return connection


def reads() -> Session:
    """The request's read-only session on `read_connection()`; closed when the request ends."""
    session = g.get("_reads")
    if session is None:
        session = g._reads = Session(bind=read_connection())
    return session


def _close_reads(_error=None) -> None:
    g.pop("_read_connection", None)
    session = g.pop("_reads", None)
    if session is not None:
        session.close()


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


def init_app(app: Flask) -> None:
    """Attach the SQLite settings and the kept read connections to the app's engine, and the request checks above."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        busy_timeout = app.config.get("SQLITE_BUSY_TIMEOUT_MS", SQLITE_BUSY_TIMEOUT_MS)
        event.listen(engine, "connect", functools.partial(_sqlite_settings, busy_timeout))
        event.listen(engine, "begin", _begin_sqlite_transaction)
    app.extensions["kept_connections"] = KeptConnections(
        engine, ping=bool(app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("pool_pre_ping")))
    app.teardown_appcontext(_close_reads)
    app.before_request(_refuse_control_characters)


def owned_or_404(model, row_id: int, owner_id: int, session: Session | None = None):
    """The `model` row with this id if it belongs to `owner_id`; 404 otherwise.

    Someone else's row is answered exactly as a missing one, so ids reveal nothing. `session`
    defaults to `db.session`; a view that only reads passes `reads()`.
    """
    row = (db.session if session is None else session).get(model, row_id)
    if row is None or row.user_id != owner_id:
        abort(404)
    return row
