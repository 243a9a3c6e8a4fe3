"""Open Badges 3.0 credentials: what a certificate's credential says, its delivery, verification,
revocation, reissue, key rotation and the refusals, all without network access."""
import html
import io
import json
import re
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jsonschema import Draft201909Validator
from PIL import Image

from course.core.clock import now
from course.core.config import ConfigError, load_config
from course.core.extensions import db
from credits import administration
from credits.badges import baking, integrity, jsonld, keys
from credits.badges.credential import (
    STATUS_LIST_SIZE,
    decoded_bit,
    hashed_email,
    sign,
    verify_credential,
)
from credits.models import Certificate, CertificateCredential
from tests.factories import (
    TEST_BADGE_KEY,
    complete_course,
    csrf_token,
    make_certificate,
    make_user,
    post_claim,
    sign_in,
    submit_evaluation,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "badges"
NAME = "Zoë Łukasiewicz-Nguyễn"
EMAIL = "Zoe@Example.org"


def claim(client, approval_id: str = "nursing-al") -> Certificate:
    response = post_claim(client, approval_id)
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    return db.session.get(Certificate, int(response.headers["Location"].rsplit("/", 1)[1]))


@pytest.fixture
def learner(client):
    user = make_user(email=EMAIL, name=NAME, profession="nurse", licences=[("AL", "AL-98765"), ("KY", "KY-4321")])
    complete_course(user)
    submit_evaluation(user)
    sign_in(client, EMAIL)
    return user


@pytest.fixture
def certificate(learner, client) -> Certificate:
    return claim(client)


def download(client, certificate: Certificate) -> dict:
    response = client.get(f"/certificates/{certificate.id}.json")
    assert response.status_code == 200
    return json.loads(response.data)


def post_credential(client, *, text: str | None = None, upload: tuple[bytes, str] | None = None):
    data = {"csrf_token": csrf_token(client, "/verify"), "credential": text or ""}
    if upload:
        data["upload"] = (io.BytesIO(upload[0]), upload[1])
    return client.post("/verify", data=data, content_type="multipart/form-data")


def result_text(response) -> str:
    """The verification result as a person reads it (its first paragraph, tags dropped)."""
    page = response.get_data(as_text=True)
    start = page.index(">", page.index('data-testid="badge-result"')) + 1
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", page[start:page.index("</p>", start)])).split())


# --- The credential ---------------------------------------------------------------------


def test_certificate_page_offers_the_open_badge_and_the_badge_image(client, certificate):
    page = client.get(f"/certificates/{certificate.id}").get_data(as_text=True)
    assert f'href="/certificates/{certificate.id}.json" download>Download as Open Badge (.json)' in page
    assert f'href="/certificates/{certificate.id}.png" download>Download the badge image (.png)' in page


def test_download_is_a_signed_open_badge_credential_with_the_certificates_facts(client, certificate):
    response = client.get(f"/certificates/{certificate.id}.json")
    assert response.mimetype == "application/vc+ld+json"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=open-badge-sample-course-nursing-al-{certificate.id}.json")
    credential = json.loads(response.data)
    verify = f"http://localhost/verify/{certificate.code}"
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert credential["id"] == verify
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {"id": "http://localhost/issuer", "type": ["Profile"],
                                    "name": "Sample CE Provider", "url": "http://localhost"}
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    name, email = subject["identifier"]
    assert name == {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": NAME}
    assert email["identityType"] == "emailAddress" and email["hashed"] is True
    assert email["identityHash"] == hashed_email(EMAIL, email["salt"]) and len(email["salt"]) == 32
    assert EMAIL.lower() not in response.get_data(as_text=True).lower()
    assert subject["creditsEarned"] == 1.2
    assert subject["licenseNumber"] == "AL-98765"  # the Alabama credit rests on the Alabama licence
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"] and achievement["achievementType"] == "CertificateOfCompletion"
    assert achievement["name"] == "Sample Course on Depression Care"
    assert achievement["criteria"]["narrative"].startswith("Read the course's 3 modules, passed the quiz of each "
                                                           "of its 2 learning objectives with at least 70% correct")
    assert achievement["creditsAvailable"] == 1.2
    assert achievement["fieldOfStudy"] == "Psychiatry" and achievement["humanCode"] == "sample-course"
    assert achievement["alignment"] == [{
        "type": ["Alignment"], "targetName": "Alabama Board of Nursing",
        "targetDescription": "Approved as a provider of nursing education by the Alabama Board of Nursing.",
        "targetFramework": "contact hours (Alabama)", "targetCode": "ABNP0000", "targetType": "ext:CEApproval",
        "targetUrl": "http://localhost/courses/sample-course#accreditation-heading",
    }]
    assert credential["evidence"][0]["id"] == verify
    assert credential["credentialStatus"] == {
        "id": f"http://localhost/credentials/status/0#{certificate.id}", "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation", "statusListIndex": str(certificate.id),
        "statusListCredential": "http://localhost/credentials/status/0",
    }
    [proof] = credential["proof"]
    public = integrity.public_multikey(integrity.private_key_from_multikey(TEST_BADGE_KEY).public_key())
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == f"http://localhost/issuer#{public}"
    assert verify_credential(db.session, credential, now()).verified


def test_credential_validates_against_the_open_badges_json_schema(client, certificate):
    schema = json.loads((FIXTURES / "ob_v3p0_achievementcredential_schema.json").read_text())
    Draft201909Validator.check_schema(schema)
    errors = [error.message for error in Draft201909Validator(schema).iter_errors(download(client, certificate))]
    assert errors == []
    broken = download(client, certificate)
    del broken["credentialSubject"]["achievement"]["criteria"]
    assert list(Draft201909Validator(schema).iter_errors(broken))  # the schema does check what it should


def test_credential_is_frozen_at_issue(client, learner, certificate):
    first = client.get(f"/certificates/{certificate.id}.json").data
    learner.name, learner.email = "Someone Else", "else@example.org"
    db.session.commit()
    assert client.get(f"/certificates/{certificate.id}.json").data == first
    assert db.session.get(CertificateCredential, certificate.id).credential.encode() == first


def test_another_learner_cannot_download_the_badge(client, certificate):
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/profile")})
    make_user(email="other@example.org", profession="nurse")
    sign_in(client, "other@example.org")
    assert client.get(f"/certificates/{certificate.id}.json").status_code == 404
    assert client.get(f"/certificates/{certificate.id}.png").status_code == 404


def test_a_certificate_issued_before_badges_gets_its_credential_on_first_download(client):
    user = make_user(email="early@example.org", name="Early Bird")
    old = make_certificate(user)
    assert db.session.get(CertificateCredential, old.id) is None
    sign_in(client, "early@example.org")
    credential = download(client, old)
    assert credential["credentialSubject"]["achievement"]["alignment"][0]["targetFramework"] == old.unit
    assert verify_credential(db.session, credential, now()).verified
    assert download(client, old) == credential


# --- Delivery ---------------------------------------------------------------------------


def test_verify_url_answers_with_the_credential_when_asked_for_it(client, certificate):
    credential = client.get(f"/certificates/{certificate.id}.json").data
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/profile")})
    asked = client.get(f"/verify/{certificate.code}", headers={"Accept": "application/vc+ld+json"})
    assert asked.status_code == 200 and asked.mimetype == "application/vc+ld+json"
    assert asked.data == credential
    browser = client.get(f"/verify/{certificate.code}", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.mimetype == "text/html" and "Certificate verification" in browser.get_data(as_text=True)
    missing = client.get("/verify/" + "A" * 32, headers={"Accept": "application/vc+ld+json"})
    assert missing.status_code == 404 and missing.mimetype == "application/json"


def test_badge_image_is_a_png_with_the_credential_in_an_itxt_chunk(client, certificate):
    response = client.get(f"/certificates/{certificate.id}.png")
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].endswith(f"open-badge-sample-course-nursing-al-{certificate.id}.png")
    image = Image.open(io.BytesIO(response.data))
    image.load()
    assert image.format == "PNG"
    credential = client.get(f"/certificates/{certificate.id}.json").get_data(as_text=True)
    assert image.text["openbadgecredential"] == credential  # Pillow reads the iTXt chunk independently
    assert baking.extract(response.data) == credential
    assert response.data.index(b"iTXt") < response.data.index(b"IDAT")


def test_issuer_publishes_its_key_document(client, certificate):
    document = json.loads(client.get("/issuer").data)
    public = integrity.public_multikey(integrity.private_key_from_multikey(TEST_BADGE_KEY).public_key())
    method = f"http://localhost/issuer#{public}"
    assert document["id"] == "http://localhost/issuer"
    assert document["verificationMethod"] == [{"id": method, "type": "Multikey", "controller": "http://localhost/issuer",
                                               "publicKeyMultibase": public}]
    assert document["assertionMethod"] == [method]
    assert TEST_BADGE_KEY not in client.get("/issuer").get_data(as_text=True)


# --- Verification -----------------------------------------------------------------------


def test_pasted_or_uploaded_credential_is_cryptographically_verified(client, certificate):
    credential = client.get(f"/certificates/{certificate.id}.json").data
    png = client.get(f"/certificates/{certificate.id}.png").data
    for response in (post_credential(client, text=credential.decode()),
                     post_credential(client, upload=(credential, "badge.json")),
                     post_credential(client, upload=(png, "badge.png"))):
        assert response.status_code == 200
        assert result_text(response).startswith("Cryptographically verified. Cryptographically verified: signed by")
        assert NAME in response.get_data(as_text=True)


def tampered_name(credential: dict) -> dict:
    credential["credentialSubject"]["identifier"][0]["identityHash"] = NAME[:-1] + "x"
    return credential


def unknown_key_copy(credential: dict) -> dict:
    del credential["proof"]
    stranger = Ed25519PrivateKey.generate()
    public = integrity.public_multikey(stranger.public_key())
    return integrity.add_proof(credential, stranger, verification_method=f"http://localhost/issuer#{public}",
                               created="2026-01-01T00:00:00Z")


def expired_copy(credential: dict) -> dict:
    del credential["proof"]
    return sign({**credential, "validUntil": "2020-01-01T00:00:00Z"}, now())


@pytest.mark.parametrize(("make", "status", "message"), [
    (lambda c: json.dumps(tampered_name(c)), 422, "Not verified. Bad signature"),
    (lambda c: json.dumps(unknown_key_copy(c)), 422, "Not verified. Unknown key: the credential names a signing key"),
    (lambda c: json.dumps(expired_copy(c)), 422, "Not verified. Expired: the credential was valid until 2020-01-01"),
    (lambda c: (FIXTURES / "ob-v3p0" / "signed-credential.json").read_text(), 422,
     "Not verified. This credential was not issued here (its issuer is https://example.edu/issuers/565049)"),
    (lambda c: json.dumps(c)[:-3], 400, "Not verified. This is not a credential file: it is not valid JSON"),
    (lambda c: "[1, 2]", 400, "Not verified. This is not a credential file: it is JSON, but not a JSON object."),
    (lambda c: '{"name": "x"}', 422, "Not verified. This JSON is not a verifiable credential"),
    (lambda c: "", 400, "Not verified. Paste a credential or choose a file to verify."),
])
def test_a_credential_that_fails_is_refused_with_its_reason(client, certificate, make, status, message):
    response = post_credential(client, text=make(download(client, certificate)))
    assert response.status_code == status
    assert message in result_text(response)


def test_data_the_signature_does_not_cover_is_refused(client, certificate):
    credential = download(client, certificate)
    credential["continuingEducationHours"] = 40  # no context defines it: expansion would drop it unsigned
    credential["credentialSubject"]["achievement"]["accreditedBy"] = "A board of our own"
    integrity.check_proof(credential, integrity.private_key_from_multikey(TEST_BADGE_KEY).public_key())
    response = post_credential(client, text=json.dumps(credential))
    assert response.status_code == 422
    assert result_text(response) == (
        "Not verified. Altered: the signature checks out, but the file carries data the signature does not cover "
        "(continuingEducationHours, credentialSubject.achievement.accreditedBy); it is not the credential as issued.")


def test_a_png_without_a_credential_or_a_broken_file_is_refused(client, certificate):
    plain = io.BytesIO()
    Image.new("RGB", (4, 4)).save(plain, format="PNG")
    response = post_credential(client, upload=(plain.getvalue(), "photo.png"))
    assert response.status_code == 400
    assert "carries no Open Badges credential" in result_text(response)
    response = post_credential(client, upload=(b"\xff\xfe\x00garbage", "badge.json"))
    assert response.status_code == 400 and "not valid JSON" in result_text(response)


# --- Revocation, reissue, rotation ------------------------------------------------------


def status_bit(client, certificate: Certificate) -> bool:
    status_list = json.loads(client.get("/credentials/status/0").data)
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert verify_status_list_signature(status_list)
    return decoded_bit(status_list["credentialSubject"]["encodedList"], certificate.id)


def verify_status_list_signature(status_list: dict) -> bool:
    integrity.check_proof(status_list, integrity.private_key_from_multikey(TEST_BADGE_KEY).public_key())
    return True


def test_a_revoked_certificates_credential_shows_as_revoked(client, certificate):
    credential = download(client, certificate)
    assert status_bit(client, certificate) is False
    administration.revoke(db.session, certificate, reason="Claimed in error", actor=None, via="test", now=now())
    db.session.commit()
    assert status_bit(client, certificate) is True
    result = verify_credential(db.session, credential, now())
    assert (result.verified, result.reason) == (False, "revoked")
    response = post_credential(client, text=json.dumps(credential))
    assert response.status_code == 422
    assert "Revoked: the signature is genuine, but the issuer has marked this credential revoked" in result_text(response)


def test_reissue_makes_a_new_credential_and_the_old_one_shows_revoked(client, learner, certificate):
    old = download(client, certificate)
    learner.name = "Zoë Nguyễn"
    db.session.commit()
    replacement = administration.reissue(db.session, certificate, actor=None, via="test", now=now())
    db.session.commit()
    new = download(client, replacement)
    assert new["id"] == f"http://localhost/verify/{replacement.code}" != old["id"]
    assert new["credentialSubject"]["identifier"][0]["identityHash"] == "Zoë Nguyễn"
    assert new["credentialSubject"]["achievement"] == old["credentialSubject"]["achievement"]
    assert new["credentialSubject"]["licenseNumber"] == "AL-98765"
    assert verify_credential(db.session, new, now()).verified
    superseded = verify_credential(db.session, old, now())
    assert (superseded.reason, "superseded" in superseded.message) == ("revoked", True)
    assert status_bit(client, certificate) is True and status_bit(client, replacement) is False


def test_a_rotated_key_keeps_verifying_what_it_signed(app, client, learner):
    signed_before = download(client, claim(client, "nursing-al"))
    old_public = integrity.public_multikey(integrity.private_key_from_multikey(TEST_BADGE_KEY).public_key())
    new_key = Ed25519PrivateKey.generate()
    app.config["BADGE_SIGNING_KEY"] = integrity.secret_multikey(new_key)
    app.config["BADGE_RETIRED_KEYS"] = (old_public,)

    signed_after = download(client, claim(client, "ancc"))
    new_public = integrity.public_multikey(new_key.public_key())
    assert signed_after["proof"][0]["verificationMethod"] == f"http://localhost/issuer#{new_public}"
    assert signed_before["proof"][0]["verificationMethod"] == f"http://localhost/issuer#{old_public}"
    assert verify_credential(db.session, signed_before, now()).verified
    assert verify_credential(db.session, signed_after, now()).verified
    published = [m["publicKeyMultibase"] for m in json.loads(client.get("/issuer").data)["verificationMethod"]]
    assert published == [new_public, old_public]

    app.config["BADGE_RETIRED_KEYS"] = ()  # a compromised key is dropped from the ring
    assert verify_credential(db.session, signed_before, now()).reason == "unknown_key"
    assert verify_credential(db.session, signed_after, now()).verified


def test_status_list_positions_span_lists():
    from credits.badges.credential import encoded_list, status_position

    assert status_position(5) == (0, 5)
    assert status_position(STATUS_LIST_SIZE + 2) == (1, 2)
    encoded = encoded_list([0, 9, STATUS_LIST_SIZE - 1])
    assert [decoded_bit(encoded, i) for i in (0, 1, 8, 9, STATUS_LIST_SIZE - 1)] == [True, False, False, True, True]


# --- Keys and configuration -------------------------------------------------------------


def test_development_key_is_made_once_into_instance_and_rotates(tmp_path):
    ring = keys.key_ring({}, tmp_path)
    assert (tmp_path / "badge_signing_key").stat().st_mode & 0o777 == 0o600
    assert keys.key_ring({}, tmp_path).signing_public == ring.signing_public
    old, new = keys.rotate_dev_key(tmp_path)
    assert old == ring.signing_public != new
    rotated = keys.key_ring({}, tmp_path)
    assert rotated.signing_public == new
    assert list(rotated.public_keys()) == [new, old]


def test_configured_keys_are_used_and_a_bad_one_is_refused(tmp_path):
    ring = keys.key_ring({"BADGE_SIGNING_KEY": TEST_BADGE_KEY, "BADGE_RETIRED_KEYS": ()}, tmp_path)
    assert integrity.secret_multikey(ring.signing_key) == TEST_BADGE_KEY
    assert not (tmp_path / "badge_signing_key").exists()
    with pytest.raises(keys.KeyConfigError, match="not an Ed25519 Multikey secret key"):
        keys.key_ring({"BADGE_SIGNING_KEY": "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}, tmp_path)


def test_production_refuses_to_start_without_a_badge_signing_key(tmp_path, monkeypatch):
    monkeypatch.delenv("BADGE_SIGNING_KEY", raising=False)
    monkeypatch.setenv("BADGE_RETIRED_KEYS", "z6MkA, z6MkB")
    settings = {"APP_ENV": "production", "SECRET_KEY": "5f0c9e2a7b41d8e3a96c2f07b5e18d4c3a2b9f60e7d15c48a3f92b06d7e4c1a8",
                "BASE_URL": "https://ce.example.org"}
    with pytest.raises(ConfigError, match="BADGE_SIGNING_KEY must be set"):
        load_config(tmp_path, settings)
    config = load_config(tmp_path, {**settings, "BADGE_SIGNING_KEY": TEST_BADGE_KEY})
    assert config["BADGE_RETIRED_KEYS"] == ("z6MkA", "z6MkB")


# --- No network -------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a connection is recorded and fails."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


def test_the_document_loader_refuses_every_url_it_does_not_bundle(no_network):
    loader = jsonld.document_loader()
    assert loader("https://www.w3.org/ns/credentials/v2")["document"]["@context"]["@protected"] is True
    for url in ("https://w3id.org/security/data-integrity/v2", "https://example.org/context.json", "file:///etc/passwd"):
        with pytest.raises(jsonld.NetworkFetchRefused, match="only the bundled contexts"):
            loader(url)
    document = {"@context": ["https://www.w3.org/ns/credentials/v2", "https://example.org/extra.json"], "name": "x"}
    with pytest.raises(jsonld.NetworkFetchRefused):
        jsonld.canonize(document)
    assert no_network == []


def test_issuing_and_verifying_attempt_no_network_access(client, learner, no_network):
    certificate = claim(client)
    credential = download(client, certificate)
    assert verify_credential(db.session, credential, now()).verified
    credential["@context"].append("https://example.org/extra.json")
    result = verify_credential(db.session, credential, now())
    assert (result.reason, result.message) == (
        "malformed", "The credential uses a JSON-LD context that is not bundled here "
                     "(https://example.org/extra.json).")
    assert no_network == []


# --- Command line -----------------------------------------------------------------------


def test_cli_prints_a_certificates_credential(runner, client, certificate):
    result = runner.invoke(args=["credits", "badge", certificate.code])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == download(client, certificate)
    missing = runner.invoke(args=["credits", "badge", "A" * 32])
    assert missing.exit_code == 1 and "No certificate has that verification code." in missing.output


def test_cli_verifies_a_file_and_exits_non_zero_with_the_reason(runner, client, certificate, tmp_path):
    good = tmp_path / "badge.json"
    good.write_bytes(client.get(f"/certificates/{certificate.id}.json").data)
    result = runner.invoke(args=["credits", "verify-badge", str(good)])
    assert result.exit_code == 0 and result.output.startswith("Cryptographically verified")
    png = tmp_path / "badge.png"
    png.write_bytes(client.get(f"/certificates/{certificate.id}.png").data)
    assert runner.invoke(args=["credits", "verify-badge", str(png)]).exit_code == 0

    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered_name(json.loads(good.read_text()))), encoding="utf-8")
    result = runner.invoke(args=["credits", "verify-badge", str(bad)])
    assert result.exit_code == 1 and "bad_signature: Bad signature" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    result = runner.invoke(args=["credits", "verify-badge", str(broken)])
    assert result.exit_code == 1 and "malformed: This is not a credential file" in result.output
    result = runner.invoke(args=["credits", "verify-badge", str(tmp_path / "absent.json")])
    assert result.exit_code == 1 and "Cannot read" in result.output

    administration.revoke(db.session, certificate, reason="Claimed in error", actor=None, via="test", now=now())
    db.session.commit()
    result = runner.invoke(args=["credits", "verify-badge", str(good)])
    assert result.exit_code == 1 and "revoked: Revoked" in result.output


def test_cli_makes_a_production_key(runner):
    result = runner.invoke(args=["credits", "new-badge-key"])
    assert result.exit_code == 0
    secret = result.output.split("BADGE_SIGNING_KEY=", 1)[1].split()[0]
    public = result.output.rsplit(" ", 1)[1].strip()
    assert integrity.public_multikey(integrity.private_key_from_multikey(secret).public_key()) == public
    refused = runner.invoke(args=["credits", "rotate-badge-key"])  # the suite configures BADGE_SIGNING_KEY
    assert refused.exit_code == 1 and "BADGE_RETIRED_KEYS" in refused.output


def test_issued_time_is_written_in_utc():
    from credits.badges.credential import timestamp

    assert timestamp(datetime(2025, 8, 1, 14, 30, 5, tzinfo=UTC)) == "2025-08-01T14:30:05Z"
    assert timestamp(datetime(2025, 8, 1, 14, 30, 5)) == "2025-08-01T14:30:05Z"


def test_reinstating_a_revoked_certificate_clears_its_status_bit(client, certificate):
    from credits import corrections

    credential = download(client, certificate)
    administration.revoke(db.session, certificate, reason="Claimed in error", actor=None, via="test", now=now())
    db.session.commit()
    assert verify_credential(db.session, credential, now()).reason == "revoked"
    corrections.reinstate(db.session, certificate, reason="Revoked by mistake", actor=None, via="test", now=now())
    db.session.commit()
    assert status_bit(client, certificate) is False
    assert verify_credential(db.session, credential, now()).verified


def test_a_corrected_amount_is_a_new_credential_with_the_new_credit(client):
    from course.content.store import current_catalogue
    from credits import corrections

    physician = make_user(email="doc@example.org", name="Dr Pat Example")
    certificate = make_certificate(physician, approval_id="ama-pra", amount="0.5")
    sign_in(client, "doc@example.org")
    old = download(client, certificate)
    replacement = corrections.correct_amount(db.session, certificate, amount="0.75", reason="Typo", actor=None,
                                             catalogue=current_catalogue(), via="test", now=now())
    db.session.commit()
    new = download(client, replacement)
    assert (old["credentialSubject"]["creditsEarned"], new["credentialSubject"]["creditsEarned"]) == (0.5, 0.75)
    assert verify_credential(db.session, new, now()).verified
    assert verify_credential(db.session, old, now()).reason == "revoked"
