"""Password hashing (Argon2id, with the app's PASSWORD_HASH_PARAMETERS) and the rules a new password must meet."""
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"


def init_app(app: Flask) -> None:
    app.extensions["password_hasher"] = PasswordHasher(**app.config["PASSWORD_HASH_PARAMETERS"])


def _hasher() -> PasswordHasher:
    return current_app.extensions["password_hasher"]


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def _hash_of_nothing(hasher: PasswordHasher) -> str:
    return hasher.hash("no account has this password")


def verify_against_nothing(password: str) -> None:
    """Spend the time verifying a password takes, for an email that has no account.

    Sign-in then answers in the same time whether or not the email exists. The hash is made
    the first time it is needed, once per hasher (so with the app's own parameters).
    """
    verify_password(_hash_of_nothing(_hasher()), password)


def password_problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why `password` is too weak to accept, or None if it is fine.

    NIST SP 800-63B style: a minimum length and a block list, no composition rules.
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in common_passwords():
        return "That password is one of the most commonly used; choose one that is harder to guess."
    if len(set(lowered)) < 3:
        return "That password is too easy to guess; use more varied characters."
    for personal in (email.lower(), email.split("@")[0].lower(), name.lower().replace(" ", "")):
        if len(personal) >= 4 and personal in lowered.replace(" ", ""):
            return "Your password must not contain your email address or name."
    return None
