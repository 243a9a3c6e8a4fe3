"""Learner support for administrators, on the admin blueprint: correcting a learner's profile,
reinstating a certificate or correcting its amount, reading any certificate's PDF, extra quiz
attempts and resets, completions recorded by hand, deactivating and deleting accounts,
password-reset emails.

The rules live in the packages below (accounts.profiles); these views read the form, call them
and commit. The blueprint's own check (views.administrators_only) guards every route added here.
"""
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.http import dump_options_header

from accounts.audit import VIA_WEB, entries_about
from accounts.forms import profile_data, profile_defaults
from accounts.models import User
from accounts.profiles import PROFILE_FIELDS, ProfileEditRefused, edit_profile
from accounts.support import (
    AccountRefused, deactivate, delete_account, password_reset_message, reactivate, record_reset_sent,
)
from accounts.users import make_reset_token
from course.content.store import current_catalogue
from course.core.clock import now
from course.core.extensions import db
from course.core.mail import send_mail
from quizzes.attempts import QuizRefused
from quizzes.support import grant_extra_attempt, record_completion_by_hand, reset_attempts
from credits.corrections import correct_amount, profile_differences, reinstate
from credits.errors import CreditError
from credits.models import Certificate

from .support_forms import (
    AccountForm, AdminProfileForm, AmountForm, CompletionForm, DeleteAccountForm, PasswordResetForm,
    QuizAllowanceForm, ReinstateForm,
)
from .views import _courses_by_title, _render_certificate, _render_learner, bp


def _differing_certificates(user: User) -> list[tuple[Certificate, list]]:
    """The learner's valid certificates whose printed or reported details the profile now contradicts."""
    certificates = db.session.scalars(db.select(Certificate).where(
        Certificate.user_id == user.id, Certificate.status == "valid").order_by(Certificate.id))
    return [(certificate, differences) for certificate in certificates
            if (differences := profile_differences(certificate, user))]


def _render_profile_form(user: User, form: AdminProfileForm, status: int = 200):
    form.number_rows()
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


# --- Certificates -------------------------------------------------------------------------


@bp.route("/certificates/<int:certificate_id>/pdf")
def certificate_pdf(certificate_id: int):
    """The certificate's PDF as the learner downloads it, shown in the browser (?download=1: saved)."""
    certificate = db.get_or_404(Certificate, certificate_id)
    disposition = "attachment" if request.args.get("download") == "1" else "inline"
    filename = f"certificate-{certificate.course_slug}-{certificate.approval_id}-{certificate.id}.pdf"
    return Response(certificate.document.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": dump_options_header(disposition, {"filename": filename}),
        "Cache-Control": "private, no-store",
    })


