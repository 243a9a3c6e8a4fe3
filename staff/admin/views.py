"""Administrators' pages: dashboard, learners, roles, certificates, completion report, exports, reporting to
regulators (batches, outcomes, corrections, each record's history), audit trail.

Every route here is for administrators only; the check runs before every request to the
blueprint, so a route added later cannot be left open.
"""
import tempfile

from flask import (
    Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for,
)
from flask_login import current_user
from sqlalchemy import select

from accounts.audit import ACTIONS, VIA_WEB, audit_actors, audit_query, entries_about, record_audit
from accounts.models import User
from accounts.users import RoleChangeRefused, change_role
from course.content.store import current_catalogue
from course.core.clock import now
from course.core.extensions import db
from course.core.filters import calendar_day
from course.core.input_checks import accepts_files
from course.core.pagination import paginate
from course.core.roles import role_required
from credits import administration
from credits.corrections import differences_by_certificate, profile_differences
from credits.errors import CreditError
from credits.models import Certificate
from reports.batches import (
    ReportingError, accept_remaining, apply_result_file, make_batch, mark_corrected, pre_validate, record_outcome,
    submit_batch,
)
from reports.exports import EXPORTS as COMPLETION_EXPORTS
from reports.exports import completion_totals, completed_certificates, status_counts
from reports.registry import EXPORTS
from reports.tables import FORMATS
from reports.files import BATCH_FILES, files_for
from reports.models import REGULATORS, WAITING, ReportBatch, ReportBatchItem, ReportRecord
from reports.status import batches_of, count_at_risk, records_at_risk, rejected_queue, summaries
from reports.tracking import prepare_records

from lti.platforms import RegistrationInvalid, all_platforms, register_platform, tool_values
from lti.scores import outbox_rows

from .charts import grouped_bar_chart
from .dashboard import evaluation_summaries, last_months, month_label, monthly_activity, pass_rates
from .forms import (
    AuditFilterForm, ConfirmForm, LearnerSearchForm, LtiPlatformForm, MakeBatchForm, OutcomeForm, ReissueForm, ReportFilterForm,
    ResultFileForm, RevokeForm, RoleForm,
)
from .audit_targets import target_labels
from .learners import learner_record, learner_search_query
from .support_forms import LearnerReportFilterForm, certificate_forms, learner_forms

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50


@bp.before_request
@role_required("admin")
def administrators_only() -> None:
    """Runs before every view of the blueprint; role_required refuses everyone else."""


@bp.context_processor
def _audit_action_labels() -> dict:
    return {"audit_actions": ACTIONS}


def _page_number() -> int:
    return request.args.get("page", 1, type=int)


def _query_args(form) -> dict[str, str]:
    """The filters as sent (only the form's own fields), to carry into pagination links and export forms."""
    return {key: value for key, value in request.args.items() if key in form and value}


def _courses_by_title() -> list:
    return sorted(current_catalogue().courses.values(), key=lambda course: course.title)


# --- Dashboard ----------------------------------------------------------------------------


@bp.route("/")
def dashboard():
    courses = _courses_by_title()
    activity = monthly_activity(db.session, last_months(calendar_day(now())))
    chart = grouped_bar_chart(
        [tuple(month_label(month).split()) for month in activity.months],
        [("Learners registered", activity.learners), ("Courses completed", activity.completions),
         ("Valid certificates", activity.certificates)],
    )
    return render_template(
        "staff/admin/dashboard.html", activity=activity, chart=chart, month_label=month_label,
        pass_rates=pass_rates(db.session, courses), evaluations=evaluation_summaries(db.session, courses),
        at_risk=records_at_risk(db.session, calendar_day(now()), limit=10),
        at_risk_count=count_at_risk(db.session, calendar_day(now())), regulators=REGULATORS,
    )


# --- Learners and roles -------------------------------------------------------------------


@bp.route("/learners")
def learners():
    form = LearnerSearchForm(formdata=request.args)
    if not form.validate():
        return render_template("staff/admin/learners.html", form=form, page=None, query_args={}), 400
    page = paginate(db.session, learner_search_query(form.q.data or ""), _page_number(), PER_PAGE)
    return render_template("staff/admin/learners.html", form=form, page=page, query_args=_query_args(form))


