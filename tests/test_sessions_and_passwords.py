"""Session hardening, password rules, password change and reset."""
import re
import secrets
from datetime import UTC, datetime, timedelta

import pytest

from accounts import passwords
from accounts.models import User
from accounts.passwords import common_passwords, hash_password, needs_rehash, password_problem, verify_password
from course import create_app
from course.core.extensions import db
from tests.conftest import RecordingSender
from tests.factories import DEFAULT_PASSWORD, TEST_BADGE_KEY, app_settings, csrf_token, make_user, post_form, sign_in

STRONG_KEY = "5f0c9e2a7b41d8e3a96c2f07b5e18d4c3a2b9f60e7d15c48a3f92b06d7e4c1a8"


class Clock:
    def __init__(self):
        self.moment = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self):
        return self.moment


@pytest.fixture
def clock(app):
    clock = Clock()
    app.config["CLOCK"] = clock
    return clock


def test_common_passwords_are_refused():
    assert len(common_passwords()) == 5000
    for password in ("password", "baseball", "iloveyou", "PASSWORD1", "sunshine"):
        assert "most commonly used" in (password_problem(password) or ""), password
    assert password_problem("quiet harbor lantern") is None
    assert password_problem("aaaaaaaaaa")  # repetitive


def test_an_unknown_email_is_checked_against_a_hash_as_slow_as_a_real_one(app):
    """Sign-in verifies the password against a hash when the email is unknown; with other
    parameters than the hasher's, that would take a different time and tell that the email is not
    registered."""
    verified = []
    real_verify = passwords.verify_password
    passwords.verify_password = lambda password_hash, password: verified.append(password_hash) or real_verify(
        password_hash, password)
    try:
        passwords.verify_against_nothing("any password at all")
    finally:
        passwords.verify_password = real_verify
    [hash_of_nothing] = verified
    assert not needs_rehash(hash_of_nothing)
    assert not verify_password(hash_of_nothing, "any password at all")


def test_production_hashes_passwords_with_argon2id_at_its_default_cost(tmp_path):
    """The suite hashes cheaply (tests/factories.py); an app with the default settings uses
    argon2-cffi's defaults, RFC 9106's low-memory profile: 64 MiB, 3 passes, 4 lanes."""
    app = create_app({**app_settings(), "PASSWORD_HASH_PARAMETERS": {}})
    with app.app_context():
        password_hash = hash_password("quiet harbor lantern")
    assert password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_registration_refuses_a_common_password(client):
    response = post_form(client, "/register", {"first_name": "A", "last_name": "B", "email": "ab@example.org", "password": "football"})
    assert response.status_code == 422
    assert "most commonly used" in response.get_data(as_text=True)


def test_security_headers_on_every_response(client):
    for url in ("/", "/sign-in", "/courses/sample-course", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in headers
    assert "max-age=" in client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_session_cookie_flags(client):
    make_user(email="kim@example.org")
    response = post_form(client, "/sign-in", {"email": "kim@example.org", "password": DEFAULT_PASSWORD, "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(tmp_path):
    from course.core.config import load_config

    config = load_config(tmp_path, {"APP_ENV": "production", "SECRET_KEY": STRONG_KEY, "BASE_URL": "https://ce.example.org",
                                    "BADGE_SIGNING_KEY": TEST_BADGE_KEY})
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]


def test_production_refuses_a_guessable_secret_key(tmp_path):
    from course.core.config import ConfigError, load_config, secret_key_bits

    for weak in ("x", "s" * 64, "test-secret-key", "correct horse battery staple", "0123456789abcdef" * 2):
        with pytest.raises(ConfigError, match="32 random bytes"):
            load_config(tmp_path, {"APP_ENV": "production", "SECRET_KEY": weak, "BASE_URL": "https://ce.example.org"})
    for _ in range(200):
        assert secret_key_bits(secrets.token_hex(32)) >= 256
    assert load_config(tmp_path, {"SECRET_KEY": "x"})["SECRET_KEY"] == "x"  # development takes any key


def test_production_cookies_have_the_host_prefix(tmp_path, monkeypatch, content_dir):
    """__Host- cookies: Secure, Path=/, no Domain, so no other subdomain can set or read them."""
    monkeypatch.setenv("APP_ENV", "production")
    app = create_app(app_settings(APP_ENV="production", SECRET_KEY=STRONG_KEY, BASE_URL="https://localhost",
                                  SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
                                  CONTENT_DIR=str(content_dir), MAIL_SENDER=RecordingSender()))
    with app.app_context():
        db.create_all()
        make_user(email="kim@example.org")
        client = app.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        response = post_form(client, "/sign-in", {"email": "kim@example.org", "password": DEFAULT_PASSWORD,
                                                  "remember": "y"}, headers={"Referer": "https://localhost/sign-in"})
        assert response.status_code == 302
        cookies = response.headers.getlist("Set-Cookie")
        names = sorted(c.split("=", 1)[0] for c in cookies)
        assert names == ["__Host-known_device", "__Host-remember_token", "__Host-session"]
        for cookie in cookies:
            assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
        assert client.get("/profile").status_code == 200
        db.session.remove()
        db.engine.dispose()


def test_production_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    from course.core.config import ConfigError, load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        load_config(tmp_path, {"APP_ENV": "production", "BASE_URL": "https://ce.example.org"})


def test_production_refuses_to_start_without_its_base_url(tmp_path, monkeypatch):
    """Links sent out of the app (verify URLs, reset links) name the configured site, never a request's Host."""
    from course.core.config import ConfigError, load_config

    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="BASE_URL"):
        load_config(tmp_path, {"APP_ENV": "production", "SECRET_KEY": STRONG_KEY})
    with pytest.raises(ConfigError, match="scheme and host"):
        load_config(tmp_path, {"APP_ENV": "production", "SECRET_KEY": STRONG_KEY, "BASE_URL": "ce.example.org/path"})
    config = load_config(tmp_path, {"APP_ENV": "production", "SECRET_KEY": STRONG_KEY, "BASE_URL": "https://ce.example.org/",
                                    "BADGE_SIGNING_KEY": TEST_BADGE_KEY})
    assert (config["SERVER_NAME"], config["PREFERRED_URL_SCHEME"]) == ("ce.example.org", "https")


def test_signing_in_issues_a_fresh_session(app, client):
    make_user(email="kim@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, "kim@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session


def test_sign_out_ends_every_other_session(app):
    make_user(email="kim@example.org")
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "kim@example.org")
    sign_in(phone, "kim@example.org")
    assert phone.get("/profile").status_code == 200
    laptop.post("/sign-out", data={"csrf_token": csrf_token(laptop, "/profile")})
    assert phone.get("/profile").status_code == 302
    assert laptop.get("/profile").status_code == 302


def test_remember_me_cookie_stops_working_after_sign_out_elsewhere(app):
    make_user(email="kim@example.org")
    laptop, phone = app.test_client(), app.test_client()
    post_form(phone, "/sign-in", {"email": "kim@example.org", "password": DEFAULT_PASSWORD, "remember": "y"})
    phone.delete_cookie("session")  # browser restarted: only the remember-me cookie is left
    assert phone.get("/profile").status_code == 200
    sign_in(laptop, "kim@example.org")
    laptop.post("/sign-out", data={"csrf_token": csrf_token(laptop, "/profile")})
    phone.delete_cookie("session")
    assert phone.get("/profile").status_code == 302


def test_changing_password_ends_other_sessions_and_keeps_this_one(app):
    user = make_user(email="kim@example.org")
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, "kim@example.org")
    sign_in(phone, "kim@example.org")
    response = post_form(laptop, "/account/password", {"current_password": DEFAULT_PASSWORD, "new_password": "new quiet harbor"})
    assert response.status_code == 302
    assert laptop.get("/profile").status_code == 200
    assert phone.get("/profile").status_code == 302
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, "new quiet harbor")


