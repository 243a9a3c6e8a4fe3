"""Register, sign in, sign out, passwords and the profile page."""
from types import SimpleNamespace

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from course.core.extensions import db, limiter
from course.core.mail import send_mail

from .forms import ChangePasswordForm, ForgotPasswordForm, ProfileForm, RegisterForm, ResetPasswordForm, SignInForm
from .models import User
from .sessions import account_of, enforce_session_timeouts, start_session
from .users import (
    EmailTaken, ProfileData, WrongPassword, authenticate, change_password, end_all_sessions, find_user_by_email,
    is_safe_redirect, make_reset_token, register_user, set_password, update_profile, user_for_reset_token,
)

bp = Blueprint("accounts", __name__)
bp.before_app_request(enforce_session_timeouts)


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["PASSWORD_RESET_RATE_LIMIT"]


def _next_url() -> str:
    target = request.args.get("next")
    return target if is_safe_redirect(target) else url_for("pages.index")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = register_user(db.session, name=form.full_name, first_name=form.first_name.data,
                                 last_name=form.last_name.data, email=form.email.data, password=form.password.data)
        except EmailTaken:
            form.email.errors.append("An account with this email already exists. Sign in instead.")
            status = 409
        else:
            db.session.commit()
            start_session(user)
            flash("Welcome! Your account is ready. Add your profession and licences to see the credit you can claim.", "success")
            return redirect(url_for("accounts.profile"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/register.html", form=form), status


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            start_session(user, remember=form.remember.data)
            return redirect(_next_url())
        form.password.errors.append("That email and password do not match an account.")
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("accounts/sign_in.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """Signing out here signs out everywhere: every session of this user is invalidated."""
    if current_user.is_authenticated:
        end_all_sessions(db.session, account_of(db.session, current_user))
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("pages.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password_page():
    user = account_of(db.session, current_user)
    form = ChangePasswordForm(email=user.email, name=user.name)
    status = 200
    if form.validate_on_submit():
        try:
            change_password(db.session, user, form.current_password.data, form.new_password.data)
        except WrongPassword:
            form.current_password.errors.append("That is not your current password.")
            status = 422
        else:
            db.session.commit()
            start_session(user, remember=bool(session.get("remember")))
            flash("Your password is changed. Every other session has been signed out.", "success")
            return redirect(url_for("accounts.profile"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/change_password.html", form=form), status


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = find_user_by_email(db.session, form.email.data)
        if user is not None:
            token = make_reset_token(user, current_app.config["SECRET_KEY"])
            link = url_for("accounts.reset_password", token=token, _external=True)
            send_mail(user.email, "Reset your password",
                      f"Use this link within an hour to choose a new password:\n\n{link}\n\n"
                      "If you did not ask for this, ignore this message; your password is unchanged.")
        flash("If an account uses that address, we have sent it a link to reset the password.", "info")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/forgot_password.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    user = user_for_reset_token(
        db.session, token, current_app.config["SECRET_KEY"], current_app.config["PASSWORD_RESET_MAX_AGE"]
    )
    if user is None:
        return render_template("error.html", code=400, message=(
            "This password reset link is invalid, has expired or was already used. Ask for a new one."
        )), 400
    form = ResetPasswordForm(email=user.email, name=user.name)
    if form.validate_on_submit():
        set_password(db.session, user, form.new_password.data)
        db.session.commit()
        start_session(user)
        flash("Your password is changed and you are signed in.", "success")
        return redirect(url_for("pages.index"))
    return render_template("accounts/reset_password.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = account_of(db.session, current_user)
    form = ProfileForm(obj=None if request.method == "POST" else _profile_defaults(user))
    status = 200
    if form.add_licence.data:
        form.licences.append_entry()
    elif form.add_board.data:
        form.board_ids.append_entry()
    elif form.validate_on_submit():
        update_profile(db.session, user, _profile_data(form))
        db.session.commit()
        flash("Your profile is saved.", "success")
        return redirect(url_for("accounts.profile"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/profile.html", form=form), status


def _profile_defaults(user: User) -> SimpleNamespace:
    """The profile as it is now, for WTForms' `obj=`, with one blank row to add to each list."""
    return SimpleNamespace(
        name=user.name,
        first_name=user.first_name,
        last_name=user.last_name,
        profession=user.profession or "",
        licences=[SimpleNamespace(state=lic.state, number=lic.number) for lic in user.licences]
        + [SimpleNamespace(state="", number="")],
        board_ids=[SimpleNamespace(board=b.board, number=b.number) for b in user.board_ids]
        + [SimpleNamespace(board="", number="")],
        birth_month=user.birth_month,
        birth_day=user.birth_day,
        nabp_eprofile_id=user.nabp_eprofile_id,
    )


def _profile_data(form: ProfileForm) -> ProfileData:
    return ProfileData(
        name=form.name.data,
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        profession=form.profession.data,
        licences=[(e.state.data, e.number.data) for e in form.licences.entries if e.state.data],
        board_ids=[(e.board.data, e.number.data) for e in form.board_ids.entries if e.board.data],
        birth_month=form.birth_month.data,
        birth_day=form.birth_day.data,
        nabp_eprofile_id=(form.nabp_eprofile_id.data or "").strip() or None,
    )
