"""`flask credits revoke CODE --reason ...` and `flask credits reissue CODE`: single certificates, audited."""
import click
from flask.cli import AppGroup

from accounts.audit import VIA_COMMAND_LINE
from accounts.models import User
from course.core.clock import now
from course.core.database import take_write_lock
from course.core.extensions import db

from . import administration
from .certificates import find_by_code
from .corrections import profile_differences
from .errors import CreditError
from .models import Certificate

credits_cli = AppGroup("credits", help="Revoke or reissue a certificate.")


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
