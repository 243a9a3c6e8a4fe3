"""`flask lti register | platforms | tool-values | rotate-key | send-scores`."""
import click
from flask import current_app
from flask.cli import AppGroup

from accounts.audit import VIA_COMMAND_LINE, record_audit
from course.core.clock import now
from course.core.database import writes
from course.core.extensions import db

from .keys import rotate_key
from .platforms import PlatformData, RegistrationInvalid, all_platforms, register_platform, tool_values
from .scores import send_due

lti_cli = AppGroup("lti", help="LTI 1.3: register learning systems, the tool's key, grade passback.")


@lti_cli.command("register")
@click.option("--name", required=True, help="What staff call it, e.g. 'County Health Canvas'.")
@click.option("--issuer", required=True, help="The platform's issuer (iss), e.g. https://canvas.instructure.com.")
@click.option("--client-id", required=True, help="The client id the platform gave the tool.")
@click.option("--auth-login-url", required=True, help="The platform's OIDC authorisation endpoint.")
@click.option("--auth-token-url", required=True, help="The platform's OAuth 2 token endpoint.")
@click.option("--key-set-url", required=True, help="The platform's public keyset (JWKS) URL.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True,
              help="A deployment id (repeat for several).")
@click.option("--frame-origin", "frame_origins", multiple=True,
              help="An origin allowed to show the tool in an iframe, e.g. https://school.instructure.com "
                   "(repeat; default: the issuer's and the login URL's origins).")
@click.option("--auth-audience", help="The audience of token requests, if the platform wants one other than its token URL.")
@writes
def register(name, issuer, client_id, auth_login_url, auth_token_url, key_set_url, deployment_ids, frame_origins,
             auth_audience) -> None:
    """Register a platform (issuer + client id); run again to add deployment ids or change its URLs."""
    data = PlatformData(name=name, issuer=issuer, client_id=client_id, auth_login_url=auth_login_url,
                        auth_token_url=auth_token_url, key_set_url=key_set_url, deployment_ids=list(deployment_ids),
                        frame_origins=list(frame_origins), auth_audience=auth_audience)
    try:
        platform, created = register_platform(db.session, data)
    except RegistrationInvalid as error:
        raise click.ClickException(str(error)) from error
    record_audit(db.session, None, "lti_platform", target_type="lti_platform", target_id=platform.id,
                 details={"issuer": platform.issuer, "client_id": platform.client_id, "created": created,
                          "deployments": platform.deployment_ids, "via": VIA_COMMAND_LINE})
    db.session.commit()
    click.echo(f"{'Registered' if created else 'Updated'} {platform.name}: issuer {platform.issuer}, client id "
               f"{platform.client_id}, deployments {', '.join(platform.deployment_ids)}")


@lti_cli.command("platforms")
def platforms() -> None:
    """List the registered platforms."""
    for platform in all_platforms(db.session):
        click.echo(f"{platform.id}\t{platform.name}\t{platform.issuer}\t{platform.client_id}\t"
                   f"{','.join(platform.deployment_ids)}\t{' '.join(platform.frame_origins)}")


@lti_cli.command("tool-values")
def show_tool_values() -> None:
    """Print the URLs to enter in Canvas, Moodle and other platforms."""
    for label, value in tool_values().items():
        click.echo(f"{label}: {value}")


@lti_cli.command("rotate-key")
@writes
def rotate() -> None:
    """Make a new tool key; the old public key stays in the JWKS (remove its file from LTI_RETIRED_KEYS_DIR later)."""
    old_kid, new_kid = rotate_key(current_app.config)
    record_audit(db.session, None, "lti_key_rotation", target_type="lti_key", target_id=new_kid,
                 details={"old_kid": old_kid, "new_kid": new_kid, "via": VIA_COMMAND_LINE})
    db.session.commit()
    click.echo(f"New tool key {new_kid}" + (f"; {old_kid} is retired but still published" if old_kid else ""))


@lti_cli.command("send-scores")
def send_scores() -> None:
    """Send every score waiting in the outbox whose time has come (run it every minute, e.g. from cron)."""
    result = send_due(db.session, current_app.config, now())
    click.echo(f"Sent {result.sent} score(s); {result.failed} failed and will be tried again (or were given up).")
