"""Register, sign in, sign out and the profile page."""
from types import SimpleNamespace

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .accounts import EmailTaken, ProfileData, authenticate, is_safe_redirect, register_user, update_profile
from .extensions import db, limiter, login_manager
from .forms import ProfileForm, RegisterForm, SignInForm
from .models import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def _sign_in_limit() -> str:
    return current_app.config["SIGN_IN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _next_url() -> str:
    target = request.args.get("next")
    return target if is_safe_redirect(target) else url_for("course.index")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("course.index"))
    form = RegisterForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = register_user(db.session, name=form.name.data, email=form.email.data, password=form.password.data)
        except EmailTaken:
            form.email.errors.append("An account with this email already exists. Sign in instead.")
            status = 409
        else:
            db.session.commit()
            login_user(user)
            flash("Welcome! Your account is ready. Add your profession and licences to see the credit you can claim.", "success")
            return redirect(url_for("auth.profile"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/register.html", form=form), status


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
            login_user(user, remember=form.remember.data)
            return redirect(_next_url())
        form.password.errors.append("That email and password do not match an account.")
        status = 401
    elif form.is_submitted():
        status = 422
    return render_template("auth/sign_in.html", form=form), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("course.index"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=None if request.method == "POST" else _profile_defaults(current_user))
    status = 200
    if form.add_licence.data:
        form.licences.append_entry()
    elif form.add_board.data:
        form.board_ids.append_entry()
    elif form.validate_on_submit():
        update_profile(db.session, current_user, _profile_data(form))
        db.session.commit()
        flash("Your profile is saved.", "success")
        return redirect(url_for("auth.profile"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/profile.html", form=form), status


def _profile_defaults(user: User) -> SimpleNamespace:
    """The profile as it is now, for WTForms' `obj=`, with one blank row to add to each list."""
    return SimpleNamespace(
        name=user.name,
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
        profession=form.profession.data,
        licences=[(e.state.data, e.number.data) for e in form.licences.entries if e.state.data],
        board_ids=[(e.board.data, e.number.data) for e in form.board_ids.entries if e.board.data],
        birth_month=form.birth_month.data,
        birth_day=form.birth_day.data,
        nabp_eprofile_id=(form.nabp_eprofile_id.data or "").strip() or None,
    )
