"""The tool's key pair: the private key signs deep-linking responses and service-token requests,
the public keys (current and retired) are published at /lti/jwks.

The private key is a PEM file named by LTI_PRIVATE_KEY_FILE; retired public keys are PEM files in
LTI_RETIRED_KEYS_DIR, published until removed, so a platform holding our JWKS keeps verifying what
was signed before a rotation. Outside production a missing key is made on first use.
"""
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jwcrypto.jwk import JWK

KEY_SIZE = 2048


class KeyNotConfigured(RuntimeError):
    """No private key where LTI_PRIVATE_KEY_FILE says, in production (where none is made)."""


@dataclass(frozen=True)
class ToolKey:
    private_pem: str
    public_pem: str
    kid: str  # the RFC 7638 thumbprint of the public key


_loaded: dict[tuple[str, int], ToolKey] = {}


def _temporary_file(directory: Path, text: str) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=directory, prefix=".key-")
    with os.fdopen(handle, "w") as file:
        file.write(text)
    os.chmod(name, 0o600)
    return name


def _new_private_pem() -> str:
    return JWK.generate(kty="RSA", size=KEY_SIZE).export_to_pem(private_key=True, password=None).decode()


def _create_if_missing(path: Path) -> None:
    """Make a key at `path` unless one is there; of several workers racing, the first one's key stays."""
    temporary = _temporary_file(path.parent, _new_private_pem())
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def tool_key(config) -> ToolKey:
    """The current key pair (re-read when the file changes, as after a rotation)."""
    path = Path(config["LTI_PRIVATE_KEY_FILE"])
    if not path.exists():
        if config.get("APP_ENV") == "production":
            raise KeyNotConfigured(f"There is no LTI private key at {path}: run `flask lti rotate-key` to make one.")
        _create_if_missing(path)
    stamp = (str(path), path.stat().st_mtime_ns)
    if stamp not in _loaded:
        private = JWK.from_pem(path.read_bytes())
        _loaded[stamp] = ToolKey(path.read_text(), private.export_to_pem().decode(), private.thumbprint())
    return _loaded[stamp]


def _public_jwk(public_pem: str) -> dict:
    key = JWK.from_pem(public_pem.encode())
    return {**key.export_public(as_dict=True), "kid": key.thumbprint(), "alg": "RS256", "use": "sig"}


def retired_public_keys(config) -> list[str]:
    directory = Path(config["LTI_RETIRED_KEYS_DIR"])
    return [path.read_text() for path in sorted(directory.glob("*.pem"))] if directory.is_dir() else []


def public_jwks(config) -> dict:
    """The JWKS the tool publishes: the current key first, then the retired ones."""
    keys = [_public_jwk(tool_key(config).public_pem)]
    keys += [jwk for jwk in map(_public_jwk, retired_public_keys(config)) if jwk["kid"] != keys[0]["kid"]]
    return {"keys": keys}


def rotate_key(config) -> tuple[str | None, str]:
    """Make a new private key; the old one's public key joins the retired keys. Returns (old kid, new kid)."""
    path = Path(config["LTI_PRIVATE_KEY_FILE"])
    old_kid = None
    if path.exists():
        old = tool_key(config)
        old_kid = old.kid
        retired = Path(config["LTI_RETIRED_KEYS_DIR"])
        os.replace(_temporary_file(retired, old.public_pem), retired / f"{old.kid}.pem")
    os.replace(_temporary_file(path.parent, _new_private_pem()), path)
    return old_kid, tool_key(config).kid
