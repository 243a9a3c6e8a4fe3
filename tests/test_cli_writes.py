"""Command-line writers take the write lock first, as requests do; losing it is one line and exit 1."""
import sqlite3

import pytest
from sqlalchemy import select

from accounts.audit import AuditEntry
from course.core.extensions import db
from credits.models import Certificate
from tests.factories import make_certificate, make_user

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def app_config(app_config):
    """Writers give up after a fifth of a second instead of ten, so a held lock fails fast."""
    return {**app_config, "SQLITE_BUSY_TIMEOUT_MS": 200}


@pytest.fixture
def certificate(app):
    return make_certificate(make_user(email="pat@example.org"), approval_id="ama-pra")


@pytest.fixture
def another_writer(app):
    """A second connection to the same SQLite file holding the write lock until the test ends."""
    path = db.engine.url.database
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    yield connection
    connection.rollback()
    connection.close()


@pytest.mark.parametrize("arguments", [
    ["credits", "revoke", "--reason", "test"],
    ["credits", "reissue"],
])
def test_a_command_that_cannot_get_the_write_lock_says_so_in_one_line(runner, certificate, another_writer, arguments):
    code = certificate.code
    result = runner.invoke(args=[*arguments, "--", code])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines() == [
        "Error: Another change is being written to the database right now; nothing was changed. Run the command again."]
    assert "Traceback" not in result.output


def test_the_lock_is_taken_before_anything_is_read(runner, another_writer):
    """Even an unknown code meets the lock first: the command's transaction begins as a writer."""
    result = runner.invoke(args=["credits", "revoke", "--reason", "test", "--", "no-such-code"])
    assert result.exit_code == 1
    assert "Another change is being written" in result.stderr


def test_once_the_other_writer_is_done_the_command_succeeds(runner, certificate, another_writer):
    code = certificate.code
    assert runner.invoke(args=["credits", "revoke", "--reason", "test", "--", code]).exit_code == 1
    another_writer.rollback()
    result = runner.invoke(args=["credits", "revoke", "--reason", "test", "--", code])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(Certificate.status).where(Certificate.code == code)) == "revoked"
    assert len(db.session.scalars(select(AuditEntry)).all()) == 1


def test_an_export_that_cannot_get_the_write_lock_writes_nothing(runner, another_writer, tmp_path):
    output = tmp_path / "out.csv"
    result = runner.invoke(args=["reports", "completions", "-o", str(output)])
    assert result.exit_code == 1
    assert "Another change is being written" in result.stderr
    assert not output.exists()
