"""`flask reports completions|pars|evaluations [--since DATE] [--until DATE] [--course SLUG] [--body ID] [-o FILE]`.

Each command writes the same lines as the download from the completion report page, to
standard output or, with -o, to a file (with a progress bar on standard error). Every run is
recorded in the audit trail as an export taken from the command line.
"""
import sys
from datetime import date, datetime

import click
from flask.cli import AppGroup

from accounts.audit import VIA_COMMAND_LINE, record_audit
from course.content.store import current_catalogue
from course.core.database import take_write_lock
from course.core.extensions import db

from .exports import EXPORTS, Export, ReportFilters

reports_cli = AppGroup("reports", help="Export completion reports, the ACCME PARS file and evaluation responses.")


class IsoDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> date:
        if isinstance(value, date):
            return value
        try:
            return datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            self.fail(f"{value!r} is not a date written YYYY-MM-DD, such as 2026-01-31.", param, ctx)


def write_export(export: Export, filters: ReportFilters, output: str | None) -> None:
    """Audit the export, then stream it to `output` (a path) or standard output."""
    take_write_lock(db.session)
    record_audit(db.session, None, "export", target_type="report", target_id=export.name, details={
        "filters": filters.as_details(), "via": VIA_COMMAND_LINE, "output": output or "standard output",
    })
    db.session.commit()
    lines = export.write(db.session, filters, current_catalogue())
    if output is None:
        with click.open_file("-", "w", encoding="utf-8") as stdout:
            stdout.writelines(lines)
            stdout.flush()
        return
    total = export.count(db.session, filters)
    # atomic: the file appears complete or not at all, even if the export fails half-way.
    with click.open_file(output, "w", encoding="utf-8", atomic=True) as file, click.progressbar(
        length=total, label=f"Writing {output}", file=sys.stderr, update_min_steps=max(1, total // 100),
    ) as progress:
        file.write(next(lines))  # the header
        for line in lines:
            file.write(line)
            progress.update(1)
    click.echo(f"Wrote {total:,} row(s) to {output}.", err=True)


def _command_for(export: Export) -> click.Command:
    @click.option("--since", type=IsoDate(), help="First completion date to include.")
    @click.option("--until", type=IsoDate(), help="Last completion date to include.")
    @click.option("--course", metavar="SLUG", help="Only this course (its folder name under content/).")
    @click.option("--body", metavar="ID", help="Only this accrediting body's credit (an approval id in provider.yaml).")
    @click.option("--profession", metavar="CODE", help="Only learners of this profession (e.g. physician, nurse).")
    @click.option("--state", metavar="XX", help="Only learners holding a licence in this state (e.g. NY).")
    @click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False, writable=True),
                  help="Write to FILE instead of standard output, with a progress bar.")
    def command(since, until, course, body, profession, state, output):
        if since and until and until < since:
            raise click.BadParameter(f"{until} is before --since {since}.", param_hint="'--until'")
        write_export(export, ReportFilters(since=since, until=until, course=course, body=body,
                                           profession=profession, state=state), output)

    return reports_cli.command(export.name, help=f"Write {export.title}.")(command)


for _export in EXPORTS.values():
    _command_for(_export)
