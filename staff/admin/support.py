"""Learner support for administrators, on the admin blueprint: correcting a learner's profile.

The rules live in the packages below (accounts.profiles); these views read the form, call them
and commit. The blueprint's own check (views.administrators_only) guards every route added here.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from accounts.audit import VIA_WEB, entries_about
from accounts.forms import profile_data, profile_defaults
from accounts.models import User
from accounts.profiles import PROFILE_FIELDS, ProfileEditRefused, edit_profile
from course.core.extensions import db
from credits.corrections import profile_differences
from credits.models import Certificate

from .support_forms import AdminProfileForm
from .views import bp


def _differing_certificates(user: User) -> list[tuple[Certificate, list]]:
    """The learner's valid certificates whose printed or reported details the profile now contradicts."""
    certificates = db.session.scalars(db.select(Certificate).where(
        Certificate.user_id == user.id, Certificate.status == "valid").order_by(Certificate.id))
    return [(certificate, differences) for certificate in certificates
            if (differences := profile_differences(certificate, user))]


def _render_profile_form(user: User, form: AdminProfileForm, status: int = 200):
    return render_template(
        "staff/admin/edit_profile.html", user=user, form=form, fields=PROFILE_FIELDS,
        history=[entry for entry in entries_about(db.session, "user", [user.id])
                 if entry.action in ("profile_edit", "name_change")],
    ), status


@bp.route("/learners/<int:user_id>/profile", methods=["GET", "POST"])
def edit_learner_profile(user_id: int):
    user = db.get_or_404(User, user_id)
    form = AdminProfileForm(obj=None if request.method == "POST" else profile_defaults(user))
    if form.add_licence.data:
        form.licences.append_entry()
        return _render_profile_form(user, form)
    if form.add_board.data:
        form.board_ids.append_entry()
        return _render_profile_form(user, form)
    if not form.validate_on_submit():
        return _render_profile_form(user, form, 422 if form.is_submitted() else 200)
    try:
        changes = edit_profile(db.session, actor=current_user, user=user, data=profile_data(form),
                               reason=form.reason.data, via=VIA_WEB)
    except ProfileEditRefused as error:
        form.reason.errors = [error.message]
        return _render_profile_form(user, form, error.status)
    db.session.commit()
    if not changes:
        flash("Nothing in the profile changed, so nothing was recorded.", "info")
    else:
        fields = ", ".join(PROFILE_FIELDS[field].lower() for field in changes)
        flash(f"{user.name}'s profile is corrected ({fields}).", "success")
        if _differing_certificates(user):
            flash("Some certificates now differ from the profile: reissue them from the list below.", "info")
    return redirect(url_for("admin.learner", user_id=user.id), code=303)
