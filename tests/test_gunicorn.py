"""The app under gunicorn with four workers on PostgreSQL and Redis: duplicates count once."""
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from course import create_app
from course.core.extensions import db
from quizzes.reading import record_module_read
from quizzes.attempts import start_attempt
from quizzes.models import QuizAttempt
from tests.factories import DEFAULT_PASSWORD, app_settings, make_user, quiz_answers, run_at_once

PROJECT = Path(__file__).resolve().parent.parent
CLIENTS = 16


class Browser:
    """Just enough of a browser: one cookie jar, form posts, no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.cookies = urllib.request.HTTPCookieProcessor()
        self.opener = urllib.request.build_opener(self.cookies, self._NoRedirect)

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def csrf_token(self, path: str = "/sign-in") -> str:
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', self.request(path)[1]).group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def empty_redis_url() -> str:
    """A Redis database for this test's rate-limit counters, emptied first."""
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (the gunicorn tests share rate limits through it)")
    return url


@pytest.fixture
def gunicorn_server(postgres_url, content_dir):
    app = create_app(app_settings(SQLALCHEMY_DATABASE_URI=postgres_url,
                      CONTENT_DIR=str(content_dir)))
    with app.app_context():
        db.drop_all()
        db.create_all()
    port = free_port()
    # Development mode: production cookies are Secure and would not travel over plain HTTP here.
    env = {**os.environ, "APP_ENV": "development", "SECRET_KEY": "gunicorn-test-secret",
           "DATABASE_URL": postgres_url, "CONTENT_DIR": str(content_dir), "RATELIMIT_STORAGE_URI": empty_redis_url(),
           "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "4"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=PROJECT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/sign-in", timeout=2).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start: " + process.stderr.read().decode()[-2000:])
    yield app, base
    process.terminate()
    process.wait(timeout=20)
    process.stderr.close()
    with app.app_context():  # close this process's pooled connections rather than leave them to the garbage collector
        db.engine.dispose()
    with app.app_context():
        db.drop_all()
        db.engine.dispose()


def test_duplicate_quiz_submissions_across_workers_count_once(gunicorn_server):
    app, base = gunicorn_server
    with app.app_context():
        from course.content.store import current_catalogue

        course = current_catalogue().courses["sample-course"]
        user = make_user(email="tabs@example.org")
        record_module_read(db.session, user.id, course.slug, "first-objective")
        attempt = start_attempt(db.session, user.id, course, "first-objective", datetime.now(UTC))
        db.session.commit()
        attempt_id, answers = attempt.id, quiz_answers(attempt)
    browser = Browser(base)
    token = browser.csrf_token()
    status, _ = browser.request("/sign-in", {"csrf_token": token, "email": "tabs@example.org", "password": DEFAULT_PASSWORD})
    assert status == 302
    token = browser.csrf_token("/profile")
    statuses = run_at_once([lambda: browser.request(f"/quiz/attempts/{attempt_id}", {"csrf_token": token, **answers})[0]] * CLIENTS)
    assert sorted(statuses) == [302] + [409] * (CLIENTS - 1)
    with app.app_context():
        submitted = select(func.count()).select_from(QuizAttempt).where(QuizAttempt.status == "submitted")
        assert db.session.scalar(submitted) == 1
        db.session.remove()


def test_rate_limit_is_shared_by_all_workers(gunicorn_server):
    """Counters live in Redis, so spreading attempts over four workers does not multiply the limit."""
    _, base = gunicorn_server
    browser = Browser(base)
    token = browser.csrf_token()
    statuses = [browser.request("/sign-in", {"csrf_token": token, "email": f"x{i}@example.org", "password": "wrong guess"})[0]
                for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_per_account_throttle_is_shared_by_all_workers(gunicorn_server):
    """Guesses at one account from many connections (so many workers) are counted together."""
    _, base = gunicorn_server
    statuses = []
    for index in range(7):
        browser = Browser(base)
        statuses.append(browser.request("/sign-in", {"csrf_token": browser.csrf_token(), "email": "kim@example.org",
                                                     "password": f"guess {index}"})[0])
    assert statuses == [401] * 5 + [429, 429]


def test_duplicate_certificate_claims_across_workers_issue_one(gunicorn_server):
    from credits.models import Certificate
    from tests.factories import complete_course, submit_evaluation

    app, base = gunicorn_server
    with app.app_context():
        user = make_user(email="claims@example.org", profession="nurse", licences=[("AL", "RN-1")])
        complete_course(user)
        submit_evaluation(user)
    browser = Browser(base)
    status, _ = browser.request("/sign-in", {"csrf_token": browser.csrf_token(), "email": "claims@example.org",
                                             "password": DEFAULT_PASSWORD})
    assert status == 302
    token = browser.csrf_token("/profile")
    claim = {"ancc-csrf_token": token}
    results = run_at_once([lambda: browser.request("/courses/sample-course/credit/ancc", claim)] * CLIENTS)
    assert {status for status, _ in results} == {303}, [body[-500:] for status, body in results if status != 303][:1]
    with app.app_context():
        certificates = db.session.scalars(select(Certificate).where(Certificate.approval_id == "ancc")).all()
        assert len(certificates) == 1
        db.session.remove()
