"""Registering platforms, and the tool configuration pylti1p3 reads them through.

Plain functions on a Session: they flush; the caller commits.
"""
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import url_for
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from .keys import tool_key
from .models import LtiDeployment, LtiPlatform

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class RegistrationInvalid(ValueError):
    """What is wrong with a registration, field by field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class PlatformData:
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: list[str]
    frame_origins: list[str] = field(default_factory=list)  # empty: the issuer's and the login URL's origins
    auth_audience: str | None = None


def url_problem(value: str) -> str | None:
    parts = urlsplit(value.strip())
    if parts.scheme == "https" and parts.netloc:
        return None
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return None  # a platform on this machine, for trying the tool out
    return "Enter an https:// address."


def origin_of(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}"


def _origin_problem(value: str) -> str | None:
    parts = urlsplit(value)
    if url_problem(value) or parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"{value!r} is not an origin such as https://school.instructure.com."
    return None


def check_platform(data: PlatformData) -> dict[str, str]:
    errors = {}
    for name in ("name", "issuer", "client_id"):
        if not getattr(data, name).strip():
            errors[name] = "Required."
    for name in ("issuer", "auth_login_url", "auth_token_url", "key_set_url"):
        value = getattr(data, name)
        if value.strip() and (problem := url_problem(value)):
            errors[name] = problem
    if data.auth_audience and (problem := url_problem(data.auth_audience)):
        errors["auth_audience"] = problem
    if not [d for d in data.deployment_ids if d.strip()]:
        errors["deployment_ids"] = "Give at least one deployment id (the platform shows it after adding the tool)."
    problems = [p for p in map(_origin_problem, data.frame_origins) if p]
    if problems:
        errors["frame_origins"] = " ".join(problems)
    return errors


def register_platform(session: Session, data: PlatformData) -> tuple[LtiPlatform, bool]:
    """Register (issuer, client id), or update its URLs and add deployment ids; (platform, created now)."""
    errors = check_platform(data)
    if errors:
        raise RegistrationInvalid(errors)
    issuer, client_id = data.issuer.strip(), data.client_id.strip()
    platform = find_platform(session, issuer, client_id)
    created = platform is None
    if created:
        platform = LtiPlatform(issuer=issuer, client_id=client_id)
        session.add(platform)
    platform.name = data.name.strip()
    platform.auth_login_url = data.auth_login_url.strip()
    platform.auth_token_url = data.auth_token_url.strip()
    platform.auth_audience = (data.auth_audience or "").strip() or None
    if platform.key_set_url != data.key_set_url.strip():
        platform.key_set_url, platform.key_set = data.key_set_url.strip(), None
    platform.frame_origins = [origin_of(o) for o in data.frame_origins] or sorted(
        {origin_of(issuer), origin_of(platform.auth_login_url)})
    known = set(platform.deployment_ids)
    for deployment_id in data.deployment_ids:
        if deployment_id.strip() and deployment_id.strip() not in known:
            platform.deployments.append(LtiDeployment(deployment_id=deployment_id.strip()))
            known.add(deployment_id.strip())
    session.flush()
    return platform, created


def find_platform(session: Session, issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The registration for (issuer, client id); without a client id, the issuer's only one."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        return session.scalar(query.where(LtiPlatform.client_id == client_id))
    found = list(session.scalars(query.limit(2)))
    return found[0] if len(found) == 1 else None


def all_platforms(session: Session) -> list[LtiPlatform]:
    return list(session.scalars(select(LtiPlatform).order_by(LtiPlatform.name, LtiPlatform.id)))


def tool_values() -> dict[str, str]:
    """The values a platform asks for when the tool is added to it (in an app or request context)."""
    return {
        "OIDC login URL (initiate login)": url_for("lti.login", _external=True),
        "Redirect URI / launch URL": url_for("lti.launch", _external=True),
        "Target link URI": url_for("pages.index", _external=True),
        "Public keyset URL (JWKS)": url_for("lti.jwks", _external=True),
        "Deep linking URL": url_for("lti.launch", _external=True),
    }


def registration_for(platform: LtiPlatform, config) -> Registration:
    """pylti1p3's view of a registration, with the tool's current key."""
    key = tool_key(config)
    registration = (
        Registration().set_issuer(platform.issuer).set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
        .set_key_set_url(platform.key_set_url).set_key_set(platform.key_set)
        .set_tool_private_key(key.private_pem).set_tool_public_key(key.public_pem)
    )
    if platform.auth_audience:
        registration.set_auth_audience(platform.auth_audience)
    return registration


class DatabaseToolConf(ToolConfAbstract):
    """Registrations read from the database: one issuer may have several client ids."""

    def __init__(self, session: Session, config):
        super().__init__()
        self.session, self.config = session, config
        self.platform: LtiPlatform | None = None  # the one the last lookup found

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> Registration | None:
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss: str, client_id: str | None, *args, **kwargs) -> Registration | None:
        self.platform = find_platform(self.session, iss, client_id)
        return registration_for(self.platform, self.config) if self.platform else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str | None, *args, **kwargs):
        platform = find_platform(self.session, iss, client_id)
        if platform is None or deployment_id not in platform.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)
