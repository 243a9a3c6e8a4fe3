"""`flask credits revoke CODE --reason ...`, `reissue CODE`, `reinstate CODE --reason ...` and
`correct-amount CODE AMOUNT --reason ...`: single certificates, audited."""
import click
from flask.cli import AppGroup

from accounts.audit import VIA_COMMAND_LINE
from accounts.models import User
from course.content.store import current_catalogue
from course.core.clock import now
from course.core.database import take_write_lock
from course.core.extensions import db

from . import administration, corrections
from .certificates import find_by_code
from .corrections import profile_differences
from .errors import CreditError
from .models import Certificate

credits_cli = AppGroup("credits", help="Revoke, reissue, reinstate or correct a certificate.")


def _certificate_by_code(code: str) -> Certificate:
    certificate = find_by_code(db.session, code)
    if certificate is None:
        raise click.ClickException("No certificate has that verification code.")
    return certificate


@credits_cli.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Why the certificate is revoked (kept with it, not shown publicly).")
def revoke_command(code: str, reason: str) -> None:
    """Revoke the certificate with verification code CODE (put -- before a code that starts with -)."""
    take_write_lock(db.session)
    try:
        administration.revoke(db.session, _certificate_by_code(code), reason=reason, actor=None, via=VIA_COMMAND_LINE,
                              now=now())
    except CreditError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Revoked {code}.")


@credits_cli.command("reissue")
@click.argument("code")
def reissue_command(code: str) -> None:
    """Reissue the certificate with code CODE under the learner's current profile name (a name correction).

    Put -- before a code that starts with -.
    """
    take_write_lock(db.session)
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
def reinstate_command(code: str, reason: str) -> None:
    """Make the revoked certificate with code CODE valid again under the same code."""
    take_write_lock(db.session)
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
def correct_amount_command(code: str, amount: str, reason: str) -> None:
    """Reissue the certificate with code CODE for AMOUNT, within the course's designation."""
    take_write_lock(db.session)
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
