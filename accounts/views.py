"""Register, sign in, sign out, passwords and the profile page."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from course.core.extensions import db, limiter
from course.core.mail import send_mail

from .forms import (
    ChangePasswordForm, ForgotPasswordForm, ProfileForm, RegisterForm, ResetPasswordForm, SignInForm, profile_data,
    profile_defaults,
)
from .profiles import update_own_profile
from .sessions import enforce_session_timeouts, start_session
from .support import password_reset_message
from .users import (
    EmailTaken, WrongPassword, authenticate, change_password, end_all_sessions, find_user_by_email,
    is_safe_redirect, make_reset_token, register_user, set_password, user_for_reset_token,
)

bp = Blueprint("accounts", __name__)
DEACTIVATED_MESSAGE = "This account is deactivated. Contact the course provider to have it reactivated."
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
        if user is not None and not user.is_active:
            form.password.errors.append(DEACTIVATED_MESSAGE)
            status = 403
        elif user is not None:
            db.session.commit()
            start_session(user, remember=form.remember.data)
            return redirect(_next_url())
        else:
            form.password.errors.append("That email and password do not match an account.")
            status = 401
    elif form.is_submitted():
        status = 422
    return render_template("accounts/sign_in.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    """Signing out here signs out everywhere: every session of this user is invalidated."""
    if current_user.is_authenticated:
        end_all_sessions(db.session, current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("pages.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password_page():
    form = ChangePasswordForm(email=current_user.email, name=current_user.name)
    status = 200
    if form.validate_on_submit():
        user = current_user._get_current_object()  # the proxy must not outlive the session it reads
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
        if user is not None and user.is_active:
            token = make_reset_token(user, current_app.config["SECRET_KEY"])
            link = url_for("accounts.reset_password", token=token, _external=True)
            send_mail(user.email, *password_reset_message(link))
        flash("If an account uses that address, we have sent it a link to reset the password.", "info")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/forgot_password.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    user = user_for_reset_token(
        db.session, token, current_app.config["SECRET_KEY"], current_app.config["PASSWORD_RESET_MAX_AGE"]
    )
    if user is None or not user.is_active:
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
    form = ProfileForm(obj=None if request.method == "POST" else profile_defaults(current_user))
    status = 200
    if form.add_licence.data:
        form.licences.append_entry()
    elif form.add_board.data:
        form.board_ids.append_entry()
    elif form.validate_on_submit():
        update_own_profile(db.session, current_user, profile_data(form))
        db.session.commit()
        flash("Your profile is saved.", "success")
        return redirect(url_for("accounts.profile"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/profile.html", form=form), status
