"""The eddsa-rdfc-2022 Data Integrity cryptosuite (W3C vc-di-eddsa, section 3.3) and Multikey encodings.

Signing: canonicalise the proof options (with the document's @context) and the document
without its proof, SHA-256 each, sign proofHash || documentHash with Ed25519, and write the
signature as base58btc multibase (`z...`). Verifying redoes the same with the proof's own
options. Ed25519 public keys are Multikeys: multibase of 0xed 0x01 + the 32 key bytes; secret
keys multibase of 0x80 0x26 + the 32-byte seed.
"""
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from .jsonld import canonize

CRYPTOSUITE = "eddsa-rdfc-2022"
ED25519_PUBLIC_PREFIX = b"\xed\x01"
ED25519_SECRET_PREFIX = b"\x80\x26"
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class ProofError(ValueError):
    """A proof that cannot be checked or does not verify; `reason` says which, in plain words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def base58_encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    digits = ""
    while number:
        number, remainder = divmod(number, 58)
        digits = BASE58[remainder] + digits
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + digits


def base58_decode(text: str) -> bytes:
    number = 0
    for character in text:
        index = BASE58.find(character)
        if index < 0:
            raise ValueError(f"{character!r} is not a base58 character")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def multibase_decode(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise ValueError("only base58btc multibase values (starting with z) are supported")
    return base58_decode(value[1:])


def public_multikey(key: Ed25519PublicKey) -> str:
    return "z" + base58_encode(ED25519_PUBLIC_PREFIX + key.public_bytes(Encoding.Raw, PublicFormat.Raw))


def public_key_from_multikey(value: str) -> Ed25519PublicKey:
    raw = multibase_decode(value)
    if len(raw) != 34 or not raw.startswith(ED25519_PUBLIC_PREFIX):
        raise ValueError("not an Ed25519 Multikey public key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def secret_multikey(key: Ed25519PrivateKey) -> str:
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return "z" + base58_encode(ED25519_SECRET_PREFIX + seed)


def private_key_from_multikey(value: str) -> Ed25519PrivateKey:
    raw = multibase_decode(value)
    if len(raw) != 34 or not raw.startswith(ED25519_SECRET_PREFIX):
        raise ValueError("not an Ed25519 Multikey secret key (z + base58btc of 0x8026 and the 32-byte seed)")
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


@dataclass(frozen=True)
class HashData:
    """What is signed, with the intermediate values the test vectors publish."""

    canonical_document: str
    canonical_proof: str
    document_hash: bytes
    proof_hash: bytes

    @property
    def signed_bytes(self) -> bytes:
        return self.proof_hash + self.document_hash


def hash_data(document: dict, proof_options: dict, loader=None) -> HashData:
    """Transformation and hashing (vc-di-eddsa 3.3.2-3.3.4): the proof options take the document's @context."""
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    options = {key: value for key, value in proof_options.items() if key != "proofValue"}
    options["@context"] = unsecured["@context"]
    canonical_document = canonize(unsecured, loader)
    canonical_proof = canonize(options, loader)
    return HashData(canonical_document, canonical_proof,
                    hashlib.sha256(canonical_document.encode()).digest(),
                    hashlib.sha256(canonical_proof.encode()).digest())


def add_proof(document: dict, key: Ed25519PrivateKey, *, verification_method: str, created: str,
              loader=None) -> dict:
    """The document with a DataIntegrityProof (assertionMethod) made with `key`; `document` is not changed."""
    options = {
        "type": "DataIntegrityProof", "cryptosuite": CRYPTOSUITE, "created": created,
        "verificationMethod": verification_method, "proofPurpose": "assertionMethod",
    }
    signature = key.sign(hash_data(document, options, loader).signed_bytes)
    return {**document, "proof": {**options, "proofValue": "z" + base58_encode(signature)}}


def check_proof(document: dict, public_key: Ed25519PublicKey, loader=None) -> None:
    """Raise ProofError unless `document` carries a valid eddsa-rdfc-2022 proof by `public_key`."""
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:  # OB 3.0's schema writes the proof as a set of one
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("it has no proof (a single Data Integrity proof is expected)")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"its proof is not a DataIntegrityProof with cryptosuite {CRYPTOSUITE}")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofError("its proof is not for the purpose assertionMethod")
    try:
        signature = multibase_decode(proof.get("proofValue"))
    except ValueError as error:
        raise ProofError("its proof value is not a base58btc signature") from error
    try:
        public_key.verify(signature, hash_data(document, proof, loader).signed_bytes)
    except InvalidSignature as error:
        raise ProofError("bad signature: the credential was changed after it was signed, "
                         "or was signed by another key") from error