def _render_learner(user: User, role_form: RoleForm | None = None, status: int = 200, **forms):
    """The learner's record; `forms` replace the learner-support forms (support_forms.learner_forms)."""
    courses = _courses_by_title()
    record = learner_record(db.session, user, courses)
    return render_template(
        "staff/admin/learner.html", record=record, differences=differences_by_certificate(record.certificates, user),
        role_form=role_form or RoleForm(formdata=None, role=user.role), is_self=user.id == current_user.id,
        **(learner_forms(user, courses) | forms),
    ), status


@bp.route("/learners/<int:user_id>")
def learner(user_id: int):
    return _render_learner(db.get_or_404(User, user_id))


@bp.route("/learners/<int:user_id>/role", methods=["POST"])
def change_user_role(user_id: int):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _render_learner(user, form, 422)
    try:
        changed = change_role(db.session, actor=current_user, user=user, role=form.role.data)
    except RoleChangeRefused as error:
        form.role.errors = [str(error)]
        return _render_learner(user, form, 409)
    db.session.commit()
    if changed:
        flash(f"{user.name}'s role is now {user.role}.", "success")
    else:
        flash(f"{user.name} already has the {user.role} role; nothing changed.", "info")
    return redirect(url_for("admin.learner", user_id=user.id), code=303)


# --- Certificates -------------------------------------------------------------------------


def _render_certificate(certificate: Certificate, *, revoke_form: RevokeForm | None = None,
                        error: str | None = None, status: int = 200, **forms):
    """The certificate's page; `forms` replace the learner-support forms (support_forms.certificate_forms)."""
    chain = administration.reissue_chain(certificate)
    learner = db.session.get(User, certificate.user_id)
    return render_template(
        "staff/admin/certificate.html", certificate=certificate, learner=learner,
        differences=profile_differences(certificate, learner),
        chain=chain, audit_entries=entries_about(db.session, "certificate", [c.id for c in chain]),
        revoke_form=revoke_form or RevokeForm(formdata=None), reissue_form=ReissueForm(formdata=None), error=error,
        **(certificate_forms() | forms),
    ), status


