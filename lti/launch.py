"""Validating a launch: pylti1p3's checks, made complete.

On top of the library: the id_token is decoded with the audience, issuer, `exp` and `iat`
required and checked (a minute's clock skew allowed), only RS256, `azp` when there are several
audiences; the platform's JWKS is cached on its registration and fetched again when a token
names a key id it lacks (at most once a minute, so forged tokens cannot make us fetch at will);
and the nonce is stored once used, so the same launch is refused a second time (the library
only compares it with the session).
"""
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
import requests
from jwcrypto.jwk import JWK
from pylti1p3.contrib.flask import FlaskMessageLaunch
from pylti1p3.exception import LtiException
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import LtiPlatform, LtiUsedNonce
from .platforms import DatabaseToolConf

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEEP_LINKING_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
CLOCK_SKEW = 60  # seconds
KEY_SET_REFETCH_INTERVAL = timedelta(minutes=1)
HTTP_TIMEOUT = 10  # seconds, for every request to a platform
AGAIN = "Please open the course again from your learning system."


class LaunchRefused(Exception):
    """The launch cannot be accepted; the message says why (HTTP 400)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class CookiesBlocked(LaunchRefused):
    """The browser came back without the cookies the login set: it blocks them in the platform's iframe."""

    def __init__(self, state: str):
        super().__init__("Your browser did not keep this site's cookies inside your learning system's page.")
        self.state = state


@dataclass(frozen=True)
class Launch:
    platform: LtiPlatform
    claims: dict

    @property
    def message_type(self) -> str:
        return self.claims[CLAIM + "message_type"]

    @property
    def roles(self) -> list[str]:
        return list(self.claims.get(CLAIM + "roles") or [])

    @property
    def target_link_uri(self) -> str:
        return self.claims.get(CLAIM + "target_link_uri") or ""

    @property
    def deployment_id(self) -> str:
        return self.claims[CLAIM + "deployment_id"]

    @property
    def custom(self) -> dict:
        return dict(self.claims.get(CLAIM + "custom") or {})

    @property
    def score_lineitem(self) -> tuple[str, list[str]] | None:
        """(line item URL, scopes) when the platform lets the tool post scores for this link."""
        endpoint = self.claims.get(AGS_CLAIM) or {}
        scopes = list(endpoint.get("scope") or [])
        if endpoint.get("lineitem") and SCORE_SCOPE in scopes:
            return endpoint["lineitem"], scopes
        return None

    @property
    def deep_linking_settings(self) -> dict:
        return dict(self.claims.get(DEEP_LINKING_CLAIM) or {})


def _key_in(key_set: dict | None, kid: str) -> dict | None:
    return next((key for key in (key_set or {}).get("keys", []) if isinstance(key, dict) and key.get("kid") == kid),
                None)


def fetch_key_set(session: requests.Session, url: str) -> dict:
    try:
        response = session.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        key_set = response.json()
    except (requests.RequestException, ValueError) as error:
        raise LaunchRefused(f"The learning system's public keys could not be read from {url} ({error}). {AGAIN}",
                            status=502) from error
    if not isinstance(key_set, dict) or not isinstance(key_set.get("keys"), list):
        raise LaunchRefused(f"The learning system's key set at {url} is not a JWKS. {AGAIN}", status=502)
    return key_set


