"""Fixtures: `app`, `client`, `runner`, with a fresh database per test.

Database tests run against SQLite always and against PostgreSQL when TEST_DATABASE_URL
names a server (the tests create and drop a throwaway database there). With
CE_REQUIRE_ALL=1 (set by CI) a missing PostgreSQL or browser fails the run instead of
skipping.
"""
import os
import shutil
import threading
import uuid
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from course import create_app
from course.extensions import db, limiter

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
REQUIRE_ALL = os.environ.get("CE_REQUIRE_ALL") == "1"


def unavailable(reason: str):
    """Skip locally; fail in CI, where nothing may be skipped."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (CE_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL database for this test session, dropped at the end."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        unavailable("TEST_DATABASE_URL is not set")
    url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"ce_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 (any connection failure means "unavailable")
        admin.dispose()
        unavailable(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {error}")
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A private copy of the test content, so a test may edit it."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    return target


@pytest.fixture
def app_config(database_url, content_dir) -> dict:
    """Settings for the test app; a test may change them before asking for `app`."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CONTENT_DIR": str(content_dir),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SIGN_IN_RATE_LIMIT": "5 per minute",
        "REGISTER_RATE_LIMIT": "50 per minute",
    }


class IsolatedRequestClient(FlaskClient):
    """Runs each request in its own app context, as a server does.

    The `app` fixture keeps an app context open so tests can use `db.session`; without this,
    requests would share its `g` (Flask-Login's cached user, the CSRF token) and its session.
    """

    def open(self, *args, **kwargs):
        # End the test's own transaction first, so the test sees what the request wrote (SQLite
        # keeps a transaction's snapshot; PostgreSQL's READ COMMITTED would not need this).
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    app.test_client_class = IsolatedRequestClient
    with app.app_context():
        db.create_all()
        limiter.reset()
        yield app
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def selects(app) -> list[str]:
    """The SELECT statements the app's engine runs from now on, in order."""
    seen: list[str] = []

    def record(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def live_server(tmp_path, content_dir):
    """The app served over HTTP on a free loopback port, with its own SQLite database."""
    from werkzeug.serving import make_server

    app = create_app({
        "SECRET_KEY": "browser-test-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.sqlite3'}",
        "CONTENT_DIR": str(content_dir),
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    with app.app_context():
        db.create_all()
        limiter.reset()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def page():
    """A fresh Chromium page driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()
        browser.close()
