"""A certificate as an Open Badges 3.0 `OpenBadgeCredential`, its revocation status list, and verification.

The credential is built from what the certificate froze at issue (name, course, credit, body,
approval number) plus the course's completion rules and the learner's licence, signed with the
issuer's current key, and stored (CertificateCredential); downloads serve the stored bytes.

Document layout (OB 3.0 on VC 2.0): `issuer` is a Profile (the provider); `credentialSubject` an
AchievementSubject that names the learner through `identifier` (IdentityObjects: the name in
clear, the email as a salted SHA-256 `sha256$...`), with `creditsEarned` and, for state credit,
`licenseNumber`; `achievement` an Achievement of type CertificateOfCompletion. The accrediting
body, credit unit and approval number ride in `achievement.alignment` (targetType
`ext:CEApproval`, see README "Open Badges"); `evidence` is the certificate's verify URL.

Status: every credential has a BitstringStatusListEntry (statusPurpose revocation) whose index
is the certificate's id within lists of STATUS_LIST_SIZE bits; the bit is set while the
certificate is revoked or superseded, so revocation and reissue show up without any write here.
"""
import base64
import gzip
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, url_for
from pyld.jsonld import JsonLdError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.models import User
from course.content.model import Course, Provider
from course.core.filters import format_amount

from ..models import Certificate, CertificateCredential
from .baking import PNG_SIGNATURE, NotABadge, extract
from .integrity import ProofError, add_proof, check_proof
from .jsonld import CREDENTIALS_V2, OPEN_BADGES_V3, NetworkFetchRefused
from .keys import KeyRing, key_ring

MEDIA_TYPE = "application/vc+ld+json"
STATUS_LIST_SIZE = 131072  # bits per list, the Bitstring Status List minimum (16 KB): one credential hides among many
ALIGNMENT_TYPE = "ext:CEApproval"


def issuer_keys() -> KeyRing:
    return key_ring(current_app.config, Path(current_app.instance_path))


def issuer_id() -> str:
    """The issuer's URL; it serves the key document (Multikey verification methods) a verifier needs."""
    return url_for("credits.badge_issuer", _external=True)


def verification_method(public_multikey: str) -> str:
    return f"{issuer_id()}#{public_multikey}"


def timestamp(moment: datetime) -> str:
    """XML Schema dateTime in UTC to the second, as VC 2.0 writes validFrom and proofs write created."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def status_position(certificate_id: int) -> tuple[int, int]:
    """(status list number, index in that list) of a certificate's bit."""
    return divmod(certificate_id, STATUS_LIST_SIZE)


def status_list_url(number: int) -> str:
    return url_for("credits.badge_status_list", number=number, _external=True)


# --- Building ---------------------------------------------------------------------------


def criteria_narrative(course: Course | None) -> str:
    """What earning the certificate took, from the course's completion rules."""
    if course is None:
        return "Completed every module and quiz of the course, submitted its evaluation and claimed this credit."
    modules = len(course.modules)
    return (f"Read the course's {modules} module{'s' if modules != 1 else ''}, passed the quiz of each of its "
            f"{len(course.objectives)} learning objectives with at least {course.pass_mark}% correct, submitted "
            f"the course evaluation and claimed this credit.")


def achievement_for(certificate: Certificate, course: Course | None) -> dict:
    """The Achievement: the course's credit under one approval, as the certificate froze it."""
    course_url = url_for("pages.course_page", slug=certificate.course_slug, _external=True)
    designated = next((d.amount for d in course.designations if d.approval_id == certificate.approval_id), None) \
        if course else None
    achievement = {
        "id": f"{course_url}#credit-{certificate.approval_id}",
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": certificate.course_title,
        "description": (f"{certificate.course_format} from {certificate.provider_name}, awarding "
                        f"{certificate.unit} under {certificate.approval_body}."),
        "criteria": {"narrative": criteria_narrative(course)},
        "creditsAvailable": float(designated if designated is not None else certificate.amount),
        "humanCode": certificate.course_slug,
        "alignment": [{
            "type": ["Alignment"],
            "targetName": certificate.approval_body,
            "targetDescription": certificate.statement,
            "targetFramework": certificate.unit,
            "targetCode": certificate.approval_number or certificate.approval_id,
            "targetType": ALIGNMENT_TYPE,
            "targetUrl": f"{course_url}#accreditation-heading",  # the course page's accreditation section
        }],
    }
    if course is not None and course.field_of_study:
        achievement["fieldOfStudy"] = course.field_of_study
    return achievement


