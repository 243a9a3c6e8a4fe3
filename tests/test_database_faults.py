"""Concurrent SQLite writers wait their turn; a connection lost mid-request loses nothing."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from course import create_app
from course.core.extensions import db
from accounts.models import User
from quizzes.reading import record_module_read
from quizzes.attempts import start_attempt
from quizzes.models import QuizAttempt
from tests.conftest import IsolatedRequestClient
from tests.factories import app_settings, csrf_token, make_user, quiz_answers, run_at_once, sign_in

LEARNERS = 8


@pytest.fixture
def sqlite_app(tmp_path, content_dir):
    app = create_app(app_settings(CONTENT_DIR=str(content_dir),
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'busy.sqlite3'}"))
    app.test_client_class = IsolatedRequestClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_simultaneous_sqlite_form_posts_all_succeed(sqlite_app):
    """A profile save reads the learner, then writes: with deferred transactions SQLite would
    refuse some at once ("database is locked"); BEGIN IMMEDIATE makes them queue instead."""
    calls = []
    for index in range(LEARNERS):
        user = make_user(email=f"writer{index}@example.org")
        db.session.commit()
        client = sqlite_app.test_client()
        sign_in(client, user.email)
        data = {"csrf_token": csrf_token(client, "/profile"), "name": f"Writer {index}", "first_name": "Writer",
                "last_name": str(index), "profession": "nurse",
                "licences-0-state": "NY", "licences-0-licence_type": "RN", "licences-0-number": f"RN-{index}", "birth_month": "", "birth_day": "",
                "submit": "Save profile"}
        calls.append(lambda client=client, data=data: client.post("/profile", data=data).status_code)
    assert run_at_once(calls) == [302] * LEARNERS
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(User).where(User.name.like("Writer %"))) == LEARNERS


def test_simultaneous_sqlite_quiz_submissions_all_succeed(sqlite_app):
    """Each submission is one write transaction: they queue for the write lock, and none is refused."""
    from course.content.store import current_catalogue

    course = current_catalogue().courses["sample-course"]
    clients, payloads = [], []
    for index in range(LEARNERS):
        user = make_user(email=f"writer{index}@example.org")
        record_module_read(db.session, user.id, course.slug, "first-objective")
        attempt = start_attempt(db.session, user.id, course, "first-objective", datetime.now(UTC))
        db.session.commit()
        client = sqlite_app.test_client()
        sign_in(client, user.email)
        payloads.append((attempt.id, {"csrf_token": csrf_token(client, "/profile"), **quiz_answers(attempt)}))
        clients.append(client)
    calls = [lambda c=c, a=a, d=d: c.post(f"/quiz/attempts/{a}", data=d).status_code for c, (a, d) in zip(clients, payloads)]
    assert run_at_once(calls) == [302] * LEARNERS
    db.session.commit()  # a fresh snapshot that sees the other connections' writes
    assert db.session.scalar(select(func.count()).select_from(QuizAttempt).where(QuizAttempt.status == "submitted")) == LEARNERS


def test_only_the_write_transaction_holds_the_sqlite_write_lock(sqlite_app):
    """A POST takes the write lock when its transaction begins, not when the request does: while
    another writer holds the lock, a post refused before it reads anything (a bad CSRF token on
    the profile form) answers at once, and one that writes waits and then succeeds."""
    import sqlite3
    import threading
    import time

    user = make_user(email="kim@example.org")
    db.session.commit()
    client = sqlite_app.test_client()
    sign_in(client, user.email)
    form = {"name": "Kim Writer", "first_name": "Kim", "last_name": "Writer", "profession": "nurse",
            "licences-0-state": "NY", "licences-0-licence_type": "RN", "licences-0-number": "RN-1",
            "birth_month": "", "birth_day": "", "submit": "Save profile"}
    token = csrf_token(client, "/profile")
    other = sqlite3.connect(db.engine.url.database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        assert client.post("/profile", data={**form, "csrf_token": "not-the-token"}).status_code == 400
        assert time.monotonic() - started < 1  # the busy timeout is ten seconds
        threading.Timer(0.5, other.rollback).start()
        assert client.post("/profile", data={**form, "csrf_token": token}).status_code == 302
    finally:
        other.close()
    db.session.commit()
    assert db.session.get(User, user.id).name == "Kim Writer"


@pytest.fixture
def postgres_client(postgres_url, content_dir):
    app = create_app(app_settings(CONTENT_DIR=str(content_dir),
                      SQLALCHEMY_DATABASE_URI=postgres_url))
    app.test_client_class = IsolatedRequestClient
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app.test_client()
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def test_database_connection_lost_mid_request(postgres_client, monkeypatch):
    """The server drops the connection after the attempt was closed but before the commit
    (PostgreSQL, where a backend can be terminated): the learner gets an error page, the
    attempt is still open, and the next request works."""
    import quizzes.attempts as attempts

    client = postgres_client
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    client.get("/courses/sample-course/modules/first-objective")
    response = client.post("/courses/sample-course/objectives/first-objective/quiz",
                           data={"csrf_token": csrf_token(client, "/profile")})
    attempt = db.session.get(QuizAttempt, int(response.headers["Location"].rsplit("/", 1)[1]))
    answers = quiz_answers(attempt)

    original = attempts.record_completion_if_done

    def connection_dies(session, *args, **kwargs):
        session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return original(session, *args, **kwargs)

    monkeypatch.setattr(attempts, "record_completion_if_done", connection_dies)
    response = client.post(f"/quiz/attempts/{attempt.id}", data={"csrf_token": csrf_token(client, "/profile"), **answers})
    assert response.status_code == 503
    assert "Nothing from this request was saved" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).status == "open"

    monkeypatch.setattr(attempts, "record_completion_if_done", original)
    assert client.get("/courses/sample-course").status_code == 200
    response = client.post(f"/quiz/attempts/{attempt.id}", data={"csrf_token": csrf_token(client, "/profile"), **answers})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).score == 3


def test_lost_read_connection_is_replaced_without_a_failed_request(postgres_client):
    """The connection a worker keeps for reads (course.core.database) is terminated by the server:
    the next request pings it, finds it gone and works on a new connection."""
    client = postgres_client
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    assert client.get("/courses/sample-course").status_code == 200
    kept = client.application.extensions["kept_connections"].connection()  # this thread's, as the requests use
    backend = kept.execute(text("SELECT pg_backend_pid()")).scalar()
    db.session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    db.session.commit()

    assert client.get("/courses/sample-course").status_code == 200
    replacement = client.application.extensions["kept_connections"].connection()
    assert replacement.execute(text("SELECT pg_backend_pid()")).scalar() != backend
