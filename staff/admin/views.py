"""Administrators' pages: dashboard, learners, roles, certificates, completion report, exports, audit trail.

Every route here is for administrators only; the check runs before every request to the
blueprint, so a route added later cannot be left open.
"""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from accounts.audit import ACTIONS, VIA_WEB, audit_actors, audit_query, entries_about, record_audit
from accounts.models import User
from accounts.users import RoleChangeRefused, change_role
from course.content.store import current_catalogue
from course.core.clock import now
from course.core.extensions import db
from course.core.filters import calendar_day
from course.core.pagination import paginate
from course.core.roles import role_required
from credits import administration
from credits.errors import CreditError
from credits.models import Certificate
from reports.exports import EXPORTS, completion_totals, completions_query, status_counts

from .charts import grouped_bar_chart
from .dashboard import evaluation_summaries, last_months, month_label, monthly_activity, pass_rates
from .forms import AuditFilterForm, LearnerSearchForm, ReissueForm, ReportFilterForm, RevokeForm, RoleForm
from .learners import learner_record, learner_search_query

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
    )


# --- Learners and roles -------------------------------------------------------------------


@bp.route("/learners")
def learners():
    form = LearnerSearchForm(formdata=request.args)
    if not form.validate():
        return render_template("staff/admin/learners.html", form=form, page=None, query_args={}), 400
    page = paginate(db.session, learner_search_query(form.q.data or ""), _page_number(), PER_PAGE)
    return render_template("staff/admin/learners.html", form=form, page=page, query_args=_query_args(form))


def _render_learner(user: User, role_form: RoleForm | None = None, status: int = 200):
    return render_template(
        "staff/admin/learner.html", record=learner_record(db.session, user, _courses_by_title()),
        role_form=role_form or RoleForm(formdata=None, role=user.role), is_self=user.id == current_user.id,
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
                        error: str | None = None, status: int = 200):
    chain = administration.reissue_chain(certificate)
    return render_template(
        "staff/admin/certificate.html", certificate=certificate, learner=db.session.get(User, certificate.user_id),
        chain=chain, audit_entries=entries_about(db.session, "certificate", [c.id for c in chain]),
        revoke_form=revoke_form or RevokeForm(formdata=None), reissue_form=ReissueForm(formdata=None), error=error,
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
    try:
        replacement = administration.reissue(db.session, certificate, actor=current_user, via=VIA_WEB, now=now())
    except CreditError as error:
        return _render_certificate(certificate, error=error.message, status=error.status)
    db.session.commit()
    flash(f"Reissued to {replacement.learner_name} with a new code; the old code now shows as superseded.", "success")
    return redirect(url_for("admin.certificate", certificate_id=replacement.id), code=303)


# --- Completion report and exports --------------------------------------------------------


@bp.route("/completions")
def completions():
    form = ReportFilterForm(formdata=request.args, catalogue=current_catalogue())
    if not form.validate():
        return render_template("staff/admin/completions.html", form=form, page=None, exports=EXPORTS.values()), 400
    filters = form.filters()
    return render_template(
        "staff/admin/completions.html", form=form, exports=EXPORTS.values(), query_args=_query_args(form),
        page=paginate(db.session, completions_query(filters), _page_number(), PER_PAGE),
        totals=completion_totals(db.session, filters), statuses=status_counts(db.session, filters),
    )


def _stream_export(name: str):
    """Stream one export as a download, after recording it (with its filters) in the audit trail.

    A POST, since it writes the audit entry. The entry is committed before the first line is
    sent; the lines are read in a transaction of their own, which on SQLite only reads.
    """
    content = current_catalogue()
    form = ReportFilterForm(formdata=request.args, catalogue=content)
    if not form.validate():
        abort(400)
    chosen = EXPORTS[name]
    filters = form.filters()
    record_audit(db.session, current_user, "export", target_type="report", target_id=name,
                 details={"filters": filters.as_details(), "via": VIA_WEB})
    db.session.commit()
    response = Response(stream_with_context(chosen.write(db.session, filters, content)), content_type=chosen.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{chosen.filename(calendar_day(now()))}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _export_view(name: str):
    """A view of its own per export, so each has a plain URL with no arguments (e.g. /admin/exports/pars.tsv)."""
    return lambda: _stream_export(name)


for _export in EXPORTS.values():  # admin.export_completions, admin.export_pars, admin.export_evaluations
    bp.add_url_rule(f"/exports/{_export.name}.{_export.extension}", endpoint=f"export_{_export.name}",
                    view_func=_export_view(_export.name), methods=["POST"])


# --- Audit trail --------------------------------------------------------------------------


@bp.route("/audit")
def audit():
    form = AuditFilterForm(formdata=request.args, actors=audit_actors(db.session))
    if not form.validate():
        return render_template("staff/admin/audit.html", form=form, page=None), 400
    page = paginate(db.session, audit_query(form.filters()), _page_number(), PER_PAGE)
    return render_template("staff/admin/audit.html", form=form, page=page, query_args=_query_args(form))
