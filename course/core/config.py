"""Configuration read from the environment.

`APP_ENV` picks the profile (development or production); the other settings come
from `DATABASE_URL`, `SECRET_KEY`, `BASE_URL`, `CONTENT_DIR` and `RATELIMIT_STORAGE_URI`.
"""
import hashlib
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


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


def _database_uri(uri: str) -> str:
    """`postgres://` and `postgresql://` URLs are read as psycopg 3 URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri.removeprefix(prefix)
    return uri


def _url_settings(base_url: str) -> dict:
    """SERVER_NAME and PREFERRED_URL_SCHEME from BASE_URL, so that every link sent out of the
    app (a verify URL on a certificate, a link in an email) names the configured site, never
    the Host header of whichever request made it."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/") or parts.query:
        raise ConfigError(f"BASE_URL must be a scheme and host such as https://ce.example.org, not {base_url!r}")
    return {"BASE_URL": f"{parts.scheme}://{parts.netloc}", "SERVER_NAME": parts.netloc,
            "PREFERRED_URL_SCHEME": parts.scheme}


def _content_folders(instance_path: Path, config: dict) -> dict:
    """The draft folder beside the live content folder, and where its last valid versions are stored.

    Snapshots default to a folder under instance/ named after the content folder's path, so two
    content folders (two checkouts, or tests) never read each other's.
    """
    content = Path(config["CONTENT_DIR"]).resolve()
    draft = config.get("CONTENT_DRAFT_DIR") or os.environ.get("CONTENT_DRAFT_DIR") or content.with_name(f"{content.name}-draft")
    snapshots = config.get("CONTENT_SNAPSHOT_DIR") or os.environ.get("CONTENT_SNAPSHOT_DIR")
    if not snapshots:
        key = hashlib.sha256(str(content).encode()).hexdigest()[:12]
        snapshots = Path(instance_path) / "content-snapshots" / f"{content.name}-{key}"
    return {"CONTENT_DRAFT_DIR": str(draft), "CONTENT_SNAPSHOT_DIR": str(snapshots)}


def load_config(instance_path: Path, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment, then apply `overrides`."""
    overrides = dict(overrides or {})
    env = overrides.get("APP_ENV", os.environ.get("APP_ENV", "development"))
    production = env == "production"
    config = {
        "APP_ENV": env,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", f"sqlite:///{instance_path / 'ce.sqlite3'}"),
        "CONTENT_DIR": os.environ.get("CONTENT_DIR", str(PROJECT_DIR / "content")),
        # How often a worker looks for edited content files (each look stats every file);
        # an edit is live within this time.
        "CONTENT_RECHECK_SECONDS": 2.0 if production else 0.0,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "SIGN_IN_RATE_LIMIT": "10 per minute",
        "REGISTER_RATE_LIMIT": "20 per hour",
        "PASSWORD_RESET_RATE_LIMIT": "5 per 15 minutes",
        "VERIFY_RATE_LIMIT": "60 per minute",
        # argon2-cffi's PasswordHasher arguments; empty means its defaults (RFC 9106's low-memory profile).
        "PASSWORD_HASH_PARAMETERS": {},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "PASSWORD_RESET_MAX_AGE": 3600,
        "SESSION_IDLE_TIMEOUT": 30 * 60,
        "SESSION_ABSOLUTE_TIMEOUT": 12 * 3600,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
        # The cookie is sent again when the session changes (see accounts.sessions), not on every response.
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
    base_url = overrides.pop("BASE_URL", None) or os.environ.get("BASE_URL")
    if not base_url:
        if production:
            raise ConfigError("BASE_URL must be set when APP_ENV=production (e.g. https://ce.example.org)")
        base_url = DEVELOPMENT_BASE_URL
    config.update(_url_settings(base_url))
    config.update(overrides)
    config.update(_content_folders(instance_path, config))
    config["SQLALCHEMY_DATABASE_URI"] = _database_uri(config["SQLALCHEMY_DATABASE_URI"])
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A pooled connection is checked before use, so a database server's restart costs no request.
        config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)
    return config
