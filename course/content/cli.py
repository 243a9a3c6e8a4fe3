"""`flask content check [--dir DIR | --draft]`: validate every content file, naming file and line for each problem.

`flask content publish`: copy the draft folder (CONTENT_DRAFT_DIR) over the live one once it
passes the check, recorded with its content hash and the operating-system user and host.
"""
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from course.core.database import writes
from course.core.extensions import db
from course.core.operator import command_line_operator

from .loader import load_catalogue
from .publishing import PublishRefused, publish

content_cli = AppGroup("content", help="Check course content; publish the draft.")


@content_cli.command("check")
@click.option("--dir", "content_dir", type=click.Path(file_okay=False), help="Content folder (default: CONTENT_DIR).")
@click.option("--draft", is_flag=True, help="Check the draft folder (CONTENT_DRAFT_DIR) instead.")
def content_check(content_dir: str | None, draft: bool) -> None:
    """Validate all content; print file:line: problem for each error and warning (exit 1 on an error)."""
    if draft and content_dir:
        raise click.UsageError("Give --dir or --draft, not both.")
    root = Path(content_dir or current_app.config["CONTENT_DRAFT_DIR" if draft else "CONTENT_DIR"])
    if not root.is_dir():
        raise click.ClickException(f"There is no content folder at {root}.")
    result = load_catalogue(root)
    for problem in sorted(result.problems + result.warnings, key=lambda p: (p.path, p.line)):
        click.echo(str(problem))
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s) found.", err=True)
        sys.exit(1)
    questions = sum(len(b.questions) for c in result.courses.values() for b in c.banks.values())
    modules = sum(len(c.modules) for c in result.courses.values())
    approvals = len(result.provider.approvals) if result.provider else 0
    warnings = f" {len(result.warnings)} warning(s) above." if result.warnings else ""
    click.echo(
        f"Content OK: {len(result.courses)} course(s), {modules} module(s), "
        f"{questions} question(s), {approvals} approval(s).{warnings}"
    )


@content_cli.command("publish")
@writes
def content_publish() -> None:
    """Publish the draft folder: check it, copy it over the live content folder and record it."""
    config = current_app.config
    try:
        publication = publish(db.session, Path(config["CONTENT_DRAFT_DIR"]), Path(config["CONTENT_DIR"]),
                              published_by=command_line_operator())
    except PublishRefused as refused:
        db.session.rollback()
        raise click.ClickException(f"Not published: {refused}.") from None
    db.session.commit()
    courses = ", ".join(f"{slug} {version}" for slug, version in sorted(publication.courses.items()))
    click.echo(f"Published {config['CONTENT_DRAFT_DIR']} (content hash {publication.content_hash}): {courses}.")