def licence_number(user: User, provider: Provider | None, approval_id: str) -> str | None:
    """The learner's licence number the credit rests on: one in a state the approval is limited to."""
    approval = provider.approvals.get(approval_id) if provider else None
    if approval is None or not approval.states:
        return None
    return next((licence.number for licence in user.licences if licence.state in approval.states), None)


def hashed_email(email: str, salt: str) -> str:
    """OB 3.0 IdentityHash: sha256 over the identifier with the salt appended, in hex."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def unsigned_credential(certificate: Certificate, *, email: str, licence: str | None, achievement: dict,
                        salt: str) -> dict:
    verify = url_for("credits.verify", code=certificate.code, _external=True)
    list_number, index = status_position(certificate.id)
    list_url = status_list_url(list_number)
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "name", "hashed": False,
             "identityHash": certificate.learner_name},
            {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
             "identityHash": hashed_email(email, salt), "salt": salt},
        ],
        "creditsEarned": float(certificate.amount),
        "achievement": achievement,
    }
    if licence:
        subject["licenseNumber"] = licence
    return {
        "@context": [CREDENTIALS_V2, OPEN_BADGES_V3],
        "id": verify,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": certificate.provider_name,
                   "url": current_app.config["BASE_URL"]},
        "validFrom": timestamp(certificate.issued_at),
        "name": (f"{certificate.course_title}: {format_amount(certificate.amount)} {certificate.unit}"),
        "credentialSubject": subject,
        "evidence": [{
            "id": verify, "type": ["Evidence"], "name": "Certificate verification page",
            "narrative": f"Completed on {certificate.completion_date.isoformat()}; the provider's page shows "
                         f"whether the certificate is still valid.",
        }],
        "credentialStatus": {
            "id": f"{list_url}#{index}", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(index), "statusListCredential": list_url,
        },
    }


def sign(document: dict, now: datetime, *, proof_set: bool = True) -> dict:
    """`document` signed with the issuer's current key; OB 3.0's JSON Schema wants `proof` as an array."""
    keys = issuer_keys()
    signed = add_proof(document, keys.signing_key, verification_method=verification_method(keys.signing_public),
                       created=timestamp(now))
    return {**signed, "proof": [signed["proof"]]} if proof_set else signed


def issue_credential(session: Session, certificate: Certificate, *, email: str, licence: str | None,
                     achievement: dict, now: datetime) -> CertificateCredential:
    """Sign and store the certificate's credential (flushed)."""
    document = unsigned_credential(certificate, email=email, licence=licence, achievement=achievement,
                                   salt=secrets.token_hex(16))
    signed = sign(document, now)
    record = CertificateCredential(certificate_id=certificate.id, credential=json.dumps(signed, ensure_ascii=False),
                                   verification_method=signed["proof"][0]["verificationMethod"], created_at=now)
    session.add(record)
    session.flush()
    return record


def issue_for_claim(session: Session, certificate: Certificate, *, user: User, course: Course | None,
                    provider: Provider | None, now: datetime) -> CertificateCredential:
    return issue_credential(session, certificate, email=user.email,
                            licence=licence_number(user, provider, certificate.approval_id),
                            achievement=achievement_for(certificate, course), now=now)


