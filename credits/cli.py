"""`flask credits revoke CODE --reason ...`, `reissue CODE`, `reinstate CODE --reason ...` and
`correct-amount CODE AMOUNT --reason ...`: single certificates, audited.

Open Badges: `flask credits badge CODE` prints a certificate's credential, `flask credits verify-badge
FILE` checks one (exit 1 with the reason when it fails), `flask credits new-badge-key` prints a key
for production and `flask credits rotate-badge-key` replaces the development key in instance/.
"""
import json
import sys
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app
from flask.cli import AppGroup

from accounts.audit import VIA_COMMAND_LINE
from accounts.models import User
from course.content.store import current_catalogue
from course.core.clock import now
from course.core.database import writes
from course.core.extensions import db

from . import administration, corrections
from .badges.credential import check_badge_file, ensure_credential
from .badges.integrity import public_multikey, secret_multikey
from .badges.keys import rotate_dev_key
from .certificates import find_by_code
from .corrections import profile_differences
from .errors import CreditError
from .models import Certificate

credits_cli = AppGroup("credits", help="Revoke, reissue, reinstate or correct a certificate; print or verify its Open Badge.")


def _certificate_by_code(code: str) -> Certificate:
    certificate = find_by_code(db.session, code)
    if certificate is None:
        raise click.ClickException("No certificate has that verification code.")
    return certificate


@credits_cli.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Why the certificate is revoked (kept with it, not shown publicly).")
@writes
def revoke_command(code: str, reason: str) -> None:
    """Revoke the certificate with verification code CODE (put -- before a code that starts with -)."""
    try:
        administration.revoke(db.session, _certificate_by_code(code), reason=reason, actor=None, via=VIA_COMMAND_LINE,
                              now=now())
    except CreditError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Revoked {code}.")


@credits_cli.command("reissue")
@click.argument("code")
@writes
def reissue_command(code: str) -> None:
    """Reissue the certificate with code CODE under the learner's current profile name (a name correction).

    Put -- before a code that starts with -.
    """
    certificate = _certificate_by_code(code)
    unchanged = not profile_differences(certificate, db.session.get(User, certificate.user_id))
    try:
        replacement = administration.reissue(db.session, certificate, actor=None, via=VIA_COMMAND_LINE, now=now())
    except CreditError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Reissued {code} to {replacement.learner_name} as {replacement.code}; "
               "the old code now shows as superseded.")
    if unchanged:
        click.echo(f"Warning: {administration.NOTHING_CHANGED}", err=True)


@credits_cli.command("reinstate")
@click.argument("code")
@click.option("--reason", required=True, help="Why the revocation is undone (kept in the audit trail).")
@writes
def reinstate_command(code: str, reason: str) -> None:
    """Make the revoked certificate with code CODE valid again under the same code."""
    try:
        corrections.reinstate(db.session, _certificate_by_code(code), reason=reason, actor=None, via=VIA_COMMAND_LINE,
                              now=now())
    except CreditError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Reinstated {code}.")


@credits_cli.command("correct-amount")
@click.argument("code")
@click.argument("amount")
@click.option("--reason", required=True, help="Why the amount is corrected (kept in the audit trail).")
@writes
def correct_amount_command(code: str, amount: str, reason: str) -> None:
    """Reissue the certificate with code CODE for AMOUNT, within the course's designation."""
    try:
        replacement = corrections.correct_amount(
            db.session, _certificate_by_code(code), amount=amount, reason=reason, catalogue=current_catalogue(),
            actor=None, via=VIA_COMMAND_LINE, now=now())
    except CreditError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Reissued {code} for {amount} {replacement.unit} as {replacement.code}; "
               "the old code now shows as superseded.")


@credits_cli.command("badge")
@click.argument("code")
@writes
def badge_command(code: str) -> None:
    """Print the Open Badges 3.0 credential of the certificate with verification code CODE."""
    certificate = _certificate_by_code(code)
    catalogue = current_catalogue()
    record = ensure_credential(db.session, certificate, course=catalogue.courses.get(certificate.course_slug),
                               provider=catalogue.provider, now=now())
    db.session.commit()
    click.echo(json.dumps(json.loads(record.credential), ensure_ascii=False, indent=2))


@credits_cli.command("verify-badge")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def verify_badge_command(file: str) -> None:
    """Verify an Open Badge credential FILE (.json, or a baked .png; - reads standard input).

    Exits 0 when it is verified, 1 with the reason when it is not.
    """
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as error:
        raise click.ClickException(f"Cannot read {file}: {error.strerror}.") from error
    result = check_badge_file(db.session, data, now())
    db.session.rollback()
    if not result.verified:
        raise click.ClickException(f"{result.reason}: {result.message}")
    click.echo(result.message)


@credits_cli.command("new-badge-key")
def new_badge_key_command() -> None:
    """Print a new Open Badges signing key, for BADGE_SIGNING_KEY in production (keep it secret)."""
    key = Ed25519PrivateKey.generate()
    click.echo(f"BADGE_SIGNING_KEY={secret_multikey(key)}")
    click.echo(f"public key (add it to BADGE_RETIRED_KEYS when this key is replaced): {public_multikey(key.public_key())}")


@credits_cli.command("rotate-badge-key")
def rotate_badge_key_command() -> None:
    """Development: retire the signing key kept in instance/ and make a new one.

    Credentials it signed keep verifying: its public key stays published. In production, set a new
    BADGE_SIGNING_KEY and add the old public key to BADGE_RETIRED_KEYS instead.
    """
    if current_app.config.get("BADGE_SIGNING_KEY"):
        raise click.ClickException("BADGE_SIGNING_KEY is set: rotate by setting a new one and adding the old "
                                   "public key to BADGE_RETIRED_KEYS.")
    old, new = rotate_dev_key(Path(current_app.instance_path))
    click.echo(f"Retired {old}; signing with {new}.")
