"""Fixtures: `app`, `client`, `runner`, with a fresh database per test.

Database tests run on SQLite, and on PostgreSQL as well with `--postgres` or when
TEST_DATABASE_URL names a server (the tests create and drop a throwaway database there).
With CE_REQUIRE_ALL=1 (set by CI) PostgreSQL and the browser are required: a run without
them fails instead of leaving tests out.
"""
import os
import shutil
import threading
import uuid
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskCliRunner, FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from course import create_app
from course.core.extensions import db, limiter
from tests.factories import FIXTURE_CONTENT, app_settings

REQUIRE_ALL = os.environ.get("CE_REQUIRE_ALL") == "1"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE_FIXTURES = ("database_url", "empty_database_url")


def pytest_addoption(parser):
    parser.addoption("--postgres", action="store_true",
                     help=f"run every database test on PostgreSQL too (TEST_DATABASE_URL, else {DEFAULT_POSTGRES})")


def postgres_server(config) -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or (DEFAULT_POSTGRES if config.getoption("--postgres") else None)


def pytest_configure(config):
    if REQUIRE_ALL and not postgres_server(config):
        raise pytest.UsageError("CE_REQUIRE_ALL=1 needs PostgreSQL: set TEST_DATABASE_URL or pass --postgres")


def pytest_report_header(config):
    server = postgres_server(config)
    return f"databases: SQLite, PostgreSQL ({server})" if server else "databases: SQLite (add --postgres for PostgreSQL)"


def pytest_generate_tests(metafunc):
    """Each database fixture a test asks for runs on SQLite, and on PostgreSQL when it is switched on."""
    databases = ["sqlite"] + (["postgresql"] if postgres_server(metafunc.config) else [])
    for name in DATABASE_FIXTURES:
        given = any(name in marker.args[0] for marker in metafunc.definition.iter_markers("parametrize"))
        if name in metafunc.fixturenames and not given:
            metafunc.parametrize(name, databases, indirect=True)


def pytest_collection_modifyitems(config, items):
    """Tests that only make sense on PostgreSQL are left out, in one line of the summary, when it is off."""
    if postgres_server(config):
        return
    postgres_only = [item for item in items if "postgres_url" in getattr(item, "fixturenames", ())]
    if postgres_only:
        config.hook.pytest_deselected(items=postgres_only)
        items[:] = [item for item in items if item not in postgres_only]


@pytest.fixture(scope="session")
def postgres_url(request):
    """A throwaway PostgreSQL database for this test session, dropped at the end."""
    url = make_url(postgres_server(request.config)).set(drivername="postgresql+psycopg")
    name = f"ce_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 (any connection failure means "unreachable")
        admin.dispose()
        pytest.fail(f"PostgreSQL at {url.render_as_string()} is not reachable: {error}")
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
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
def app_config(database_url, content_dir, tmp_path) -> dict:
    """Settings for the test app; a test may change them before asking for `app`."""
    return app_settings(
        SQLALCHEMY_DATABASE_URI=database_url, CONTENT_DIR=str(content_dir),
        SIGN_IN_RATE_LIMIT="5 per minute", REGISTER_RATE_LIMIT="50 per minute",
        LTI_PRIVATE_KEY_FILE=str(tmp_path / "lti" / "private-key.pem"),
        LTI_RETIRED_KEYS_DIR=str(tmp_path / "lti" / "retired-keys"),
    )


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


class RecordingSender:
    """Keeps each message the app sends, in order."""

    def __init__(self):
        self.messages = []

    def send(self, message):
        self.messages.append(message)


@pytest.fixture
def outbox(app):
    """The messages the app sends during the test."""
    sender = RecordingSender()
    app.extensions["mail_sender"] = sender
    return sender.messages


class FreshTransactionCliRunner(FlaskCliRunner):
    """Runs each command after ending the test's own transaction, as a command starts in a new process.

    Commands run in the app context the `app` fixture keeps open, so they share its session.
    """

    def invoke(self, *args, **kwargs):
        db.session.commit()
        return super().invoke(*args, **kwargs)


@pytest.fixture
def runner(app):
    app.test_cli_runner_class = FreshTransactionCliRunner
    return app.test_cli_runner()


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def live_server(tmp_path, content_dir):
    """The app served over HTTP on a free loopback port, with its own SQLite database."""
    from werkzeug.serving import make_server

    app = create_app(app_settings(
        TESTING=False, SECRET_KEY="browser-test-key", CONTENT_DIR=str(content_dir),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'live.sqlite3'}",
        LTI_PRIVATE_KEY_FILE=str(tmp_path / "lti" / "private-key.pem"),
        LTI_RETIRED_KEYS_DIR=str(tmp_path / "lti" / "retired-keys"),
    ))
    with app.app_context():
        db.create_all()
        limiter.reset()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.url = f"http://127.0.0.1:{server.server_port}"
    app.config.update(BASE_URL=server.url, SERVER_NAME=f"127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.app = app
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
        if REQUIRE_ALL:
            pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium); CE_REQUIRE_ALL=1 forbids skipping")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()
        browser.close()
