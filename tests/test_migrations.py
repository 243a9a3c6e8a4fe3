"""The Alembic migrations build exactly the schema the models describe, on both databases."""
import json
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from course import create_app
from tests.factories import app_settings
from course.core.extensions import db


@pytest.fixture
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    url = make_url(request.getfixturevalue("postgres_url"))
    name = f"ce_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_migrations_match_models_and_downgrade_cleanly(empty_database_url, content_dir):
    app = create_app(app_settings(SQLALCHEMY_DATABASE_URI=empty_database_url,
                      CONTENT_DIR=str(content_dir)))
    with app.app_context():
        try:
            upgrade()
            with db.engine.connect() as connection:
                differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
            assert differences == []
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        finally:
            db.engine.dispose()


def test_sqlite_runs_in_wal_mode_with_busy_timeout(tmp_path, content_dir):
    app = create_app(app_settings(CONTENT_DIR=str(content_dir),
                      SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'wal.sqlite3'}"))
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()


def test_the_pdf_and_grading_migration_keeps_what_it_can_and_fills_the_rest(empty_database_url, content_dir):
    """Upgrading to c5f0a2d9e7b4: a kept PDF that prints the right status and URL moves to its
    certificate, every other certificate gets one drawn, and submitted attempts get their grading."""
    app = create_app(app_settings(SQLALCHEMY_DATABASE_URI=empty_database_url, CONTENT_DIR=str(content_dir)))
    with app.app_context():
        try:
            upgrade(revision="e4a1c7d2b8f3")
            with db.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO users (id, email, name, password_hash, role, created_at, session_version) "
                    "VALUES (1, 'a@example.org', 'Ana Example', 'x', 'learner', '2025-07-29 10:00:00+00', 1)"))
                for certificate_id, code, approval in ((1, "k" * 32, "ancc"), (2, "d" * 32, "ipce")):
                    connection.execute(text(
                        "INSERT INTO certificates (id, user_id, course_slug, approval_id, content_version, code, status,"
                        " issued_at, learner_name, course_title, course_format, provider_name, provider_address,"
                        " completion_date, amount, unit, approval_body, statement) VALUES (:id, 1, 'sample-course',"
                        " :approval, 'v', :code, 'valid', '2025-07-29 10:00:00+00', 'Ana Example', 'A Course',"
                        " 'Enduring material', 'Provider', 'Street', '2025-07-29', 1, 'contact hour', 'ANCC', 'S.')"),
                        {"id": certificate_id, "code": code, "approval": approval})
                connection.execute(text(
                    "INSERT INTO certificate_documents (certificate_id, status, verify_url, layout, pdf, created_at) "
                    "VALUES (1, 'valid', :url, 'old', :pdf, '2025-07-29 10:00:00+00')"),
                    {"url": f"http://localhost/verify/{'k' * 32}", "pdf": b"%PDF-kept"})
                connection.execute(text(
                    "INSERT INTO quiz_attempts (id, user_id, course_slug, objective_id, number, content_version,"
                    " questions, pass_mark, status, started_at, submitted_at, answers, score, total, passed)"
                    " VALUES (1, 1, 'sample-course', 'first-objective', 1, 'v', :questions, 70, 'submitted',"
                    " '2025-07-29 10:00:00+00', '2025-07-29 10:05:00+00', :answers, 1, 2, false)"),
                    {"questions": '[{"id": "q1", "correct": ["a"]}, {"id": "q2", "correct": ["a", "c"]}]',
                     "answers": '{"q1": ["a"], "q2": ["c"]}'})
            upgrade()
            with db.engine.connect() as connection:
                pdfs = dict(connection.execute(text("SELECT certificate_id, pdf FROM certificate_pdfs")).all())
                graded = connection.execute(text("SELECT graded FROM quiz_attempts")).scalar()
            assert bytes(pdfs[1]) == b"%PDF-kept"
            assert bytes(pdfs[2]).startswith(b"%PDF-") and b"kept" not in bytes(pdfs[2])
            assert (json.loads(graded) if isinstance(graded, str) else graded) == {"q1": True, "q2": False}
        finally:
            db.engine.dispose()


def test_the_reporting_migration_splits_each_name_into_first_and_last(empty_database_url, content_dir):
    """Upgrading to g7c3e5a8b2d1: the last word of the name is the last name, the rest the first; the
    certificate name is kept as written."""
    app = create_app(app_settings(SQLALCHEMY_DATABASE_URI=empty_database_url, CONTENT_DIR=str(content_dir)))
    names = {1: "Mary Ann van Dyke", 2: "Cher", 3: "  Zoë   Łukasiewicz-Nguyễn "}
    with app.app_context():
        try:
            upgrade(revision="c5f0a2d9e7b4")
            with db.engine.begin() as connection:
                for user_id, name in names.items():
                    connection.execute(text(
                        "INSERT INTO users (id, email, name, password_hash, role, created_at, session_version) "
                        "VALUES (:id, :email, :name, 'x', 'learner', '2025-07-29 10:00:00+00', 1)"),
                        {"id": user_id, "email": f"u{user_id}@example.org", "name": name})
            upgrade(revision="g7c3e5a8b2d1")
            with db.engine.connect() as connection:
                rows = connection.execute(text("SELECT id, name, first_name, last_name FROM users ORDER BY id")).all()
            assert [tuple(row) for row in rows] == [
                (1, "Mary Ann van Dyke", "Mary Ann van", "Dyke"),
                (2, "Cher", "", "Cher"),
                (3, "  Zoë   Łukasiewicz-Nguyễn ", "Zoë", "Łukasiewicz-Nguyễn"),
            ]
        finally:
            db.engine.dispose()
