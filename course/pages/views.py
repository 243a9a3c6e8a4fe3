"""Learner pages: the catalogue, a course, its modules and its references."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from accounts.sessions import account_of
from course.content.store import course_or_404, current_catalogue
from course.core.database import reads
from course.core.extensions import db
from credits.claims import claim_options
from quizzes.attempts import objective_statuses
from quizzes.reading import course_progress, module_was_read, modules_read, record_module_read

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    courses = sorted(current_catalogue().courses.values(), key=lambda c: c.title)
    return render_template("pages/index.html", courses=courses)


@bp.route("/courses/<slug>")
def course_page(slug: str):
    course = course_or_404(slug)
    progress = objectives = credit = None
    if current_user.is_authenticated:
        read = modules_read(reads(), current_user.id, slug)
        progress = course_progress(course, read)
        objectives = objective_statuses(reads(), current_user.id, course, read)
        credit = claim_options(reads(), account_of(reads(), current_user), course, current_catalogue().provider)
    return render_template(
        "pages/course.html", course=course, provider=current_catalogue().provider, progress=progress,
        objectives=objectives, credit=credit,
    )


@bp.route("/courses/<slug>/modules/<module_id>")
@login_required
def module_page(slug: str, module_id: str):
    course = course_or_404(slug)
    module = course.module(module_id)
    if module is None:
        abort(404)
    if not module_was_read(reads(), current_user.id, slug, module_id):  # only the first visit writes
        record_module_read(db.session, current_user.id, slug, module_id)
        db.session.commit()
    position, previous_module, next_module = course.module_place(module)
    return render_template(
        "pages/module.html", course=course, module=module, references=course.references_for(module.cited),
        position=position, previous_module=previous_module, next_module=next_module,
    )


@bp.route("/courses/<slug>/references")
def references_page(slug: str):
    course = course_or_404(slug)
    return render_template("pages/references.html", course=course)
