"""Configuration read from the environment.

`APP_ENV` picks the profile (development or production); the other settings come
from `DATABASE_URL`, `SECRET_KEY`, `BASE_URL`, `TRUSTED_HOSTS`, `FORWARDED_ALLOW_IPS`,
`PROXY_COUNT`, `MAIL_URL`, `MAIL_FROM`, `CONTENT_DIR`, `CONTENT_DRAFT_DIR`, `CONTENT_SNAPSHOT_DIR`,
`RATELIMIT_STORAGE_URI`, `BADGE_SIGNING_KEY`, `BADGE_RETIRED_KEYS` and the LTI key files
(`LTI_PRIVATE_KEY_FILE`, `LTI_RETIRED_KEYS_DIR`).
"""
import hashlib
import math
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


# A production SECRET_KEY must carry at least this many bits: 32 random bytes.
SECRET_KEY_MIN_BITS = 256
_CHARACTER_CLASSES = (("0123456789", 10), ("abcdef", 6), ("ghijklmnopqrstuvwxyz", 20),
                      ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 26), ("-_", 2), ("+/=", 3))


def secret_key_bits(key: str) -> float:
    """An upper estimate of the randomness in `key`, in bits.

    Each character counts as drawn from the alphabet its character classes span (64 hex digits
    reach 256 bits, as do 43 URL-safe base64 characters), and a key using fewer than half the
    distinct characters a random one would counts as repetition, worth nothing.
    """
    alphabet = sum(size for characters, size in _CHARACTER_CLASSES if any(c in characters for c in key))
    if any(not any(c in characters for characters, _ in _CHARACTER_CLASSES) for c in key):
        alphabet += 32
    if len(set(key)) < min(alphabet, len(key)) / 2 or alphabet < 2:
        return 0.0
    return len(key) * math.log2(alphabet)


def _mail_settings(mail_url: str | None) -> dict:
    """MAIL_URL: `smtp://user:password@host:587` (STARTTLS unless `?tls=none`), `smtps://...:465`
    (TLS from the start), or unset for the log (development only)."""
    if not mail_url:
        return {"MAIL_URL": None}
    parts = urlsplit(mail_url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"MAIL_URL must look like smtp://user:password@host:587 or smtps://host:465, not {parts.scheme}://...")
    try:
        parts.port
    except ValueError as error:
        raise ConfigError(f"MAIL_URL has an invalid port: {error}") from None
    if parts.query not in ("", "tls=none", "tls=starttls"):
        raise ConfigError("MAIL_URL's only option is ?tls=none (plain SMTP, for a relay on this machine) or ?tls=starttls")
    return {"MAIL_URL": mail_url}


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
        "CHANGE_PASSWORD_RATE_LIMIT": "10 per hour",  # per signed-in user
        "KNOWN_DEVICE_COOKIE_NAME": "known_device",
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
        # The LTI tool's private key (PEM) and the retired public keys still published (see lti/keys.py).
        "LTI_PRIVATE_KEY_FILE": os.environ.get("LTI_PRIVATE_KEY_FILE", str(instance_path / "lti" / "private-key.pem")),
        "LTI_RETIRED_KEYS_DIR": os.environ.get("LTI_RETIRED_KEYS_DIR", str(instance_path / "lti" / "retired-keys")),
    }
    secret = overrides.get("SECRET_KEY") or os.environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError("SECRET_KEY must be set when APP_ENV=production")
        secret = _dev_secret_key(instance_path)
    elif production and secret_key_bits(secret) < SECRET_KEY_MIN_BITS:
        raise ConfigError("SECRET_KEY must hold at least 32 random bytes, e.g. the output of "
                          "python3 -c 'import secrets; print(secrets.token_hex(32))'")
    config["SECRET_KEY"] = secret
    if production:
        # __Host- cookies are only accepted over HTTPS, for this exact host and path /: a
        # neighbouring subdomain cannot set or overwrite them.
        config.update(SESSION_COOKIE_NAME="__Host-session", REMEMBER_COOKIE_NAME="__Host-remember_token",
                      KNOWN_DEVICE_COOKIE_NAME="__Host-known_device", SESSION_COOKIE_PATH="/", REMEMBER_COOKIE_PATH="/")
    config.update(_mail_settings(overrides.pop("MAIL_URL", None) or os.environ.get("MAIL_URL")))
    config["MAIL_FROM"] = os.environ.get("MAIL_FROM", "")
    # Requests from these addresses are the proxy's: X-Forwarded-For/-Proto/-Host from them are believed.
    config["FORWARDED_ALLOW_IPS"] = [ip.strip() for ip in os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1").split(",")
                                     if ip.strip()]
    config["PROXY_COUNT"] = int(os.environ.get("PROXY_COUNT", "1"))
    base_url = overrides.pop("BASE_URL", None) or os.environ.get("BASE_URL")
    if not base_url:
        if production:
            raise ConfigError("BASE_URL must be set when APP_ENV=production (e.g. https://ce.example.org)")
        base_url = DEVELOPMENT_BASE_URL
    config.update(_url_settings(base_url))
    extra_hosts = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()]
    # Requests naming any other Host are refused (400) in production.
    config["TRUSTED_HOSTS"] = [urlsplit(config["BASE_URL"]).hostname, *extra_hosts] if production else None
    # Open Badges signing: a Multikey secret key and the public keys it replaced (credits/badges/keys.py);
    # development generates one into instance/ instead.
    badge_key = overrides.get("BADGE_SIGNING_KEY") or os.environ.get("BADGE_SIGNING_KEY")
    if production and not badge_key:
        raise ConfigError("BADGE_SIGNING_KEY must be set when APP_ENV=production (flask credits new-badge-key makes one)")
    config["BADGE_SIGNING_KEY"] = badge_key
    config["BADGE_RETIRED_KEYS"] = tuple(os.environ.get("BADGE_RETIRED_KEYS", "").replace(",", " ").split())
    config.update(overrides)
    config.update(_content_folders(instance_path, config))
    if not config["MAIL_FROM"]:
        config["MAIL_FROM"] = f"no-reply@{urlsplit(config['BASE_URL']).hostname}"
    config["SQLALCHEMY_DATABASE_URI"] = _database_uri(config["SQLALCHEMY_DATABASE_URI"])
    if not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A pooled connection is checked before use, so a database server's restart costs no request.
        config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("pool_pre_ping", True)
    return config
