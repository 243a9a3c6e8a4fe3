"""The issuer's Ed25519 keys: the one that signs, and retired ones that still verify what they signed.

Production reads them from configuration: `BADGE_SIGNING_KEY` (a Multikey secret key,
`z` + base58btc) and `BADGE_RETIRED_KEYS` (public Multikeys). Development generates a signing
key once into instance/badge_signing_key; `flask credits rotate-badge-key` moves it to
instance/badge_retired_keys and makes a new one. Every key of the ring is published in the
issuer's key document, so a credential keeps verifying after its key is retired; dropping a
key from the ring (a compromised one) makes what it signed fail as "unknown key".
"""
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .integrity import private_key_from_multikey, public_key_from_multikey, public_multikey, secret_multikey

SIGNING_KEY_FILE = "badge_signing_key"
RETIRED_KEYS_FILE = "badge_retired_keys"


class KeyConfigError(ValueError):
    """A configured key that cannot be read."""


@dataclass(frozen=True)
class KeyRing:
    signing_key: Ed25519PrivateKey
    retired: tuple[str, ...]  # public Multikeys, oldest first

    @property
    def signing_public(self) -> str:
        return public_multikey(self.signing_key.public_key())

    def public_keys(self) -> dict[str, Ed25519PublicKey]:
        """Every key a credential of ours may be signed with, by public Multikey; the signing key first."""
        keys = {self.signing_public: self.signing_key.public_key()}
        for value in self.retired:
            keys.setdefault(value, public_key_from_multikey(value))
        return keys


def split_keys(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s,]+", text or "") if part)


def _dev_signing_key(instance_path: Path) -> str:
    key_file = instance_path / SIGNING_KEY_FILE
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secret_multikey(Ed25519PrivateKey.generate()) + "\n")
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def key_ring(config, instance_path: Path) -> KeyRing:
    """The keys `config` names, or in development those kept in `instance_path`."""
    secret = config.get("BADGE_SIGNING_KEY") or _dev_signing_key(instance_path)
    retired = tuple(config.get("BADGE_RETIRED_KEYS") or ())
    retired_file = instance_path / RETIRED_KEYS_FILE
    if not config.get("BADGE_SIGNING_KEY") and retired_file.exists():
        retired += split_keys(retired_file.read_text())
    try:
        ring = KeyRing(private_key_from_multikey(secret), retired)
        ring.public_keys()
    except ValueError as error:
        raise KeyConfigError(f"Open Badges key configuration: {error}") from error
    return ring


def rotate_dev_key(instance_path: Path) -> tuple[str, str]:
    """Retire the development signing key and make a new one; (old, new) public Multikeys."""
    old = public_multikey(private_key_from_multikey(_dev_signing_key(instance_path)).public_key())
    with (instance_path / RETIRED_KEYS_FILE).open("a") as retired:
        retired.write(old + "\n")
    (instance_path / SIGNING_KEY_FILE).unlink()
    new = public_multikey(private_key_from_multikey(_dev_signing_key(instance_path)).public_key())
    return old, new
