"""`flask reports`: the exports, and every step of reporting credit to regulators.

`flask reports completions|evaluations|progress|unfinished|quiz-responses|evaluation-comments [--since DATE]
[--until DATE] [--course SLUG] [--body ID] [--learner EMAIL] [-o FILE] [--format csv|xlsx]` write the same
tables as the downloads from the admin pages, to standard output or, with -o, to a file (with a
progress bar on standard error); a file ending .xlsx gets a workbook. A filter value that is not one the
web filters offer (an unknown course, body, profession or state) exits 2 naming the valid ones.

`flask reports batch pars|ce-broker`, `file`, `submit`, `mark`, `correct`, `status`, `history`
take records from pending to accepted as the admin pages do, through the same functions.

Every run that exports or changes something is recorded in the audit trail as taken from the
command line.
"""
import sys
from datetime import date, datetime
from itertools import islice

import click
from flask.cli import AppGroup
from sqlalchemy import select

from accounts.audit import VIA_COMMAND_LINE, record_audit
from accounts.models import User
from course.content.store import current_catalogue
from course.core.clock import now
from course.core.database import writes
from course.core.extensions import db
from course.core.filters import calendar_day
from course.core.validation import date_problem

from .batches import (
    OUTCOMES, ReportingError, accept_remaining, apply_result_file, make_batch, mark_corrected, pre_validate,
    record_outcome, submit_batch,
)
from .exports import BATCH_SIZE, Export, ReportFilters
from .files import BATCH_FILES, files_for
from .filter_values import unknown_filter_value
from .models import REGULATORS, ReportBatch, ReportRecord
from .registry import EXPORTS
from .status import records_at_risk, summaries
from .tracking import sync

reports_cli = AppGroup("reports", help="Export completion reports and evaluations; report credit to ACCME PARS and "
                                       "CE Broker.")


class IsoDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> date:
        if isinstance(value, date):
            return value
        try:
            day = datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            self.fail(f"{value!r} is not a date written YYYY-MM-DD, such as 2026-01-31.", param, ctx)
        problem = date_problem(day)
        if problem:
            self.fail(f"{value}: {problem}", param, ctx)
        return day


def write_export(export: Export, filters: ReportFilters, output: str | None, file_format: str = "csv") -> None:
    """Audit the export, then stream it to `output` (a path) or standard output (in a `writes` command).

    CSV goes to standard output or a file; XLSX only to a file (-o), written to a temporary
    file beside it and renamed, so the file appears complete or not at all.
    """
    if file_format == "xlsx" and output is None:
        raise click.UsageError("An XLSX workbook is written to a file: give -o FILE.xlsx.")
    record_audit(db.session, None, "export", target_type="report", target_id=export.name, details={
        "filters": filters.as_details(), "via": VIA_COMMAND_LINE, "output": output or "standard output",
    } | ({"format": file_format} if file_format != "csv" else {}))
    db.session.commit()
    catalogue = current_catalogue()
    if file_format == "xlsx":
        with click.open_file(output, "wb", atomic=True) as file:
            total = export.write_xlsx(db.session, filters, catalogue, file)
        click.echo(f"Wrote {total:,} row(s) to {output}.", err=True)
        return
    lines = export.write(db.session, filters, catalogue)
    if output is None:
        with click.open_file("-", "w", encoding="utf-8") as stdout:
            stdout.writelines(lines)
            stdout.flush()
        return
    total = export.count(db.session, filters, catalogue)
    # atomic: the file appears complete or not at all, even if the export fails half-way.
    with click.open_file(output, "w", encoding="utf-8", atomic=True) as file, click.progressbar(
        length=total, label=f"Writing {output}", file=sys.stderr, update_min_steps=max(1, total // 100),
    ) as progress:
        file.write(next(lines))  # the header
        for batch in iter(lambda: list(islice(lines, BATCH_SIZE)), []):
            file.writelines(batch)
            progress.update(len(batch))
    click.echo(f"Wrote {total:,} row(s) to {output}.", err=True)


def _command_for(export: Export) -> click.Command:
    @click.option("--since", type=IsoDate(), help="First completion date to include.")
    @click.option("--until", type=IsoDate(), help="Last completion date to include.")
    @click.option("--course", metavar="SLUG", help="Only this course (its folder name under content/).")
    @click.option("--body", metavar="ID", help="Only this accrediting body's credit (an approval id in provider.yaml).")
    @click.option("--profession", metavar="CODE", help="Only learners of this profession (e.g. physician, nurse).")
    @click.option("--state", metavar="XX", callback=lambda ctx, param, value: value.upper() if value else value,
                  help="Only learners holding a licence in this state (e.g. NY; any case).")
    @click.option("--learner", metavar="EMAIL", help="Only this learner's rows (progress, unfinished, quiz-responses "
                  "and evaluation-comments; quiz-responses needs it).")
    @click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False, writable=True),
                  help="Write to FILE instead of standard output, with a progress bar.")
    @click.option("--format", "file_format", type=click.Choice(["csv", "xlsx"]),
                  help="csv or xlsx (default: by the ending of -o FILE, else csv).")
    @writes
    def command(since, until, course, body, profession, state, learner, output, file_format):
        if learner and not export.uses_learner:
            raise click.BadParameter(f"the {export.name} export has no learner filter.", param_hint="'--learner'")
        if export.needs_learner and not learner:
            raise click.UsageError(f"The {export.name} export is for one learner: give --learner EMAIL.")
        if learner and db.session.scalar(select(User.id).where(User.email == learner.strip().lower())) is None:
            raise click.BadParameter(f"no account has the email {learner}.", param_hint="'--learner'")
        file_format = file_format or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
        if since and until and until < since:
            raise click.BadParameter(f"{until} is before --since {since}.", param_hint="'--until'")
        for name, value in (("course", course), ("body", body), ("profession", profession), ("state", state)):
            message = value and unknown_filter_value(name, value, current_catalogue())
            if message:
                raise click.BadParameter(message, param_hint=f"'--{name}'")
        write_export(export, ReportFilters(since=since, until=until, course=course, body=body,
                                           profession=profession, state=state, learner=learner), output, file_format)

    return reports_cli.command(export.name, help=f"Write {export.title}.")(command)


