"""LTI pages: OIDC login (/lti/login), launch (/lti/launch), the tool's JWKS (/lti/jwks), deep linking."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, session, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from pylti1p3.contrib.flask import FlaskRequest
from wtforms import RadioField, SubmitField
from wtforms.validators import DataRequired

from accounts.sessions import start_session
from course.content.store import current_catalogue
from course.core.clock import now
from course.core.extensions import csrf, db, limiter

from .accounts import LaunchedPerson, needs_profile, sign_in_person
from .deep_linking import placeables, response_jwt
from .frames import SESSION_KEY, lti_session, mark_lti_session
from .keys import KeyNotConfigured, public_jwks
from .launch import DEEP_LINKING_REQUEST, CookiesBlocked, Launch, LaunchRefused, validate_launch
from .login import new_window_url, start_login
from .models import LtiPlatform
from .platforms import all_platforms, url_problem
from .scores import TimeoutSession, record_grade_target

bp = Blueprint("lti", __name__, url_prefix="/lti")
DEEP_LINK_KEY = "lti_deep_link"


def _framed_by_any_platform() -> None:
    """Login and launch answer inside a platform's iframe before we know which platform it is."""
    g.frame_ancestors = tuple(sorted({o for p in all_platforms(db.session) for o in p.frame_origins}))


def _refused(message: str, status: int):
    db.session.rollback()
    _framed_by_any_platform()
    return render_template("lti/refused.html", message=message), status


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit("60 per minute")
def login():
    session[SESSION_KEY] = {**(session.get(SESSION_KEY) or {}), "login": True}
    try:
        response = start_login(FlaskRequest(), db.session, current_app.config,
                               launch_url=url_for("lti.launch", _external=True),
                               base_url=current_app.config["BASE_URL"], now=now())
    except LaunchRefused as refusal:
        return _refused(refusal.message, refusal.status)
    except KeyNotConfigured as error:
        return _refused(str(error), 503)
    db.session.commit()
    return response


def _person(launch: Launch) -> LaunchedPerson:
    claims = launch.claims
    return LaunchedPerson(
        issuer=claims["iss"], subject=str(claims["sub"]), given_name=str(claims.get("given_name") or "")[:100],
        family_name=str(claims.get("family_name") or "")[:100], name=str(claims.get("name") or "")[:200],
        email=claims.get("email"), roles=launch.roles)


def _destination(launch: Launch) -> tuple[str, str | None]:
    """(path to open, course slug) from the link's target on this site, or its `course` custom parameter."""
    courses = current_catalogue().courses
    target = urlsplit(launch.target_link_uri)
    base = urlsplit(current_app.config["BASE_URL"])
    parts = target.path.strip("/").split("/")
    if (target.scheme, target.netloc) == (base.scheme, base.netloc) and len(parts) >= 2 and parts[0] == "courses" \
            and parts[1] in courses:
        course = courses[parts[1]]
        if len(parts) == 4 and parts[2] == "modules" and course.module(parts[3]):
            return f"/courses/{course.slug}/modules/{parts[3]}", course.slug
        return f"/courses/{course.slug}", course.slug
    slug = launch.custom.get("course")
    if slug in courses:
        return f"/courses/{slug}", slug
    return url_for("pages.index"), None


@bp.route("/launch", methods=["POST"])
@csrf.exempt
@limiter.limit("60 per minute")
def launch():
    moment = now()
    try:
        launch = validate_launch(FlaskRequest(), db.session, current_app.config, moment, TimeoutSession())
    except CookiesBlocked as blocked:
        db.session.rollback()
        _framed_by_any_platform()
        url = new_window_url(db.session, blocked.state, url_for("lti.login", _external=True), moment)
        return render_template("lti/new_window.html", url=url), 200 if url else 400
    except LaunchRefused as refusal:
        return _refused(refusal.message, refusal.status)
    except KeyNotConfigured as error:
        return _refused(str(error), 503)
    signed_in = sign_in_person(db.session, _person(launch), moment)
    user, platform = signed_in.user, launch.platform
    deep_linking = launch.message_type == DEEP_LINKING_REQUEST
    if deep_linking and not user.is_instructor:
        return _refused("Only an instructor in the learning system can place this course in it.", 403)
    path, course_slug = _destination(launch)
    if course_slug and launch.score_lineitem:
        lineitem, scopes = launch.score_lineitem
        record_grade_target(db.session, platform=platform, user_id=user.id, course_slug=course_slug,
                            subject=str(launch.claims["sub"]), lineitem_url=lineitem, scopes=scopes, now=moment)
    db.session.commit()
    start_session(user)
    mark_lti_session(platform.id, platform.frame_origins)
    g.frame_ancestors = tuple(platform.frame_origins)
    if deep_linking:
        session[DEEP_LINK_KEY] = {"platform_id": platform.id, "deployment_id": launch.deployment_id,
                                  "settings": launch.deep_linking_settings}
        return redirect(url_for("lti.deep_link"), 303)
    if signed_in.created or needs_profile(user):
        flash("Welcome. Before you start, complete your profile: your name as it goes on certificates, your "
              "profession and your licences decide the credit you may claim.", "info")
        return redirect(url_for("accounts.profile", next=path), 303)
    return redirect(path, 303)


@bp.route("/jwks")
def jwks():
    try:
        return jsonify(public_jwks(current_app.config))
    except KeyNotConfigured as error:
        abort(503, str(error))


class DeepLinkForm(FlaskForm):
    item = RadioField("What to place in your course", validators=[DataRequired("Choose a course or a module.")])
    submit = SubmitField("Place it in the learning system")


def _deep_link_request() -> tuple[dict, LtiPlatform]:
    pending = session.get(DEEP_LINK_KEY)
    platform = db.session.get(LtiPlatform, pending["platform_id"]) if pending else None
    if platform is None or not (lti_session() or {}).get("platform_id") == platform.id:
        abort(400, "There is no deep linking request from a learning system in this session. "
                   "Start again from the learning system's “add content” page.")
    return pending, platform


@bp.route("/deep-link", methods=["GET", "POST"])
@login_required
def deep_link():
    pending, platform = _deep_link_request()
    if not current_user.is_instructor:
        abort(403)
    items = {item.key: item for item in placeables(current_catalogue())}
    form = DeepLinkForm()
    form.item.choices = [(key, item.title) for key, item in items.items()]
    if form.validate_on_submit():
        token = response_jwt(platform, current_app.config, deployment_id=pending["deployment_id"],
                             settings=pending["settings"], item=items[form.item.data],
                             base_url=current_app.config["BASE_URL"])
        return_url = pending["settings"].get("deep_link_return_url", "")
        if url_problem(return_url):
            abort(400, "The learning system gave no https:// address to return the chosen item to.")
        session.pop(DEEP_LINK_KEY, None)
        parts = urlsplit(return_url)
        g.form_action = (f"{parts.scheme}://{parts.netloc}",)
        return render_template("lti/deep_link_return.html", return_url=return_url, token=token)
    return render_template("lti/deep_link.html", form=form, platform=platform), 422 if form.is_submitted() else 200
