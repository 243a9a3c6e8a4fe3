"""Command-line tools: `flask content check`, `flask users create-admin EMAIL`, `flask reports ...`."""
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from credits.reports_cli import reports_cli

from .accounts import EmailTaken, find_user_by_email, register_user
from .audit import VIA_COMMAND_LINE, record_audit
from .catalogue import load_catalogue
from .extensions import db
from .learners import change_role
from .passwords import password_problem

content_cli = AppGroup("content", help="Check course content.")
users_cli = AppGroup("users", help="Manage user accounts.")


@content_cli.command("check")
@click.option("--dir", "content_dir", type=click.Path(file_okay=False), help="Content folder (default: CONTENT_DIR).")
def content_check(content_dir: str | None) -> None:
    """Validate all content; print file:line: problem for each error."""
    root = Path(content_dir or current_app.config["CONTENT_DIR"])
    result = load_catalogue(root)
    for problem in result.problems:
        click.echo(str(problem))
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s) found.", err=True)
        sys.exit(1)
    questions = sum(len(b.questions) for c in result.courses.values() for b in c.banks.values())
    modules = sum(len(c.modules) for c in result.courses.values())
    approvals = len(result.provider.approvals) if result.provider else 0
    click.echo(
        f"Content OK: {len(result.courses)} course(s), {modules} module(s), "
        f"{questions} question(s), {approvals} approval(s)."
    )


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", help="Full name (asked for if the account is new).")
@click.option("--password", envvar="ADMIN_PASSWORD", help="Password for a new account (asked for if not given).")
def create_admin(email: str, name: str | None, password: str | None) -> None:
    """Make EMAIL an administrator, creating the account if it does not exist."""
    user = find_user_by_email(db.session, email)
    if user is None:
        name = name or click.prompt("Full name")
        password = password or click.prompt("Password", hide_input=True, confirmation_prompt=True)
        problem = password_problem(password, email, name)
        if problem:
            raise click.ClickException(problem)
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


def register(app: Flask) -> None:
    app.cli.add_command(content_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(reports_cli)
