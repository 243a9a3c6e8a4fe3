"""Faults under gunicorn with four workers on PostgreSQL: the database dropping or refusing
connections, Redis gone, and changes to one row at the same moment. Never a 500."""
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from sqlalchemy import create_engine, func, select, text

from accounts.models import Licence, User
from course import create_app
from course.core.extensions import db
from credits.models import Certificate
from tests.conftest import IsolatedRequestClient
from tests.factories import (
    DEFAULT_PASSWORD, app_settings, csrf_token, make_certificate, make_user, post_form, run_at_once,
)
from tests.test_gunicorn import PROJECT, Browser, empty_redis_url, free_port

WORKERS = 4
DATABASE_DOWN = "The database is unavailable for a moment"


class DatabaseLink:
    """A TCP relay between the app and PostgreSQL that the test can cut, as a network or a
    restarting server would: drop the open connections, or refuse new ones for a while."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener = None
        self.accept_again()

    def accept_again(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the port can be taken again
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.connections += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop_connections(self) -> None:
        with self.lock:
            connections, self.connections = self.connections, []
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()

    def refuse(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread waiting in accept()
        except OSError:
            pass
        self.listener.close()
        self.drop_connections()


def start_gunicorn(database_url: str, content_dir, **env) -> tuple[subprocess.Popen, str]:
    port = free_port()
    environment = {**os.environ, "APP_ENV": "development", "SECRET_KEY": "fault-test-secret",
                   "DATABASE_URL": database_url, "CONTENT_DIR": str(content_dir),
                   "RATELIMIT_STORAGE_URI": empty_redis_url(), "BIND": f"127.0.0.1:{port}",
                   "WEB_CONCURRENCY": str(WORKERS), **env}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=PROJECT,
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/sign-in", timeout=2).close()
            return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("gunicorn did not start: " + process.stderr.read().decode()[-2000:])


def stop(process) -> str:
    """Stop gunicorn (killing it if its graceful shutdown outlasts a minute); what it logged."""
    process.terminate()
    try:
        _, errors = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        _, errors = process.communicate()
    return errors.decode()


@pytest.fixture
def database(postgres_url):
    """The app's schema, empty, in the session's PostgreSQL database; an app bound to it for the test's own writes."""
    app = create_app(app_settings(SQLALCHEMY_DATABASE_URI=postgres_url))
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def linked_server(database, postgres_url, content_dir):
    """gunicorn reaching PostgreSQL through a DatabaseLink."""
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    link = DatabaseLink((url.host, url.port or 5432))
    process, base = start_gunicorn(url.set(port=link.port).render_as_string(hide_password=False), content_dir)
    yield database, link, base
    link.refuse()
    assert "Exception on" not in stop(process)


def signed_in_browser(base: str, email: str) -> Browser:
    browser = Browser(base)
    status, _ = browser.request("/sign-in", {"csrf_token": browser.csrf_token(), "email": email,
                                             "password": DEFAULT_PASSWORD})
    assert status == 302
    return browser


# --- 16. Connections dropped by the server cost no request ----------------------------------


def test_after_the_database_drops_every_connection_no_request_fails(database, postgres_url, content_dir):
    make_user(email="kim@example.org")
    process, base = start_gunicorn(postgres_url, content_dir)
    try:
        browsers = [signed_in_browser(base, "kim@example.org") for _ in range(WORKERS)]
        for browser in browsers * 3:  # every worker holds pooled connections now
            assert browser.request("/profile")[0] == 200
        # Only the servers' connections are to be cut: the test's own pool lets go of its connections
        # first, so none of them is left open and dead for the garbage collector to find later.
        db.session.remove()
        db.engine.dispose()
        admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            ended = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        admin.dispose()
        assert ended >= 1
        statuses = [browser.request("/profile")[0] for browser in browsers * 3]
        assert statuses == [200] * 12
    finally:
        stop(process)


# --- 17. The error page needs no database ---------------------------------------------------


def test_signed_in_pages_say_the_database_is_unavailable_while_it_refuses_connections(linked_server):
    _, link, base = linked_server
    make_user(email="kim@example.org")
    browser = signed_in_browser(base, "kim@example.org")
    assert browser.request("/profile")[0] == 200
    link.refuse()
    for path in ("/profile", "/transcript", "/", "/courses/sample-course"):
        status, body = browser.request(path)
        assert status == 503, (path, body[-300:])
        assert DATABASE_DOWN in body and "Internal Server Error" not in body
    link.accept_again()
    assert browser.request("/profile")[0] == 200


# --- 18. Redis down: limits per worker, never a 500 ------------------------------------------