for _export in EXPORTS.values():
    _command_for(_export)


# --- Reporting to regulators --------------------------------------------------------------

REGULATOR = click.Choice(list(REGULATORS))


def _fail(error: ReportingError) -> None:
    db.session.rollback()
    raise click.ClickException(error.message)


def _batch(batch_id: int) -> ReportBatch:
    batch = db.session.get(ReportBatch, batch_id)
    if batch is None:
        raise click.ClickException(f"There is no batch {batch_id}.")
    return batch


def _record(record_id: int) -> ReportRecord:
    record = db.session.get(ReportRecord, record_id)
    if record is None:
        raise click.ClickException(f"There is no report record {record_id}.")
    return record


def _echo_failures(failures) -> None:
    for failure in failures:
        record = db.session.get(ReportRecord, failure.record_id)
        learner = db.session.get(User, record.user_id)
        for problem in failure.problems:
            click.echo(f"record {record.id} ({learner.email}): {problem.message} [to fix: {problem.fixer}]")


def write_batch_file(batch: ReportBatch, name: str, output: str) -> None:
    """Write one of the batch's files (reports.files.BATCH_FILES) to `output`, whole or not at all."""
    regulator, _title, _media, writer = BATCH_FILES[name]
    if regulator != batch.regulator:
        raise click.ClickException(f"{name} is not a file of a {REGULATORS[batch.regulator]} batch: use "
                                   f"{' or '.join(files_for(batch.regulator))}.")
    if name.endswith(".txt"):
        with click.open_file(output, "wb", atomic=True) as file:
            file.writelines(line.encode("utf-8") for line in writer(db.session, batch))
    else:
        with click.open_file(output, "wb", atomic=True) as file:
            writer(db.session, batch, file)
    click.echo(f"Wrote batch {batch.id} ({batch.row_count:,} row(s)) to {output}.", err=True)


@reports_cli.command("batch")
@click.argument("regulator", type=REGULATOR)
@click.option("--until", type=IsoDate(), help="Only completions on or before this date.")
@click.option("--check", is_flag=True, help="Only pre-validate: list what would fail, make no batch.")
@click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False, writable=True),
              help="Also write the batch's upload file (pars.xlsx, pars.txt or ce-broker.xlsx by FILE's ending).")
@writes
def batch_command(regulator, until, check, output):
    """Pre-validate the records waiting for REGULATOR (pars, ce-broker) and put those that pass in a new batch."""
    catalogue = current_catalogue()
    if check:
        sync(db.session, regulator, catalogue)
        result = pre_validate(db.session, regulator, catalogue, until)
        db.session.commit()
        _echo_failures(result.failures)
        click.echo(f"{result.ready} record(s) ready, {len(result.failures)} failing pre-validation.")
        return
    try:
        batch, result = make_batch(db.session, regulator, catalogue, actor=None, via=VIA_COMMAND_LINE, now=now(),
                                   until=until)
    except ReportingError as error:
        _echo_failures(pre_validate(db.session, regulator, catalogue, until).failures)
        _fail(error)
    db.session.commit()
    _echo_failures(result.failures)
    click.echo(f"Batch {batch.id}: {batch.record_count} record(s), {batch.row_count} row(s); "
               f"{len(result.failures)} record(s) left out until fixed.")
    if output:
        name = next((name for name in files_for(regulator) if output.endswith(name.rpartition(".")[2])), None)
        write_batch_file(batch, name or files_for(regulator)[0], output)