@bp.route("/certificates/<int:certificate_id>/reinstate", methods=["POST"])
def reinstate_certificate(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = ReinstateForm()
    if not form.validate_on_submit():
        return _render_certificate(certificate, reinstate_form=form, status=422)
    try:
        reinstate(db.session, certificate, reason=form.reason.data, actor=current_user, via=VIA_WEB, now=now())
    except CreditError as error:
        db.session.rollback()
        return _render_certificate(db.get_or_404(Certificate, certificate_id), reinstate_form=form,
                                   error=error.message, status=error.status)
    db.session.commit()
    flash("The certificate is valid again under its own code; its verify page and the transcript say so.", "success")
    return redirect(url_for("admin.certificate", certificate_id=certificate.id), code=303)


@bp.route("/certificates/<int:certificate_id>/amount", methods=["POST"])
def correct_certificate_amount(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = AmountForm()
    if not form.validate_on_submit():
        return _render_certificate(certificate, amount_form=form, status=422)
    try:
        replacement = correct_amount(db.session, certificate, amount=form.amount.data, reason=form.reason.data,
                                     catalogue=current_catalogue(), actor=current_user, via=VIA_WEB, now=now())
    except CreditError as error:
        db.session.rollback()
        if error.field in form:
            form[error.field].errors = [error.message]
        return _render_certificate(db.get_or_404(Certificate, certificate_id), amount_form=form,
                                   error=error.message, status=error.status)
    db.session.commit()
    flash(f"Reissued for {form.amount.data.strip()} {replacement.unit} with a new code; "
          "the old code now shows as superseded.", "success")
    return redirect(url_for("admin.certificate", certificate_id=replacement.id), code=303)


# --- Quizzes and completions --------------------------------------------------------------


def _back_to(user: User, message: str):
    flash(message, "success")
    return redirect(url_for("admin.learner", user_id=user.id), code=303)


@bp.route("/learners/<int:user_id>/quiz-attempts", methods=["POST"])
def change_quiz_attempts(user_id: int):
    user = db.get_or_404(User, user_id)
    courses = _courses_by_title()
    form = QuizAllowanceForm(courses=courses)
    if not form.validate_on_submit():
        return _render_learner(user, status=422, quiz_form=form)
    slug, _, objective_id = form.objective.data.partition("/")
    course = current_catalogue().courses[slug]
    change = grant_extra_attempt if form.change.data == "extra" else reset_attempts
    try:
        change(db.session, user=user, course=course, objective_id=objective_id, reason=form.reason.data,
               actor=current_user, via=VIA_WEB, now=now())
    except QuizRefused as error:
        db.session.rollback()
        form.objective.errors = [error.message]
        return _render_learner(db.get_or_404(User, user_id), status=error.status, quiz_form=form)
    db.session.commit()
    if form.change.data == "extra":
        return _back_to(user, f"{user.name} may take one more attempt at that quiz.")
    return _back_to(user, f"{user.name}'s earlier attempts at that quiz no longer count; they start afresh.")


@bp.route("/learners/<int:user_id>/completion", methods=["POST"])
def record_completion(user_id: int):
    user = db.get_or_404(User, user_id)
    form = CompletionForm(courses=_courses_by_title())
    if not form.validate_on_submit():
        return _render_learner(user, status=422, completion_form=form)
    course = current_catalogue().courses[form.course.data]
    try:
        record_completion_by_hand(db.session, user=user, course=course, completed_on=form.completed_on.data,
                                  reason=form.reason.data, actor=current_user, via=VIA_WEB, now=now())
    except QuizRefused as error:
        db.session.rollback()
        form.completed_on.errors = [error.message]
        return _render_learner(db.get_or_404(User, user_id), status=error.status, completion_form=form)
    db.session.commit()
    return _back_to(user, f"{course.title} is recorded as completed on {form.completed_on.data.isoformat()}; "
                          f"{user.name} can now fill in the evaluation and claim credit.")


# --- Accounts -----------------------------------------------------------------------------


def _account_step(user_id: int, step, message: str):
    user = db.get_or_404(User, user_id)
    form = AccountForm()
    if not form.validate_on_submit():
        return _render_learner(user, status=422, account_form=form)
    try:
        step(db.session, actor=current_user, user=user, reason=form.reason.data, via=VIA_WEB, now=now())
    except AccountRefused as error:
        db.session.rollback()
        form.reason.errors = [error.message]
        return _render_learner(db.get_or_404(User, user_id), status=error.status, account_form=form)
    db.session.commit()
    return _back_to(user, message.format(name=user.name))


@bp.route("/learners/<int:user_id>/deactivate", methods=["POST"])
def deactivate_account(user_id: int):
    return _account_step(user_id, deactivate, "{name}'s account is deactivated: it is signed out and cannot sign in.")


@bp.route("/learners/<int:user_id>/reactivate", methods=["POST"])
def reactivate_account(user_id: int):
    return _account_step(user_id, reactivate, "{name}'s account is active again.")


@bp.route("/learners/<int:user_id>/delete", methods=["POST"])
def delete_learner_account(user_id: int):
    user = db.get_or_404(User, user_id)
    form = DeleteAccountForm(email=user.email)
    if not form.validate_on_submit():
        return _render_learner(user, status=422, delete_form=form)
    try:
        delete_account(db.session, actor=current_user, user=user, reason=form.reason.data, via=VIA_WEB, now=now())
    except AccountRefused as error:
        db.session.rollback()
        form.confirm_email.errors = [error.message]
        return _render_learner(db.get_or_404(User, user_id), status=error.status, delete_form=form)
    db.session.commit()
    return _back_to(user, "The account is deleted: its personal data is erased and its certificates stay verifiable.")


@bp.route("/learners/<int:user_id>/password-reset", methods=["POST"])
def send_password_reset(user_id: int):
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _render_learner(user, status=422, reset_form=form)
    try:
        record_reset_sent(db.session, actor=current_user, user=user, via=VIA_WEB, now=now())
    except AccountRefused as error:
        db.session.rollback()
        form.submit.errors = [error.message]
        return _render_learner(user, status=error.status, reset_form=form)
    db.session.commit()
    token = make_reset_token(user, current_app.config["SECRET_KEY"])
    send_mail(user.email, *password_reset_message(url_for("accounts.reset_password", token=token, _external=True)))
    return _back_to(user, f"A password-reset link is on its way to {user.email}; it works for an hour, once.")