@bp.route("/certificates/<int:certificate_id>")
def certificate(certificate_id: int):
    return _render_certificate(db.get_or_404(Certificate, certificate_id))


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
def revoke_certificate(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _render_certificate(certificate, revoke_form=form, status=422)
    try:
        administration.revoke(db.session, certificate, reason=form.reason.data, actor=current_user, via=VIA_WEB,
                              now=now())
    except CreditError as error:
        return _render_certificate(certificate, revoke_form=form, error=error.message, status=error.status)
    db.session.commit()
    flash("The certificate is revoked. Its verify page and the learner's transcript now say so.", "success")
    return redirect(url_for("admin.certificate", certificate_id=certificate.id), code=303)


@bp.route("/certificates/<int:certificate_id>/reissue", methods=["POST"])
def reissue_certificate(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)  # the form has nothing but its CSRF token, checked by CSRFProtect
    unchanged = not profile_differences(certificate, db.session.get(User, certificate.user_id))
    try:
        replacement = administration.reissue(db.session, certificate, actor=current_user, via=VIA_WEB, now=now())
    except CreditError as error:
        return _render_certificate(certificate, error=error.message, status=error.status)
    db.session.commit()
    flash(f"Reissued to {replacement.learner_name} with a new code; the old code now shows as superseded.", "success")
    if unchanged:
        flash(administration.NOTHING_CHANGED, "info")
    return redirect(url_for("admin.certificate", certificate_id=replacement.id), code=303)


# --- Completion report and exports --------------------------------------------------------


@bp.route("/completions")
def completions():
    form = ReportFilterForm(formdata=request.args, catalogue=current_catalogue())
    if not form.validate():
        return render_template("staff/admin/completions.html", form=form, page=None, exports=COMPLETION_EXPORTS.values()), 400
    filters = form.filters()
    return render_template(
        "staff/admin/completions.html", form=form, exports=COMPLETION_EXPORTS.values(), query_args=_query_args(form),
        page=paginate(db.session, completed_certificates(filters), _page_number(), PER_PAGE),
        totals=completion_totals(db.session, filters), statuses=status_counts(db.session, filters),
    )


def _stream_export(name: str, file_format: str):
    """Stream one export as a CSV or XLSX download, after recording it (with its filters) in the audit trail.

    A POST, since it writes the audit entry. The entry is committed before the first line is
    sent; the lines are read in a transaction of their own, which on SQLite only reads. A
    workbook is written to a temporary file first (openpyxl's write-only mode), then streamed.
    """
    content = current_catalogue()
    chosen = EXPORTS[name]
    form = LearnerReportFilterForm(formdata=request.args, catalogue=content)
    if not form.validate() or (form.learner.data and not chosen.uses_learner) or (
            chosen.needs_learner and not form.learner.data):
        abort(400)
    filters = form.filters()
    record_audit(db.session, current_user, "export", target_type="report", target_id=name,
                 details={"filters": filters.as_details(), "via": VIA_WEB}
                 | ({"format": file_format} if file_format != "csv" else {}))
    db.session.commit()
    if file_format == "xlsx":
        target = tempfile.TemporaryFile()
        chosen.write_xlsx(db.session, filters, content, target)
        target.seek(0)
        response = Response(_read_and_close(target), content_type=FORMATS["xlsx"])
    else:
        response = Response(stream_with_context(chosen.write(db.session, filters, content)),
                            content_type=FORMATS["csv"])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{chosen.filename(calendar_day(now()), file_format)}"')
    response.headers["Cache-Control"] = "private, no-store"
    return response


def export_endpoint(name: str, file_format: str = "csv") -> str:
    """admin.export_completions (CSV), admin.export_completions_xlsx, admin.export_quiz_responses..."""
    return "export_" + name.replace("-", "_") + ("" if file_format == "csv" else f"_{file_format}")


def _export_view(name: str, file_format: str):
    """A view of its own per export and format, so each has a plain URL (e.g. /admin/exports/completions.xlsx)."""
    return lambda: _stream_export(name, file_format)


for _export in EXPORTS.values():
    for _format in FORMATS:
        bp.add_url_rule(f"/exports/{_export.name}.{_format}", endpoint=export_endpoint(_export.name, _format),
                        view_func=_export_view(_export.name, _format), methods=["POST"])


@bp.context_processor
def _export_endpoints() -> dict:
    return {"export_endpoint": export_endpoint}


# --- Audit trail --------------------------------------------------------------------------


@bp.route("/audit")
def audit():
    form = AuditFilterForm(formdata=request.args, actors=audit_actors(db.session))
    if not form.validate():
        return render_template("staff/admin/audit.html", form=form, page=None), 400
    page = paginate(db.session, audit_query(form.filters()), _page_number(), PER_PAGE)
    targets = target_labels(db.session, (entry for entry, _ in page.rows))
    return render_template("staff/admin/audit.html", form=form, page=page, query_args=_query_args(form),
                           targets=targets)


# --- Learning systems (LTI 1.3) -----------------------------------------------------------


def _render_lti(form: LtiPlatformForm, status: int = 200):
    return render_template("staff/admin/lti.html", form=form, platforms=all_platforms(db.session),
                           tool_values=tool_values(), outbox=outbox_rows(db.session, 50)), status


@bp.route("/lti")
def lti_platforms():
    return _render_lti(LtiPlatformForm(formdata=None))


@bp.route("/lti/platforms", methods=["POST"])
def register_lti_platform():
    form = LtiPlatformForm()
    if not form.validate_on_submit():
        return _render_lti(form, 422)
    try:
        platform, created = register_platform(db.session, form.data_for_registration())
    except RegistrationInvalid as invalid:
        db.session.rollback()
        for name, message in invalid.errors.items():
            getattr(form, name).errors = [*getattr(form, name).errors, message]
        return _render_lti(form, 422)
    record_audit(db.session, current_user, "lti_platform", target_type="lti_platform", target_id=platform.id,
                 details={"issuer": platform.issuer, "client_id": platform.client_id, "created": created,
                          "deployments": platform.deployment_ids, "via": VIA_WEB})
    db.session.commit()
    flash(f"{'Registered' if created else 'Updated'} {platform.name}.", "success")
    return redirect(url_for("admin.lti_platforms"), 303)


# --- Reporting to regulators --------------------------------------------------------------


def _regulator_or_404(regulator: str) -> str:
    if regulator not in REGULATORS:
        abort(404)
    return regulator


def _render_reporting(status: int = 200, *, error: str | None = None, batch_forms: dict | None = None):
    catalogue = current_catalogue()
    checks = {regulator: pre_validate(db.session, regulator, catalogue) for regulator in REGULATORS}
    failing = {failure.record_id for check in checks.values() for failure in check.failures}
    records = {record.id: (record, user) for record, user in db.session.execute(
        select(ReportRecord, User).join(User, User.id == ReportRecord.user_id).where(ReportRecord.id.in_(failing)))}
    return render_template(
        "staff/admin/reporting.html", summaries=summaries(db.session), checks=checks, records=records,
        at_risk=records_at_risk(db.session, calendar_day(now())), regulators=REGULATORS, error=error,
        queues={regulator: rejected_queue(db.session, regulator) for regulator in REGULATORS},
        batches={regulator: batches_of(db.session, regulator) for regulator in REGULATORS},
        batch_forms=batch_forms or {regulator: MakeBatchForm(formdata=None, prefix=regulator) for regulator in REGULATORS},
        confirm=ConfirmForm(formdata=None),
    ), status


@bp.route("/reporting")
def reporting():
    return _render_reporting()


@bp.route("/reporting/<regulator>/batches", methods=["POST"])
def make_report_batch(regulator: str):
    _regulator_or_404(regulator)
    form = MakeBatchForm(prefix=regulator)
    forms = {name: MakeBatchForm(formdata=None, prefix=name) for name in REGULATORS} | {regulator: form}
    if not form.validate_on_submit():
        return _render_reporting(422, batch_forms=forms)
    try:
        batch, result = make_batch(db.session, regulator, current_catalogue(), actor=current_user, via=VIA_WEB,
                                   now=now(), until=form.until.data)
    except ReportingError as error:
        db.session.rollback()
        return _render_reporting(error.status, error=error.message, batch_forms=forms)
    db.session.commit()
    flash(f"Batch {batch.id} is ready with {batch.record_count} record(s); "
          f"{len(result.failures)} record(s) wait for fixes. Download the file, upload it, then mark it uploaded.",
          "success")
    return redirect(url_for("admin.report_batch", batch_id=batch.id), code=303)


def _render_batch(batch: ReportBatch, status: int = 200, *, error: str | None = None,
                  result_form: ResultFileForm | None = None):
    rows = db.session.execute(
        select(ReportBatchItem, ReportRecord, User).join(ReportRecord, ReportRecord.id == ReportBatchItem.record_id)
        .join(User, User.id == ReportRecord.user_id).where(ReportBatchItem.batch_id == batch.id)
        .order_by(ReportBatchItem.id)).all()
    return render_template(
        "staff/admin/report_batch.html", batch=batch, rows=rows, regulators=REGULATORS, error=error,
        files=[(name, BATCH_FILES[name][1]) for name in files_for(batch.regulator)],
        confirm=ConfirmForm(formdata=None), result_form=result_form or ResultFileForm(formdata=None),
    ), status


@bp.route("/reporting/batches/<int:batch_id>")
def report_batch(batch_id: int):
    return _render_batch(db.get_or_404(ReportBatch, batch_id))


def _read_and_close(file, size: int = 64 * 1024):
    try:
        while chunk := file.read(size):
            yield chunk
    finally:
        file.close()


@bp.route("/reporting/batches/<int:batch_id>/files/<name>")
def report_batch_file(batch_id: int, name: str):
    batch = db.get_or_404(ReportBatch, batch_id)
    if name not in files_for(batch.regulator):
        abort(404)
    _regulator, _title, media_type, writer = BATCH_FILES[name]
    filename = f"batch-{batch.id}-{name}"
    if name.endswith(".txt"):
        response = Response(stream_with_context(writer(db.session, batch)), content_type=media_type)
    else:
        target = tempfile.TemporaryFile()  # the workbook is written to disk, then streamed from it
        writer(db.session, batch, target)
        target.seek(0)
        response = Response(_read_and_close(target), content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/reporting/batches/<int:batch_id>/result-file", methods=["POST"])
@accepts_files("result_file")
def report_result_file(batch_id: int):
    batch = db.get_or_404(ReportBatch, batch_id)
    form = ResultFileForm()
    if not form.validate_on_submit():
        return _render_batch(batch, 422, result_form=form)
    try:
        counts = apply_result_file(db.session, batch, form.result_file.data.read(), actor=current_user, via=VIA_WEB,
                                   now=now())
    except ReportingError as error:
        db.session.rollback()
        return _render_batch(db.get_or_404(ReportBatch, batch_id), error.status, error=error.message, result_form=form)
    db.session.commit()
    flash(f"Recorded {counts['accepted']} accepted and {counts['rejected']} rejected record(s).", "success")
    return redirect(url_for("admin.report_batch", batch_id=batch.id), code=303)


def _batch_step(batch_id: int, step, message: str):
    batch = db.get_or_404(ReportBatch, batch_id)  # the form has nothing but its CSRF token, checked by CSRFProtect
    try:
        step(db.session, batch, actor=current_user, via=VIA_WEB, now=now())
    except ReportingError as error:
        db.session.rollback()
        return _render_batch(db.get_or_404(ReportBatch, batch_id), error.status, error=error.message)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("admin.report_batch", batch_id=batch_id), code=303)


@bp.route("/reporting/batches/<int:batch_id>/accept-rest", methods=["POST"])
def report_accept_rest(batch_id: int):
    return _batch_step(batch_id, accept_remaining, "Every record still awaiting an answer is accepted.")


@bp.route("/reporting/batches/<int:batch_id>/submit", methods=["POST"])
def report_submit(batch_id: int):
    return _batch_step(batch_id, submit_batch, "Marked uploaded: record the regulator's answers when they come.")


def _render_record(record: ReportRecord, status: int = 200, *, error: str | None = None,
                   outcome_form: OutcomeForm | None = None):
    catalogue = current_catalogue()
    check = prepare_records(db.session, [record.id], catalogue)[record.id] if record.status in WAITING else None
    items = db.session.scalars(select(ReportBatchItem).where(ReportBatchItem.record_id == record.id)
                               .order_by(ReportBatchItem.id)).all()
    return render_template(
        "staff/admin/report_record.html", record=record, learner=db.session.get(User, record.user_id),
        certificate=db.session.get(Certificate, record.certificate_id), items=items, check=check,
        regulators=REGULATORS, error=error, outcome_form=outcome_form or OutcomeForm(formdata=None),
        confirm=ConfirmForm(formdata=None),
    ), status


@bp.route("/reporting/records/<int:record_id>")
def report_record(record_id: int):
    return _render_record(db.get_or_404(ReportRecord, record_id))


@bp.route("/reporting/records/<int:record_id>/outcome", methods=["POST"])
def report_record_outcome(record_id: int):
    record = db.get_or_404(ReportRecord, record_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _render_record(record, 422, outcome_form=form)
    try:
        record_outcome(db.session, record, form.outcome.data, reason=form.reason.data, actor=current_user,
                       via=VIA_WEB, now=now())
    except ReportingError as error:
        db.session.rollback()
        return _render_record(db.get_or_404(ReportRecord, record_id), error.status, error=error.message,
                              outcome_form=form)
    db.session.commit()
    flash(f"Record {record.id} {record.status}.", "success")
    return redirect(url_for("admin.report_batch", batch_id=record.batch_id), code=303)


@bp.route("/reporting/records/<int:record_id>/corrected", methods=["POST"])
def report_record_corrected(record_id: int):
    record = db.get_or_404(ReportRecord, record_id)  # the form has nothing but its CSRF token, checked by CSRFProtect
    try:
        mark_corrected(db.session, record, current_catalogue(), actor=current_user, via=VIA_WEB, now=now())
    except ReportingError as error:
        db.session.rollback()
        return _render_record(db.get_or_404(ReportRecord, record_id), error.status, error=error.message)
    db.session.commit()
    flash(f"Record {record.id} is corrected: the next batch sends it again.", "success")
    return redirect(url_for("admin.report_record", record_id=record.id), code=303)