def test_with_redis_down_sign_in_and_verify_still_answer(database, postgres_url, content_dir):
    make_user(email="kim@example.org")
    process, base = start_gunicorn(postgres_url, content_dir, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    try:
        browser = Browser(base)
        token = browser.csrf_token()
        wrong = [browser.request("/sign-in", {"csrf_token": token, "email": "kim@example.org", "password": "nope"})[0]
                 for _ in range(3)]
        assert wrong == [401] * 3
        assert signed_in_browser(base, "kim@example.org").request("/profile")[0] == 200
        assert browser.request("/verify/NO-SUCH-CODE")[0] == 404
    finally:
        errors = stop(process)
    assert "Exception on" not in errors
    print(errors[-3000:])


def test_with_redis_down_limits_still_hold_in_each_worker(tmp_path, content_dir, caplog):
    app = create_app(app_settings(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0",
                                  SIGN_IN_RATE_LIMIT="3 per minute", CONTENT_DIR=str(content_dir),
                                  SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'redis-down.sqlite3'}"))
    app.test_client_class = IsolatedRequestClient
    with app.app_context():
        db.create_all()
        make_user(email="kim@example.org")
        client = app.test_client()
        statuses = [post_form(client, "/sign-in", {"email": f"n{i}@example.org", "password": "x"}).status_code
                    for i in range(4)]
        assert statuses == [401, 401, 401, 429]
        guesses = []
        for index in range(6):
            other = app.test_client()
            other.environ_base["HTTP_X_FORWARDED_FOR"] = f"203.0.113.{index + 1}"  # another client behind the proxy
            guesses.append(post_form(other, "/sign-in", {"email": "kim@example.org", "password": f"g{index}"}).status_code)
        assert guesses == [401] * 5 + [429]
        assert "falling back to in-memory storage" in caplog.text
        db.session.remove()
        db.engine.dispose()


# --- 19. Changes to one row at the same moment: one wins, the others get a 409 ----------------


def _admin_browsers(base: str, count: int) -> list[tuple[Browser, str]]:
    browsers = []
    for _ in range(count):
        browser = signed_in_browser(base, "admin@example.org")
        browsers.append((browser, browser.csrf_token("/profile")))
    return browsers


@pytest.fixture
def certificate_server(database, postgres_url, content_dir):
    make_user(email="admin@example.org", role="admin", name="Ada Admin")
    learner = make_user(email="lee@example.org", name="Lee Learner")
    certificate = make_certificate(learner)
    process, base = start_gunicorn(postgres_url, content_dir)
    yield database, base, certificate.id
    assert "Exception on" not in stop(process)


def test_simultaneous_reissues_of_one_certificate_make_one_replacement(certificate_server):
    app, base, certificate_id = certificate_server
    browsers = _admin_browsers(base, 5)
    results = run_at_once([lambda b=b, t=t: b.request(f"/admin/certificates/{certificate_id}/reissue", {"csrf_token": t})
                           for b, t in browsers])
    statuses = sorted(status for status, _ in results)
    assert statuses == [303, 409, 409, 409, 409], [body[-400:] for status, body in results if status not in (303, 409)][:1]
    assert all("valid certificate can be reissued" in body or "conflicts with a change" in body
               for status, body in results if status == 409)
    db.session.expire_all()
    certificates = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert [c.status for c in certificates] == ["superseded", "valid"]


def test_revoke_and_reissue_at_once_one_wins(certificate_server):
    app, base, certificate_id = certificate_server
    (revoker, revoke_token), (reissuer, reissue_token) = _admin_browsers(base, 2)
    results = run_at_once([
        lambda: revoker.request(f"/admin/certificates/{certificate_id}/revoke", {"csrf_token": revoke_token,
                                                                                "reason": "Issued in error"}),
        lambda: reissuer.request(f"/admin/certificates/{certificate_id}/reissue", {"csrf_token": reissue_token}),
    ])
    assert sorted(status for status, _ in results) == [303, 409]
    db.session.expire_all()
    statuses = sorted(c.status for c in db.session.scalars(select(Certificate)))
    assert statuses in (["revoked"], ["superseded", "valid"])


def test_double_clicked_profile_save_saves_once(database, postgres_url, content_dir):
    make_user(email="kim@example.org", licences=[("NY", "RN-1")])
    process, base = start_gunicorn(postgres_url, content_dir)
    try:
        browser = signed_in_browser(base, "kim@example.org")
        form = {"csrf_token": browser.csrf_token("/profile"), "first_name": "Kim", "last_name": "Lee", "name": "Kim Lee",
                "profession": "nurse", "licences-0-state": "CA", "licences-0-licence_type": "RN", "licences-0-number": "RN-2",
                "licences-1-state": "TX", "licences-1-licence_type": "RN", "licences-1-number": "RN-3", "birth_month": "", "birth_day": "", "nabp_eprofile_id": "",
                "submit": "Save profile"}
        results = run_at_once([lambda: browser.request("/profile", form)] * 5)
        assert {status for status, _ in results} <= {302, 409} and 302 in {status for status, _ in results}
    finally:
        errors = stop(process)
    assert "Exception on" not in errors
    db.session.expire_all()
    assert sorted(db.session.execute(select(Licence.state, Licence.number)).all()) == [("CA", "RN-2"), ("TX", "RN-3")]
