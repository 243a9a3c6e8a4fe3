"""Register, sign in, sign out, passwords and the profile page."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from course.core.extensions import db, limiter
from course.core.mail import send_mail

from . import throttle
from .forms import (
    ChangePasswordForm, ForgotPasswordForm, ProfileForm, RegisterForm, ResetPasswordForm, SignInForm, profile_data,
    profile_defaults,
)
from .profiles import update_own_profile
from .sessions import account_of, enforce_session_timeouts, start_session
from .support import password_reset_message
from .users import (
    EmailTaken, ResetTokenUsed, WrongPassword, authenticate, change_password, end_all_sessions,
    find_user_by_email, is_safe_redirect, make_reset_token, register_user, reset_password_once,
    user_for_reset_token,
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


def _change_password_limit() -> str:
    return current_app.config["CHANGE_PASSWORD_RATE_LIMIT"]


def _signed_in_user_key() -> str:
    return f"user/{current_user.id}" if current_user.is_authenticated else request.remote_addr or ""


def _paused_message(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return (f"Too many wrong passwords for this account. Wait {minutes} minute{'s' if minutes > 1 else ''} "
            "and try again, or reset your password.")


def _device_key(email: str) -> str:
    device = throttle.known_device(request.cookies.get(current_app.config["KNOWN_DEVICE_COOKIE_NAME"]), email,
                                   current_app.config["SECRET_KEY"])
    return throttle.throttle_key(email, device)


def _wrong_password(email: str, key: str) -> None:
    """Count the guess; when it pauses the account, tell its owner (at most hourly)."""
    if not throttle.record_wrong_password(key) or "/device/" in key:
        return
    user = find_user_by_email(db.session, email)
    if user is not None and throttle.should_warn_owner(user.email):
        send_mail(user.email, "Wrong passwords were tried on your account",
                  "Several wrong passwords were just tried for your account, so signing in to it is paused for a "
                  "few minutes. On a device you have signed in from before you can still sign in.\n\n"
                  "If this was not you, your password has not been changed; consider choosing a new one at "
                  f"{url_for('accounts.forgot_password', _external=True)}")


def _remember_device(response, email: str):
    config = current_app.config
    response.set_cookie(config["KNOWN_DEVICE_COOKIE_NAME"], throttle.new_known_device(email, config["SECRET_KEY"]),
                        max_age=throttle.KNOWN_DEVICE_DAYS * 86400, path="/", secure=config["SESSION_COOKIE_SECURE"],
                        httponly=True, samesite="Lax")
    return response


def _next_url() -> str:
    target = request.args.get("next")
    return target if is_safe_redirect(target) else url_for("pages.index")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    """One answer whether or not the email has an account: a redirect to "check your email".

    A new account is made and its owner told it is ready; an existing one's owner is told that
    someone tried to register with the address. Both spend the time of hashing the password.
    """
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        sign_in_link = url_for("accounts.sign_in", _external=True)
        try:
            user = register_user(db.session, name=form.full_name, first_name=form.first_name.data,
                                 last_name=form.last_name.data, email=form.email.data, password=form.password.data)
        except EmailTaken as taken:
            db.session.rollback()
            send_mail(str(taken), "Someone tried to create an account with your email",
                      "Someone, perhaps you, tried to create a new account with this email address, which already "
                      f"has one. To use it, sign in at {sign_in_link}\n\nIf you have forgotten the password, choose "
                      f"a new one at {url_for('accounts.forgot_password', _external=True)}\n\n"
                      "If it was not you, you need do nothing: your account is unchanged.")
        else:
            db.session.commit()
            send_mail(user.email, "Your account is ready",
                      f"Welcome! Your account is ready. Sign in at {sign_in_link}\n\n"
                      "If you did not create this account, ignore this message.")
        return redirect(url_for("accounts.registered"))
    return render_template("accounts/register.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/register/check-your-email")
def registered():
    return render_template("accounts/registered.html")


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        key = _device_key(form.email.data)
        wait = throttle.seconds_to_wait(key)
        if wait:
            form.password.errors.append(_paused_message(wait))
            return render_template("accounts/sign_in.html", form=form), 429, {"Retry-After": str(wait)}
        user = authenticate(db.session, form.email.data, form.password.data)
        if user is not None and not user.is_active:
            form.password.errors.append(DEACTIVATED_MESSAGE)
            status = 403
        elif user is not None:
            throttle.clear(key)
            db.session.commit()
            start_session(user, remember=form.remember.data)
            return _remember_device(redirect(_next_url()), user.email)
        else:
            _wrong_password(form.email.data, key)
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
@limiter.limit(_change_password_limit, methods=["POST"], key_func=_signed_in_user_key)
def change_password_page():
    user = account_of(db.session, current_user)
    form = ChangePasswordForm(email=user.email, name=user.name)
    status = 200
    if form.validate_on_submit():
        key = _device_key(user.email)
        wait = throttle.seconds_to_wait(key)
        if wait:
            form.current_password.errors.append(_paused_message(wait))
            return render_template("accounts/change_password.html", form=form), 429, {"Retry-After": str(wait)}
        try:
            change_password(db.session, user, form.current_password.data, form.new_password.data)
        except WrongPassword:
            _wrong_password(user.email, key)
            form.current_password.errors.append("That is not your current password.")
            status = 422
        else:
            throttle.clear(key)
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
        try:
            reset_password_once(db.session, user, form.new_password.data)
        except ResetTokenUsed:
            db.session.rollback()
            return render_template("error.html", code=409, message=(
                "This password reset link was used a moment ago, so it no longer works. Sign in with the new "
                "password, or ask for a new link."
            )), 409
        db.session.commit()
        start_session(user)
        flash("Your password is changed and you are signed in.", "success")
        return redirect(url_for("pages.index"))
    return render_template("accounts/reset_password.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = account_of(db.session, current_user)
    form = ProfileForm(obj=None if request.method == "POST" else profile_defaults(user))
    status = 200
    if form.add_licence.data:
        if not form.licences.add_row():
            form.licences.errors = [f"You can list at most {form.licences.max_entries} licences."]
            status = 422
    elif form.add_board.data:
        if not form.board_ids.add_row():
            form.board_ids.errors = [f"Each board can be listed once: all {form.board_ids.max_entries} are listed."]
            status = 422
    elif form.validate_on_submit():
        update_own_profile(db.session, user, profile_data(form))
        db.session.commit()
        flash("Your profile is saved.", "success")
        return redirect(_next_url() if request.args.get("next") else url_for("accounts.profile"))
    elif form.is_submitted():
        status = 422
    form.number_rows()
    return render_template("accounts/profile.html", form=form), status
