"""Revoking and reissuing certificates as an administrator: the claims.py rules plus an audit entry.

The browser and `flask credits revoke|reissue` both come through here, so neither can skip the
audit trail. Functions flush; the caller commits.
"""
from datetime import datetime

from sqlalchemy.orm import Session

from accounts.audit import record_audit
from accounts.models import User

from .certificates import reissue_certificate, revoke_certificate
from .corrections import profile_updates
from .models import Certificate


NOTHING_CHANGED = ("Nothing the certificate printed or reported differed from the profile: the new certificate "
                   "says the same under a new code.")


def revoke(session: Session, certificate: Certificate, *, reason: str, actor: User | None, via: str, now: datetime) -> None:
    """Revoke a valid certificate, keeping the reason; raises CreditError if it cannot be."""
    revoke_certificate(session, certificate, reason=reason, now=now)
    record_audit(session, actor, "certificate_revoke", target_type="certificate", target_id=certificate.id, now=now,
                 details={"code": certificate.code, "reason": certificate.revoked_reason, "via": via})


def reissue(session: Session, certificate: Certificate, *, actor: User | None, via: str, now: datetime) -> Certificate:
    """Replace a valid certificate with one under the learner's current profile (a name or MOC details correction).

    The name, and for MOC credit the board ID and birth month/day, come from the profile as it is now.
    """
    user = session.get(User, certificate.user_id)
    updates = profile_updates(certificate, user)
    moc = {key: value for key, value in updates.items() if key != "learner_name"}
    replacement = reissue_certificate(session, certificate, learner_name=user.name, now=now, changes=moc)
    details = {"code": certificate.code, "replacement_id": replacement.id, "replacement_code": replacement.code,
               "old_name": certificate.learner_name, "new_name": replacement.learner_name, "via": via}
    if moc:
        details["moc_changes"] = {key: {"from": getattr(certificate, key), "to": value} for key, value in moc.items()}
    record_audit(session, actor, "certificate_reissue", target_type="certificate", target_id=certificate.id, now=now,
                 details=details)
    return replacement


def reissue_chain(certificate: Certificate) -> list[Certificate]:
    """The certificates a chain of reissues links `certificate` to, the first issued first (a few queries)."""
    first = certificate
    while first.supersedes is not None:
        first = first.supersedes
    chain = [first]
    while chain[-1].superseded_by is not None:
        chain.append(chain[-1].superseded_by)
    return chain
