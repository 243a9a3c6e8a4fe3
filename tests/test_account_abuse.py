"""What an attacker tries on accounts: forged hosts, spoofed addresses, password guessing, a reset
token used many times at once; and email really leaving through SMTP."""
import logging
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

from accounts.models import User
from accounts.passwords import verify_password
from course import create_app
from course.core.extensions import db
from tests.conftest import IsolatedRequestClient, RecordingSender
from tests.factories import DEFAULT_PASSWORD, app_settings, csrf_token, make_user, post_form, run_at_once, sign_in

STRONG_KEY = "5f0c9e2a7b41d8e3a96c2f07b5e18d4c3a2b9f60e7d15c48a3f92b06d7e4c1a8"
PROXY = "127.0.0.1"  # FORWARDED_ALLOW_IPS' default


def via_proxy(client, client_address: str):
    """Requests from `client` arrive through the trusted proxy on behalf of `client_address`."""
    client.environ_base.update(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)
    return client


# --- 1. Links in email name the configured site; production refuses other hosts -----------


@pytest.fixture
def production_app(tmp_path, content_dir):
    sender = RecordingSender()
    app = create_app(app_settings(APP_ENV="production", SECRET_KEY=STRONG_KEY, BASE_URL="https://ce.example.org",
                                  SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
                                  CONTENT_DIR=str(content_dir), MAIL_SENDER=sender))
    app.test_client_class = IsolatedRequestClient
    with app.app_context():
        db.create_all()
        app.outbox = sender.messages
        yield app
        db.session.remove()
        db.engine.dispose()


def test_production_refuses_requests_for_another_host(production_app):
    make_user(email="kim@example.org")
    client = production_app.test_client()
    response = client.post("/forgot-password", data={"email": "kim@example.org"},
                           base_url="https://evil.example", headers={"Referer": "https://evil.example/"})
    assert response.status_code == 400
    assert "does not answer for that host name" in response.get_data(as_text=True)
    assert production_app.outbox == []
    assert client.get("/sign-in", base_url="https://ce.example.org").status_code == 200


def test_reset_link_names_the_base_url_whatever_the_host_header(app, client, outbox):
    make_user(email="kim@example.org")
    app.config["WTF_CSRF_ENABLED"] = False  # the test client keeps cookies per host
    response = client.post("/forgot-password", data={"email": "kim@example.org"}, headers={"Host": "evil.example"})
    assert response.status_code == 302
    assert re.search(r"http://localhost/reset-password/\S+", outbox[0].body)
    assert "evil.example" not in outbox[0].body


# --- 2. Rate limits count the client behind the proxy, not the proxy ---------------------


def test_sign_in_limit_counts_each_client_behind_the_proxy(app):
    """SIGN_IN_RATE_LIMIT is 5 a minute in the suite: six clients through one proxy are six clients."""
    for index in range(6):
        client = via_proxy(app.test_client(), f"203.0.113.{index + 1}")
        response = post_form(client, "/sign-in", {"email": f"nobody{index}@example.org", "password": "wrong one"})
        assert response.status_code == 401
    one = via_proxy(app.test_client(), "198.51.100.7")
    codes = [post_form(one, "/sign-in", {"email": f"other{i}@example.org", "password": "x"}).status_code
             for i in range(6)]
    assert codes == [401] * 5 + [429]


def test_forwarded_for_from_anyone_but_the_proxy_is_ignored(app):
    codes = []
    for index in range(6):
        client = app.test_client()
        client.environ_base.update(REMOTE_ADDR="192.0.2.50", HTTP_X_FORWARDED_FOR=f"203.0.113.{index + 1}")
        codes.append(post_form(client, "/sign-in", {"email": f"n{index}@example.org", "password": "x"}).status_code)
    assert codes == [401] * 5 + [429]


# --- 3. Per-account throttle -----------------------------------------------------------------


