"""`flask users create-admin EMAIL`."""
import click
from flask.cli import AppGroup

from course.core.database import writes
from course.core.extensions import db

from .audit import VIA_COMMAND_LINE, record_audit
from .passwords import password_problem
from .users import EmailTaken, change_role, find_user_by_email, register_user

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", help="Full name (asked for if the account is new).")
@click.option("--password", envvar="ADMIN_PASSWORD", help="Password for a new account (asked for if not given).")
def create_admin(email: str, name: str | None, password: str | None) -> None:
    """Make EMAIL an administrator, creating the account if it does not exist."""
    if find_user_by_email(db.session, email) is None:  # ask before taking the write lock, not while holding it
        name = name or click.prompt("Full name")
        password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password, email, name)
        if problem:
            raise click.ClickException(problem)
    db.session.rollback()
    _make_admin(email, name, password)


@writes
def _make_admin(email: str, name: str | None, password: str | None) -> None:
    user = find_user_by_email(db.session, email)
    if user is None:
        if not (name and password):
            raise click.ClickException(f"{email} was removed while you typed; run the command again.")
        try:
            user = register_user(db.session, name=name, email=email, password=password, role="admin")
        except EmailTaken as error:
            raise click.ClickException(f"{email} already has an account") from error
        record_audit(db.session, None, "role_change", target_type="user", target_id=user.id,
                     details={"email": user.email, "from": None, "to": "admin", "via": VIA_COMMAND_LINE})
        action = "Created administrator"
    else:
        change_role(db.session, actor=None, user=user, role="admin", via=VIA_COMMAND_LINE)
        action = "Made administrator"
    db.session.commit()
    click.echo(f"{action}: {user.email}")