@reports_cli.command("file")
@click.argument("batch_id", type=int)
@click.argument("name", type=click.Choice(list(BATCH_FILES)))
@click.option("-o", "--output", metavar="FILE", required=True, type=click.Path(dir_okay=False, writable=True))
def file_command(batch_id, name, output):
    """Write a batch's upload file NAME (pars.xlsx, pars.txt, ce-broker.xlsx) to FILE."""
    write_batch_file(_batch(batch_id), name, output)


@reports_cli.command("submit")
@click.argument("batch_id", type=int)
@writes
def submit_command(batch_id):
    """Record that BATCH_ID's file was uploaded to the regulator."""
    batch = _batch(batch_id)
    try:
        submit_batch(db.session, batch, actor=None, via=VIA_COMMAND_LINE, now=now())
    except ReportingError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Batch {batch_id} marked uploaded: {batch.record_count} record(s) await the regulator's answer.")


@reports_cli.command("mark")
@click.argument("record_id", type=int, required=False)
@click.argument("outcome", type=click.Choice(OUTCOMES), required=False)
@click.option("--reason", help="Why the regulator rejected the record (needed for rejected).")
@click.option("--batch", "batch_id", type=int, help="With --rest or --result-file: the batch.")
@click.option("--rest", is_flag=True, help="Accept every record of --batch still awaiting an answer.")
@click.option("--result-file", type=click.File("rb"), help="Record the outcomes in a result file for --batch "
              "(CSV or tab-separated with the columns row, outcome, reason).")
@writes
def mark_command(record_id, outcome, reason, batch_id, rest, result_file):
    """Record the regulator's answer: `mark RECORD accepted`, `mark RECORD rejected --reason ...`,
    `mark --batch N --rest`, or `mark --batch N --result-file FILE`."""
    try:
        if rest or result_file:
            if batch_id is None or record_id is not None:
                raise click.UsageError("--rest and --result-file take --batch and no RECORD_ID.")
            batch = _batch(batch_id)
            if result_file:
                counts = apply_result_file(db.session, batch, result_file.read(), actor=None, via=VIA_COMMAND_LINE,
                                           now=now())
                message = f"{counts['accepted']} accepted, {counts['rejected']} rejected."
            else:
                message = f"{accept_remaining(db.session, batch, actor=None, via=VIA_COMMAND_LINE, now=now())} accepted."
        else:
            if record_id is None or outcome is None:
                raise click.UsageError("Give RECORD_ID and OUTCOME (accepted or rejected), or --batch with --rest.")
            record = _record(record_id)
            record_outcome(db.session, record, outcome, reason=reason, actor=None, via=VIA_COMMAND_LINE, now=now())
            message = f"Record {record_id} {outcome}."
    except ReportingError as error:
        _fail(error)
    db.session.commit()
    click.echo(message)


@reports_cli.command("correct")
@click.argument("record_id", type=int)
@writes
def correct_command(record_id):
    """Mark a rejected record corrected (it must now pass pre-validation) so the next batch sends it again."""
    try:
        mark_corrected(db.session, _record(record_id), current_catalogue(), actor=None, via=VIA_COMMAND_LINE,
                       now=now())
    except ReportingError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Record {record_id} corrected: the next batch sends it again.")


@reports_cli.command("status")
@click.argument("regulator", type=REGULATOR, required=False)
def status_command(regulator):
    """Records per status, batches awaiting upload or answers, and deadlines at risk."""
    today = calendar_day(now())
    for summary in summaries(db.session):
        if regulator and summary.regulator != regulator:
            continue
        counts = ", ".join(f"{status.replace('_', ' ')} {count}" for status, count in summary.counts.items() if count)
        click.echo(f"{summary.name}: {counts or 'no records'}; batches open {summary.open_batches}, "
                   f"awaiting answers {summary.awaiting_outcome}")
    for risk in records_at_risk(db.session, today):
        if regulator and risk.record.regulator != regulator:
            continue
        when = f"overdue by {-risk.days_left} day(s)" if risk.days_left < 0 else f"due in {risk.days_left} day(s)"
        click.echo(f"at risk: record {risk.record.id} ({risk.learner.email}, {REGULATORS[risk.record.regulator]}) "
                   f"{when}, {risk.record.status.replace('_', ' ')}")


@reports_cli.command("history")
@click.argument("record_id", type=int)
def history_command(record_id):
    """Every step of one report record, oldest first."""
    record = _record(record_id)
    click.echo(f"record {record.id}: {record.action} for {REGULATORS[record.regulator]}, certificate "
               f"{record.certificate_id}, {record.status.replace('_', ' ')}")
    for event in record.events:
        click.echo(f"{event.at:%Y-%m-%d %H:%M} {event.status.replace('_', ' ')}"
                   f"{f' (batch {event.batch_id})' if event.batch_id else ''}"
                   f"{f' [{event.via}]' if event.via else ''}: {event.note or ''}")