class ToolMessageLaunch(FlaskMessageLaunch):
    """FlaskMessageLaunch reading registrations from the database, with the checks above."""

    def __init__(self, request, tool_conf: DatabaseToolConf, *, session: Session, now: datetime,
                 http: requests.Session):
        super().__init__(request, tool_conf, requests_session=http)
        self.db_session, self.now, self.http = session, now, http

    def get_client_id(self) -> str:
        body = self._jwt.get("body", {})
        aud = body.get("aud")
        if isinstance(aud, list):
            aud = body["azp"] if body.get("azp") in aud else (aud[0] if aud else "")
        return aud if isinstance(aud, str) else ""

    def get_public_key(self):
        header = self._jwt.get("header", {})
        kid, alg = header.get("kid"), header.get("alg")
        if alg != "RS256":
            raise LaunchRefused(f"The launch is signed with {alg!r}; this tool accepts RS256 only. {AGAIN}")
        if not kid:
            raise LaunchRefused(f"The launch names no signing key (kid). {AGAIN}")
        platform = self._tool_config.platform
        key = _key_in(platform.key_set, kid)
        fetched = platform.key_set_fetched_at
        if key is None and (fetched is None or self.now - fetched.replace(tzinfo=fetched.tzinfo or UTC)
                            >= KEY_SET_REFETCH_INTERVAL):
            platform.key_set = fetch_key_set(self.http, platform.key_set_url)
            platform.key_set_fetched_at = self.now
            self.db_session.flush()
            key = _key_in(platform.key_set, kid)
        if key is None:
            raise LaunchRefused(f"The launch is signed with a key ({kid}) the learning system does not publish. {AGAIN}")
        try:
            return JWK.from_json(json.dumps(key)).export_to_pem().decode(), "RS256"
        except Exception as error:  # noqa: BLE001 (any unreadable key)
            raise LaunchRefused(f"The learning system's key {kid} cannot be read. {AGAIN}") from error

    def validate_jwt_signature(self):
        public_key, _ = self.get_public_key()
        registration = self._registration
        try:
            jwt.decode(
                self._get_id_token(), public_key, algorithms=["RS256"], audience=registration.get_client_id(),
                issuer=registration.get_issuer(), leeway=CLOCK_SKEW,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise LaunchRefused(f"The launch has expired (its id_token is past its exp time). {AGAIN}") from error
        except jwt.ImmatureSignatureError as error:
            raise LaunchRefused(f"The launch is dated in the future (iat); check the learning system's clock. {AGAIN}") from error
        except jwt.InvalidAudienceError as error:
            raise LaunchRefused(f"The launch is addressed to another tool (aud). {AGAIN}") from error
        except jwt.InvalidSignatureError as error:
            raise LaunchRefused(f"The launch's signature does not match the learning system's key. {AGAIN}") from error
        except jwt.InvalidTokenError as error:
            raise LaunchRefused(f"The launch's id_token is not valid ({error}). {AGAIN}") from error
        body = self._jwt["body"]
        if isinstance(body.get("aud"), list) and len(body["aud"]) > 1 and body.get("azp") != registration.get_client_id():
            raise LaunchRefused(f"The launch names several audiences without this tool as its authorised party (azp). {AGAIN}")
        return self

    def validate_message(self):
        message_type = self._jwt.get("body", {}).get(CLAIM + "message_type")
        if message_type not in (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST):
            raise LaunchRefused(f"This tool answers course launches and deep linking, not {message_type!r}.")
        return super().validate_message()


MESSAGES = {
    "Missing state param": f"The launch came without its state. {AGAIN}",
    "State not found": f"The launch does not match a sign-in started in this browser. {AGAIN}",
    "Invalid Nonce.": f"The launch's nonce does not match the sign-in started in this browser. {AGAIN}",
    "Client id not registered for this issuer": "The launch is addressed to a client id not registered for its "
                                                "learning system (aud).",
}


def validate_launch(request, session: Session, config, now: datetime, http: requests.Session) -> Launch:
    """A launch validated in full and its nonce spent; LaunchRefused (or CookiesBlocked) otherwise."""
    tool_conf = DatabaseToolConf(session, config)
    message_launch = ToolMessageLaunch(request, tool_conf, session=session, now=now, http=http)
    state = request.get_param("state") or ""
    sent_cookies = request.get_cookie(f"lti1p3-{state}") or any(key.startswith("lti1p3-nonce-") for key in request.session)
    if state and not sent_cookies:
        raise CookiesBlocked(state)
    try:
        message_launch.validate()
    except (TypeError, AttributeError, KeyError, ValueError) as error:  # claims of the wrong JSON types
        raise LaunchRefused(f"The launch's id_token is malformed. {AGAIN}") from error
    except LtiException as error:
        text = str(error)
        body = message_launch._jwt.get("body") or {}
        if text == "Registration not found.":
            raise LaunchRefused(f"This learning system (issuer {body.get('iss')!r}, client id "
                                f"{message_launch.get_client_id()!r}) is not registered with this site. "
                                "Ask an administrator to register it.") from error
        if text.startswith("The deployment ID"):
            raise LaunchRefused(f"{text} Ask an administrator to add this deployment to the registration.") from error
        raise LaunchRefused(MESSAGES.get(text, f"The launch could not be accepted: {text}")) from error
    claims = dict(message_launch.get_launch_data())
    if not isinstance(claims["nonce"], str) or len(claims["nonce"]) > 255:
        raise LaunchRefused(f"The launch's nonce is not a string of at most 255 characters. {AGAIN}")
    spend_nonce(session, claims["iss"], claims["nonce"], datetime.fromtimestamp(int(claims["exp"]), UTC), now)
    return Launch(tool_conf.platform, claims)


REPLAYED = f"This launch was already used: each launch from the learning system works once. {AGAIN}"


def spend_nonce(session: Session, issuer: str, nonce: str, expires_at: datetime, now: datetime) -> None:
    """Record the nonce as used (until its token expires); LaunchRefused if it was used before."""
    session.execute(delete(LtiUsedNonce).where(LtiUsedNonce.expires_at < now - timedelta(seconds=CLOCK_SKEW)))
    try:
        with session.begin_nested():
            session.add(LtiUsedNonce(issuer=issuer, nonce=nonce,
                                     expires_at=expires_at + timedelta(seconds=CLOCK_SKEW)))
            session.flush()
    except IntegrityError as error:
        raise LaunchRefused(REPLAYED) from error