def issue_for_reissue(session: Session, replacement: Certificate, previous: Certificate, *,
                      now: datetime) -> CertificateCredential | None:
    """The replacement's credential: the replaced one's achievement and licence, under the new name and code.

    A replaced certificate that never had a credential leaves the replacement's to be made on first use.
    """
    record = session.get(CertificateCredential, previous.id)
    if record is None:
        return None
    subject = json.loads(record.credential)["credentialSubject"]
    return issue_credential(session, replacement, email=session.get(User, replacement.user_id).email,
                            licence=subject.get("licenseNumber"), achievement=subject["achievement"], now=now)


def ensure_credential(session: Session, certificate: Certificate, *, course: Course | None,
                      provider: Provider | None, now: datetime) -> CertificateCredential:
    """The certificate's stored credential, made now for one issued before credentials were (a concurrent
    maker's row wins the primary key)."""
    record = session.get(CertificateCredential, certificate.id)
    if record is not None:
        return record
    try:
        with session.begin_nested():
            return issue_for_claim(session, certificate, user=session.get(User, certificate.user_id),
                                   course=course, provider=provider, now=now)
    except IntegrityError:
        return session.get(CertificateCredential, certificate.id)


# --- The status list --------------------------------------------------------------------


def encoded_list(set_bits) -> str:
    """Multibase base64url (no padding) of the GZIP-compressed bitstring; index 0 is the first byte's high bit."""
    bits = bytearray(STATUS_LIST_SIZE // 8)
    for index in set_bits:
        bits[index // 8] |= 0x80 >> (index % 8)
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decoded_bit(encoded: str, index: int) -> bool:
    if not encoded.startswith("u"):
        raise ValueError("the encoded list is not base64url multibase")
    data = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    return bool(data[index // 8] & (0x80 >> (index % 8)))


def revoked_indexes(session: Session, number: int) -> list[int]:
    """Indexes in list `number` whose certificate is revoked or superseded."""
    start = number * STATUS_LIST_SIZE
    ids = session.scalars(select(Certificate.id).where(
        Certificate.id >= start, Certificate.id < start + STATUS_LIST_SIZE, Certificate.status != "valid"))
    return [certificate_id - start for certificate_id in ids]


def status_list_credential(session: Session, number: int, now: datetime) -> dict:
    """The signed BitstringStatusListCredential for list `number`, as of now."""
    url = status_list_url(number)
    return sign({
        "@context": [CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(),
        "validFrom": timestamp(now),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encoded_list(revoked_indexes(session, number))},
    }, now, proof_set=False)


# --- Verifying --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a credential: `reason` is a short key, `message` what to tell a person."""

    verified: bool
    # verified | malformed | not_a_credential | foreign | unknown_key | bad_signature | altered | revoked | expired
    reason: str
    message: str
    credential: dict | None = None
    certificate: Certificate | None = None


def _refused(reason: str, message: str, credential: dict | None = None, certificate=None) -> Verification:
    return Verification(False, reason, message, credential, certificate)


def parse_credential(data: bytes | str) -> dict | Verification:
    """The JSON object in `data`, or the refusal to show for it."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        return _refused("malformed", f"This is not a credential file: it is not valid JSON ({error}).")
    if not isinstance(document, dict):
        return _refused("malformed", "This is not a credential file: it is JSON, but not a JSON object.")
    return document


def _issuer_of(document: dict) -> str | None:
    issuer = document.get("issuer")
    return issuer.get("id") if isinstance(issuer, dict) else issuer if isinstance(issuer, str) else None


def verify_credential(session: Session, data: bytes | str | dict, now: datetime) -> Verification:
    """Check a credential someone hands us: signature, key, validity dates and revocation status.

    Everything is checked locally: the contexts are bundled and the status is the certificate's
    own. A credential of another issuer is refused as foreign (verify it with its issuer's tools).
    """
    document = data if isinstance(data, dict) else parse_credential(data)
    if isinstance(document, Verification):
        return document
    types = document.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types or "@context" not in document:
        return _refused("not_a_credential", "This JSON is not a verifiable credential (no @context, or its type "
                                            "does not include VerifiableCredential).")
    issuer = _issuer_of(document)
    if issuer != issuer_id():
        return _refused("foreign", f"This credential was not issued here (its issuer is {issuer or 'not named'}); "
                                   "only credentials issued by this site can be verified on this page.", document)
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    keys = issuer_keys().public_keys()
    public = keys.get(method.removeprefix(issuer_id() + "#")) if isinstance(method, str) and \
        method.startswith(issuer_id() + "#") else None
    if public is None:
        return _refused("unknown_key", "Unknown key: the credential names a signing key this issuer does not "
                                       f"publish ({method or 'none given'}).", document)
    try:
        check_proof(document, public)
    except ProofError as error:
        reason = "bad_signature" if error.reason.startswith("bad signature") else "malformed"
        return _refused(reason, f"{error.reason[:1].upper()}{error.reason[1:]}.", document)
    except NetworkFetchRefused as error:
        return _refused("malformed", f"The credential uses a JSON-LD context that is not bundled "
                                     f"here ({error.url}).", document)
    except (JsonLdError, TypeError, ValueError, KeyError) as error:
        return _refused("malformed", f"The credential is not valid JSON-LD ({type(error).__name__}).",
                        document)
    certificate = _certificate_of(session, document)
    valid_until = document.get("validUntil")
    if isinstance(valid_until, str) and valid_until < timestamp(now):
        return _refused("expired", f"Expired: the credential was valid until {valid_until}.", document, certificate)
    valid_from = document.get("validFrom")
    if isinstance(valid_from, str) and valid_from > timestamp(now):
        return _refused("expired", f"Not yet valid: the credential is valid from {valid_from}.", document, certificate)
    issued = session.get(CertificateCredential, certificate.id) if certificate else None
    if issued is not None and json.loads(issued.credential) != document:
        added = sorted(_differences(json.loads(issued.credential), document))
        return _refused("altered", "Altered: the signature checks out, but the file carries data the signature does "
                                   f"not cover ({', '.join(added) or 'changed values'}); it is not the credential as "
                                   "issued.", document, certificate)
    if certificate is None or certificate.status != "valid":
        status = certificate.status if certificate else "withdrawn"
        return _refused("revoked", f"Revoked: the signature is genuine, but the issuer has marked this credential "
                                   f"revoked (the certificate is {status}).", document, certificate)
    return Verification(True, "verified", "Cryptographically verified: signed by the issuer's published key, "
                                          "unchanged since it was signed, and not revoked.", document, certificate)


def check_badge_file(session: Session, data: bytes, now: datetime) -> Verification:
    """Verify a credential given as file contents: JSON, or a PNG badge with the credential baked in."""
    if data.startswith(PNG_SIGNATURE):
        try:
            data = extract(data).encode("utf-8")
        except NotABadge as error:
            return _refused("malformed", str(error))
    if not data.strip():
        return _refused("malformed", "Paste a credential or choose a file to verify.")
    return verify_credential(session, data, now)


def _differences(issued, given, path: str = "") -> set[str]:
    """The paths where `given` differs from the credential as issued (which a proof may not notice:
    JSON-LD expansion drops terms no context defines, so they are outside what was signed)."""
    if isinstance(issued, dict) and isinstance(given, dict):
        return {difference for key in issued.keys() | given.keys()
                for difference in _differences(issued.get(key), given.get(key), f"{path}.{key}" if path else key)}
    return set() if issued == given else {path or "the document"}


def _certificate_of(session: Session, document: dict) -> Certificate | None:
    """The certificate behind a credential whose signature verified, through its status list entry."""
    status = document.get("credentialStatus")
    if not isinstance(status, dict):
        return None
    try:
        number = int(str(status.get("statusListCredential", "")).rsplit("/", 1)[-1])
        index = int(status.get("statusListIndex"))
    except (TypeError, ValueError):
        return None
    if status.get("statusListCredential") != status_list_url(number) or not 0 <= index < STATUS_LIST_SIZE:
        return None
    certificate = session.get(Certificate, number * STATUS_LIST_SIZE + index)
    if certificate is None or document.get("id") != url_for("credits.verify", code=certificate.code, _external=True):
        return None
    return certificate

