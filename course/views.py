"""Learner pages: the catalogue, a course, its modules and its references."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from quizzes.attempts import completion_for, objective_statuses

from .content import catalogue, content_fragment, get_course_or_404, module_article
from .extensions import db
from .progress import course_progress, modules_read, record_module_read

bp = Blueprint("course", __name__)
bp.add_app_template_global(module_article)
bp.add_app_template_global(content_fragment)


@bp.route("/")
def index():
    courses = sorted(catalogue().courses.values(), key=lambda c: c.title)
    return render_template("course/index.html", courses=courses)


@bp.route("/courses/<slug>")
def course_page(slug: str):
    content = catalogue()
    course = content.courses.get(slug) or abort(404)  # course and provider from the same catalogue
    progress = objectives = completion = None
    if current_user.is_authenticated:
        read = modules_read(db.session, current_user.id, slug)
        progress = course_progress(course, read)
        objectives = objective_statuses(db.session, current_user.id, course, read)
        completion = completion_for(db.session, current_user.id, slug)
    return render_template(
        "course/course.html", course=course, progress=progress, objectives=objectives, completion=completion,
        provider=content.provider,
    )


@bp.route("/courses/<slug>/modules/<module_id>")
@login_required
def module_page(slug: str, module_id: str):
    course = get_course_or_404(slug)
    module = course.module(module_id)
    if module is None:
        abort(404)
    if record_module_read(db.session, current_user.id, slug, module_id):
        db.session.commit()
    position, previous_module, next_module = course.module_place(module)
    return render_template(
        "course/module.html", course=course, module=module, position=position,
        previous_module=previous_module, next_module=next_module,
    )


@bp.route("/courses/<slug>/references")
def references_page(slug: str):
    course = get_course_or_404(slug)
    return render_template("course/references.html", course=course)
