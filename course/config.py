"""Configuration read from the environment.

`APP_ENV` picks the profile (development, production or testing); the other settings come
from `DATABASE_URL`, `SECRET_KEY`, `CONTENT_DIR` and `RATELIMIT_STORAGE_URI`.
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """Raised when the app is started with a configuration it must refuse."""


def _dev_secret_key(instance_path: Path) -> str:
    """A random key kept in instance/ so sessions survive restarts and are shared by workers."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: Path, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment, then apply `overrides`."""
    overrides = dict(overrides or {})
    env = overrides.get("APP_ENV", os.environ.get("APP_ENV", "development"))
    production = env == "production"
    config = {
        "APP_ENV": env,
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_path / 'ce.sqlite3'}"
        ),
        "CONTENT_DIR": os.environ.get("CONTENT_DIR", str(PROJECT_DIR / "content")),
        # How often a worker looks for edited content files; an edit is live within this time.
        "CONTENT_RECHECK_SECONDS": 2.0 if production else 0.0,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # No X-RateLimit-* headers on every response: each costs the limiter's storage (Redis in
        # production) two more round trips. A refused request still says when to retry (course/__init__.py).
        "RATELIMIT_HEADERS_ENABLED": False,
        "SIGN_IN_RATE_LIMIT": "10 per minute",
        "REGISTER_RATE_LIMIT": "20 per hour",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PASSWORD_RESET_RATE_LIMIT": "5 per 15 minutes",
        "VERIFY_RATE_LIMIT": "60 per minute",
        "PASSWORD_RESET_MAX_AGE": 3600,
        "SESSION_IDLE_TIMEOUT": 30 * 60,
        "SESSION_ABSOLUTE_TIMEOUT": 12 * 3600,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
        # The cookie is re-sent when the session changes (sign-in, and `seen_at` once a minute:
        # course/auth.py), not re-signed on every request.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "REMEMBER_COOKIE_DURATION": timedelta(days=14),
        "WTF_CSRF_TIME_LIMIT": 3600 * 4,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
    }
    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY must be set when APP_ENV=production")
        secret = _dev_secret_key(instance_path)
    config["SECRET_KEY"] = secret
    config.update(overrides)
    uri = config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    config["SQLALCHEMY_DATABASE_URI"] = uri
    return config
