"""The eddsa-rdfc-2022 implementation reproduces published test vectors byte for byte, offline.

W3C vc-di-eddsa (TestVectors/eddsa-rdfc-2022) and the 1EdTech Open Badges 3.0 Implementation
Guide's linked-data-proof example; both copied, with their sources, in tests/fixtures/badges/.
"""
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from credits.badges import integrity, jsonld

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "badges"
W3C = FIXTURES / "vc-di-eddsa"
OB = FIXTURES / "ob-v3p0"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def w3c_loader():
    """The bundled contexts plus the W3C examples context the vector's credential uses."""
    return jsonld.document_loader({EXAMPLES_V2: read_json(FIXTURES / "credentials-examples-v2.jsonld")})


def test_w3c_key_pair_decodes_to_the_published_public_key():
    pair = read_json(W3C / "keyPair.json")
    key = integrity.private_key_from_multikey(pair["privateKeyMultibase"])
    assert integrity.public_multikey(key.public_key()) == pair["publicKeyMultibase"]
    assert integrity.secret_multikey(key) == pair["privateKeyMultibase"]


def test_w3c_vector_canonical_forms_hashes_and_signature(w3c_loader):
    unsigned = read_json(W3C / "unsigned.json")
    config = read_json(W3C / "proofConfigDataInt.json")
    hashed = integrity.hash_data(unsigned, config, w3c_loader)
    assert hashed.canonical_document == (W3C / "canonDocDataInt.txt").read_text()
    assert hashed.canonical_proof == (W3C / "proofCanonDataInt.txt").read_text()
    assert hashed.document_hash.hex() == (W3C / "docHashDataInt.txt").read_text().strip()
    assert hashed.proof_hash.hex() == (W3C / "proofHashDataInt.txt").read_text().strip()
    assert hashed.signed_bytes.hex() == (W3C / "combinedHashDataInt.txt").read_text().strip()

    key = integrity.private_key_from_multikey(read_json(W3C / "keyPair.json")["privateKeyMultibase"])
    signed = integrity.add_proof(unsigned, key, verification_method=config["verificationMethod"],
                                 created=config["created"], loader=w3c_loader)
    assert integrity.multibase_decode(signed["proof"]["proofValue"]).hex() == (W3C / "sigHexDataInt.txt").read_text().strip()
    assert signed["proof"]["proofValue"] == (W3C / "sigBTC58DataInt.txt").read_text().strip()
    assert signed == read_json(W3C / "signedDataInt.json")


def test_w3c_signed_vector_verifies_and_a_changed_copy_does_not(w3c_loader):
    signed = read_json(W3C / "signedDataInt.json")
    public = integrity.public_key_from_multikey(read_json(W3C / "keyPair.json")["publicKeyMultibase"])
    integrity.check_proof(signed, public, w3c_loader)
    signed["credentialSubject"]["alumniOf"] = "The School of Exampels"
    with pytest.raises(integrity.ProofError, match="bad signature"):
        integrity.check_proof(signed, public, w3c_loader)


def test_open_badges_vector_canonical_forms_hashes_and_signature():
    signed = read_json(OB / "signed-credential.json")
    published = read_json(OB / "key-and-hashes.json")
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(published["privateKeyHex"])[:32])
    assert key.public_key().public_bytes_raw().hex() == published["publicKeyHex"]
    assert integrity.public_multikey(key.public_key()) == published["publicKeyMultibase"]

    hashed = integrity.hash_data(signed, signed["proof"])  # the bundled contexts alone suffice
    assert hashed.canonical_document == (OB / "document-canon.txt").read_text()
    assert hashed.canonical_proof == (OB / "proof-canon.txt").read_text()
    assert hashed.document_hash.hex() == published["documentHashHex"]
    assert hashed.proof_hash.hex() == published["proofHashHex"]

    unsigned = {name: value for name, value in signed.items() if name != "proof"}
    ours = integrity.add_proof(unsigned, key, verification_method=signed["proof"]["verificationMethod"],
                               created=signed["proof"]["created"])
    assert integrity.multibase_decode(ours["proof"]["proofValue"]).hex() == published["signatureHex"]
    assert ours == signed
    integrity.check_proof(signed, key.public_key())


def test_base58_round_trips_leading_zero_bytes():
    for data in (b"", b"\0", b"\0\0\x01", bytes(range(40))):
        assert integrity.base58_decode(integrity.base58_encode(data)) == data
