"""Who a launch signs in: the user linked to the platform's (issuer, subject), made on first launch.

An email in the launch is kept for display but never used to find or link an account: a
platform can send any address, and matching on it would hand one person's account to another.
Functions flush; the caller commits.
"""
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.audit import VIA_LTI
from accounts.models import User
from accounts.users import change_role, register_user

from .models import LtiAccount

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"
# Context roles (and their sub-roles, e.g. membership/Instructor#TeachingAssistant) that make an instructor here.
INSTRUCTOR_CONTEXT_ROLES = ("Instructor", "ContentDeveloper")
PLACEHOLDER_EMAIL_DOMAIN = "lti.invalid"  # RFC 2606: never delivered, never anyone's address


def role_from_launch(lti_roles: list[str]) -> str:
    """Our role for the launch's roles: instructor or learner. Never administrator, whatever the
    platform says (an LMS administrator is no administrator of this site)."""
    for role in lti_roles:
        for name in INSTRUCTOR_CONTEXT_ROLES:
            if role in (f"{MEMBERSHIP}#{name}", name) or role.startswith(f"{MEMBERSHIP}/{name}#"):
                return "instructor"
    return "learner"


@dataclass(frozen=True)
class LaunchedPerson:
    issuer: str
    subject: str
    given_name: str
    family_name: str
    name: str
    email: str | None
    roles: list[str]


@dataclass(frozen=True)
class SignIn:
    user: User
    created: bool  # the account was made by this launch


def _placeholder_email() -> str:
    return f"learner-{secrets.token_hex(8)}@{PLACEHOLDER_EMAIL_DOMAIN}"


def sign_in_person(session: Session, person: LaunchedPerson, now: datetime) -> SignIn:
    """The user linked to (issuer, subject), made and linked if there is none; their role follows the launch."""
    account = session.scalar(select(LtiAccount).where(
        LtiAccount.issuer == person.issuer, LtiAccount.subject == person.subject))
    created = account is None
    if created:
        name = person.name or " ".join(p for p in (person.given_name, person.family_name) if p)
        user = register_user(session, name=name, first_name=person.given_name, last_name=person.family_name,
                             email=_placeholder_email(), password=secrets.token_urlsafe(32))
        account = LtiAccount(user_id=user.id, issuer=person.issuer, subject=person.subject, created_at=now)
        try:
            with session.begin_nested():
                session.add(account)
                session.flush()
        except IntegrityError:  # the same person's first launch in two tabs at once
            session.delete(user)
            session.flush()
            return sign_in_person(session, person, now)
    user = session.get(User, account.user_id)
    account.platform_email = (person.email or "")[:254] or None
    account.last_launch_at = now
    wanted = role_from_launch(person.roles)
    if user.role != "admin" and user.role != wanted:
        change_role(session, actor=None, user=user, role=wanted, via=VIA_LTI)
    session.flush()
    return SignIn(user, created)


def needs_profile(user: User) -> bool:
    """A learner from a launch completes their profile before claiming credit: name and profession at least."""
    return not (user.profession and user.first_name and user.last_name)
