"""Per-account throttle on password guesses, whichever addresses they come from.

Wrong passwords are counted per email address (whether or not it has an account, so the
throttle reveals nothing) on a ladder of limits: the first rung to fill pauses that account's
sign-in until its window moves on, so a guesser gets at most ACCOUNT_LIMITS' attempts, and
the real user is kept out for minutes, not days. A device the user signed in from before
carries a known-device cookie and is counted on its own, so a stranger's guesses do not lock
the user out of it at all. The counters live in the rate limiter's storage (Redis in
production); while that is unreachable, each worker counts in its own memory and logs it.
"""
import hashlib
import logging
import secrets
import time

from itsdangerous import BadData, URLSafeSerializer
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from course.core.extensions import limiter

logger = logging.getLogger(__name__)
ACCOUNT_LIMITS = parse_many("5 per minute; 10 per 15 minutes; 20 per hour")
KNOWN_DEVICE_SALT = "known-device"
KNOWN_DEVICE_DAYS = 180
_fallback = MovingWindowRateLimiter(MemoryStorage())


def _strategy():
    return limiter.limiter


def _run(operation):
    """`operation(strategy)` on the shared storage, or on this worker's memory while it is down."""
    try:
        return operation(_strategy())
    except Exception as error:  # noqa: BLE001 (redis-py, memcached and others raise their own errors)
        logger.warning("rate-limit storage unavailable, counting password guesses in this worker: %s", error)
        return operation(_fallback)


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def throttle_key(email: str, device: str | None) -> str:
    """The counter for guesses at `email`: the account's, or that known device's own."""
    key = f"account-guesses/{_email_digest(email)}"
    return f"{key}/device/{device}" if device else key


def seconds_to_wait(key: str) -> int:
    """0 if another guess may be checked now, otherwise how long until it may."""
    def wait(strategy):
        waits = []
        for item in ACCOUNT_LIMITS:
            if not strategy.test(item, key):
                waits.append(max(1, int(strategy.get_window_stats(item, key).reset_time - time.time())))
        return max(waits, default=0)
    return _run(wait)


def record_wrong_password(key: str) -> bool:
    """Count a wrong password; True if this one filled a rung, so the account is now paused."""
    def hit(strategy):
        for item in ACCOUNT_LIMITS:
            strategy.hit(item, key)
        return any(not strategy.test(item, key) for item in ACCOUNT_LIMITS)
    return _run(hit)


def clear(key: str) -> None:
    """The right password: the count starts again."""
    def reset(strategy):
        for item in ACCOUNT_LIMITS:
            strategy.clear(item, key)
    _run(reset)


def should_warn_owner(email: str) -> bool:
    """At most one "someone is guessing your password" email per account per hour."""
    item = parse_many("1 per hour")[0]
    return _run(lambda strategy: strategy.hit(item, f"account-guess-warning/{_email_digest(email)}"))


def new_known_device(email: str, secret_key: str) -> str:
    """A cookie value naming this device as one `email` signed in from."""
    return URLSafeSerializer(secret_key, salt=KNOWN_DEVICE_SALT).dumps(
        {"e": _email_digest(email), "n": secrets.token_urlsafe(12)})


def known_device(cookie: str | None, email: str, secret_key: str) -> str | None:
    """The device id in `cookie` if it was issued to `email`'s account, otherwise None."""
    if not cookie:
        return None
    try:
        data = URLSafeSerializer(secret_key, salt=KNOWN_DEVICE_SALT).loads(cookie)
    except BadData:
        return None
    if not isinstance(data, dict) or data.get("e") != _email_digest(email) or not isinstance(data.get("n"), str):
        return None
    return data["n"]