def test_changing_password_needs_the_current_one(client):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    response = post_form(client, "/account/password", {"current_password": "wrong", "new_password": "new quiet harbor"})
    assert response.status_code == 422 and "not your current password" in response.get_data(as_text=True)
    response = post_form(client, "/account/password", {"current_password": DEFAULT_PASSWORD, "new_password": "password"})
    assert response.status_code == 422 and "most commonly used" in response.get_data(as_text=True)


def test_idle_timeout(client, clock):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    clock.moment += timedelta(minutes=29)
    assert client.get("/profile").status_code == 200
    clock.moment += timedelta(minutes=29)
    assert client.get("/profile").status_code == 200
    clock.moment += timedelta(minutes=31)
    response = client.get("/profile")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.get("/profile").status_code == 302


def test_session_cookie_is_resent_only_when_last_seen_moves_a_minute(client, clock):
    """Signing the cookie again on every page costs time; the idle clock moves once a minute."""
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    client.get("/profile")
    clock.moment += timedelta(seconds=30)
    assert "Set-Cookie" not in client.get("/profile").headers
    clock.moment += timedelta(seconds=31)
    assert "session=" in client.get("/profile").headers.get("Set-Cookie", "")
    clock.moment += timedelta(seconds=59)
    assert "Set-Cookie" not in client.get("/profile").headers


def test_absolute_timeout(client, clock):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    for _ in range(25):  # active every 29 minutes, for just over 12 hours
        clock.moment += timedelta(minutes=29)
        if client.get("/profile").status_code != 200:
            break
    assert clock.moment - datetime(2026, 3, 1, 9, 0, tzinfo=UTC) > timedelta(hours=12)
    assert client.get("/profile").status_code == 302


def _reset_link(outbox) -> str:
    assert len(outbox) == 1
    return re.search(r"http://localhost(/reset-password/\S+)", outbox[0].body).group(1)


def test_password_reset_by_single_use_token(client, outbox):
    user = make_user(email="kim@example.org")
    response = post_form(client, "/forgot-password", {"email": "KIM@example.org"})
    assert response.status_code == 302
    link = _reset_link(outbox)
    assert outbox[0].to == "kim@example.org"
    response = post_form(client, link, {"new_password": "a brand new phrase"})
    assert response.status_code == 302
    db.session.expire_all()
    assert verify_password(db.session.get(User, user.id).password_hash, "a brand new phrase")
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/profile")})
    reused = client.get(link)
    assert reused.status_code == 400 and "already used" in reused.get_data(as_text=True)


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(client, outbox):
    response = post_form(client, "/forgot-password", {"email": "nobody@example.org"}, follow_redirects=True)
    assert "If an account uses that address" in response.get_data(as_text=True)
    assert outbox == []


def test_expired_or_forged_reset_token_is_refused(client, outbox, app, clock):
    make_user(email="kim@example.org")
    post_form(client, "/forgot-password", {"email": "kim@example.org"})
    link = _reset_link(outbox)
    assert client.get(link + "x").status_code == 400
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    assert client.get(link).status_code == 400


def test_password_reset_is_rate_limited(client, app):
    app.config["PASSWORD_RESET_RATE_LIMIT"] = "3 per minute"
    token = csrf_token(client, "/forgot-password")
    statuses = [client.post("/forgot-password", data={"csrf_token": token, "email": "x@example.org"}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