def test_guessing_one_accounts_password_from_many_addresses_pauses_it_and_tells_the_owner(app, outbox):
    make_user(email="kim@example.org")
    for index in range(5):
        attacker = via_proxy(app.test_client(), f"203.0.113.{index + 1}")
        assert post_form(attacker, "/sign-in", {"email": "kim@example.org", "password": f"guess {index}"}).status_code == 401
    attacker = via_proxy(app.test_client(), "203.0.113.99")
    response = post_form(attacker, "/sign-in", {"email": "KIM@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "Too many wrong passwords for this account" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) <= 60
    assert [(m.to, m.subject) for m in outbox] == [("kim@example.org", "Wrong passwords were tried on your account")]
    # An address with no account is paused the same way, so the pause reveals nothing.
    for index in range(6):
        attacker = via_proxy(app.test_client(), f"198.51.100.{index + 1}")
        last = post_form(attacker, "/sign-in", {"email": "nobody@example.org", "password": f"guess {index}"})
    assert last.status_code == 429 and len(outbox) == 1


def test_a_device_that_signed_in_before_is_not_locked_out_by_a_stranger(app, outbox):
    make_user(email="kim@example.org")
    laptop = via_proxy(app.test_client(), "192.0.2.10")
    sign_in(laptop, "kim@example.org")
    laptop.post("/sign-out", data={"csrf_token": csrf_token(laptop, "/profile")})
    for index in range(7):
        attacker = via_proxy(app.test_client(), f"203.0.113.{index + 1}")
        post_form(attacker, "/sign-in", {"email": "kim@example.org", "password": f"guess {index}"})
    assert post_form(via_proxy(app.test_client(), "192.0.2.11"), "/sign-in",
                     {"email": "kim@example.org", "password": DEFAULT_PASSWORD}).status_code == 429
    sign_in(laptop, "kim@example.org")
    assert laptop.get("/profile").status_code == 200


# --- 4. A reset token works once, however many times it is sent at once --------------------


def test_one_reset_token_sent_ten_times_at_once_changes_the_password_once(app, outbox):
    user = make_user(email="kim@example.org")
    post_form(app.test_client(), "/forgot-password", {"email": "kim@example.org"})
    link = re.search(r"http://localhost(/reset-password/\S+)", outbox[0].body).group(1)
    clients = [via_proxy(app.test_client(), f"203.0.113.{i + 1}") for i in range(10)]
    tokens = [csrf_token(c, link) for c in clients]
    calls = [lambda c=c, t=t, i=i: c.post(link, data={"csrf_token": t, "new_password": f"fresh phrase number {i}"})
             for i, (c, t) in enumerate(zip(clients, tokens))]
    codes = sorted(r.status_code for r in run_at_once(calls))
    assert codes.count(302) == 1 and set(codes) <= {302, 400, 409}, codes
    signed_in = [c for c in clients if c.get("/profile").status_code == 200]
    assert len(signed_in) == 1
    db.session.expire_all()
    stored = db.session.get(User, user.id).password_hash
    assert sum(verify_password(stored, f"fresh phrase number {i}") for i in range(10)) == 1


# --- 5. Changing the password is limited too ---------------------------------------------


def test_change_password_is_rate_limited_per_user(app_config, request):
    app_config["CHANGE_PASSWORD_RATE_LIMIT"] = "3 per hour"
    app = request.getfixturevalue("app")
    make_user(email="kim@example.org")
    client = app.test_client()
    sign_in(client, "kim@example.org")
    codes = [post_form(client, "/account/password", {"current_password": f"wrong {i}", "new_password": "new quiet harbor"},
                       form_url="/account/password").status_code for i in range(4)]
    assert codes == [422, 422, 422, 429]


def test_wrong_current_passwords_count_towards_the_account_pause(client, outbox):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    codes = [post_form(client, "/account/password", {"current_password": f"wrong {i}", "new_password": "new quiet harbor"}
                       ).status_code for i in range(6)]
    assert codes == [422] * 5 + [429]
    response = post_form(client, "/account/password", {"current_password": DEFAULT_PASSWORD, "new_password": "new quiet harbor"})
    assert response.status_code == 429


# --- 8. Email through SMTP -----------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret pass")

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    inbox.port, inbox.logins = controller.port, logins
    yield inbox
    controller.stop()


def test_password_reset_email_is_delivered_over_smtp(smtp_server, app_config, request):
    app_config["MAIL_URL"] = f"smtp://mailer%40ce.example.org:s3cret%20pass@127.0.0.1:{smtp_server.port}?tls=none"
    app_config["MAIL_FROM"] = "CE Platform <no-reply@ce.example.org>"
    app = request.getfixturevalue("app")
    make_user(email="kim@example.org")
    response = post_form(app.test_client(), "/forgot-password", {"email": "kim@example.org"})
    assert response.status_code == 302
    assert smtp_server.logins == [("mailer@ce.example.org", "s3cret pass")]
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["kim@example.org"]
    assert envelope.mail_from == "no-reply@ce.example.org"
    text = envelope.content.decode()
    assert "Subject: Reset your password" in text
    assert re.search(r"http://localhost/reset-password/\S+", text)


def test_mail_server_down_is_logged_and_the_answer_unchanged(app_config, request, caplog):
    app_config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}?tls=none"
    app = request.getfixturevalue("app")
    make_user(email="kim@example.org")
    with caplog.at_level(logging.ERROR):
        response = post_form(app.test_client(), "/forgot-password", {"email": "kim@example.org"})
    assert response.status_code == 302
    assert "could not send email 'Reset your password' to kim@example.org" in caplog.text


def test_development_prints_email_to_the_log(app, caplog):
    make_user(email="kim@example.org")
    with caplog.at_level(logging.INFO, logger="course.core.mail"):
        post_form(app.test_client(), "/forgot-password", {"email": "kim@example.org"})
    assert "Email to kim@example.org: Reset your password" in caplog.text
    assert "http://localhost/reset-password/" in caplog.text


def test_production_needs_a_mail_url(tmp_path, content_dir):
    from course.core.config import ConfigError

    with pytest.raises(ConfigError, match="MAIL_URL must be set"):
        create_app(app_settings(APP_ENV="production", SECRET_KEY=STRONG_KEY, BASE_URL="https://ce.example.org",
                                SQLALCHEMY_DATABASE_URI="sqlite://", CONTENT_DIR=str(content_dir)))
    with pytest.raises(ConfigError, match="MAIL_URL must look like"):
        create_app(app_settings(MAIL_URL="http://mail.example.org", SQLALCHEMY_DATABASE_URI="sqlite://"))
