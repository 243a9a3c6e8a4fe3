"""`flask content check [--dir DIR]`: validate every content file, naming file and line for each problem."""
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .loader import load_catalogue
from .publishing import ContentPublication  # noqa: F401  (its table is part of the schema the migrations build)

content_cli = AppGroup("content", help="Check course content.")


@content_cli.command("check")
@click.option("--dir", "content_dir", type=click.Path(file_okay=False), help="Content folder (default: CONTENT_DIR).")
def content_check(content_dir: str | None) -> None:
    """Validate all content; print file:line: problem for each error and warning (exit 1 on an error)."""
    root = Path(content_dir or current_app.config["CONTENT_DIR"])
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
