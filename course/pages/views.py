"""Learner pages: the catalogue, a course, its modules and its references."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from accounts.sessions import account_of
from course.content.store import course_or_404, current_catalogue
from course.core.clock import now
from course.core.database import reads
from course.core.extensions import db
from course.core.filters import calendar_day
from credits.claims import claim_options, ended_for, ended_message
from credits.eligibility import course_statements, current_designations
from quizzes.attempts import objective_statuses
from quizzes.reading import course_progress, module_was_read, modules_read, record_module_read

from .next_step import next_step

bp = Blueprint("pages", __name__)


@bp.route("/")
def index():
    courses = sorted(current_catalogue().courses.values(), key=lambda c: c.title)
    return render_template("pages/index.html", courses=courses)


@bp.route("/courses/<slug>")
def course_page(slug: str):
    course = course_or_404(slug)
    provider = current_catalogue().provider
    today = calendar_day(now())
    progress = objectives = credit = step = None
    ended = []
    if current_user.is_authenticated:
        read = modules_read(reads(), current_user.id, slug)
        progress = course_progress(course, read)
        objectives = objective_statuses(reads(), current_user.id, course, read)
        account = account_of(reads(), current_user, with_profile=True)
        credit = claim_options(reads(), account, course, provider, today=today)
        day = credit.completion.completed_on or today
        ended = [ended_message(approval, day) for approval in ended_for(course, provider, account, day)]
        step = next_step(course, objectives, credit.evaluation_submitted, bool(credit.certificates))
    return render_template(
        "pages/course.html", course=course, provider=provider, progress=progress,
        objectives=objectives, credit=credit, next_step=step, designations=current_designations(course, provider, today),
        ended=ended, statements=course_statements(course, provider, today),
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
