"""Instructors' pages: content status, previews with the answer key, quiz item analysis, the draft
folder's preview and its publication.

Every route here is for instructors and administrators only; the check runs before every
request to the blueprint, so a route added later cannot be left open.
"""
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField

from accounts.sessions import account_of
from course.content.model import Catalogue, Course, CourseStatus, Objective, Problem, Question
from course.content.publishing import PublishRefused, publications, publish, read_draft
from course.content.store import course_or_404, current_catalogue, draft_catalogue
from course.core.extensions import db
from course.core.roles import role_required
from quizzes.analysis import FLAGS, MINIMUM_ATTEMPTS_FOR_FLAGS, ItemStatistics, item_statistics
from quizzes.attempts import submitted_answer_sheets

bp = Blueprint("instructor", __name__, url_prefix="/instructor")


@bp.before_request
@role_required("instructor")
def instructors_only() -> None:
    """Runs before every view of the blueprint; role_required refuses everyone else."""


@dataclass(frozen=True)
class CourseReport:
    status: CourseStatus
    course: Course | None  # the version serving learners, if any


def content_report(content: Catalogue) -> tuple[list[CourseReport], list[Problem]]:
    """Each course's status with its live version, and the problems that belong to no course.

    The problems left over are provider.yaml's: a provider file that fails the check holds
    every course at its last valid version, although the courses' own files are fine.
    """
    reports = [CourseReport(status, content.courses.get(slug)) for slug, status in sorted(content.statuses.items())]
    course_problems = {problem for report in reports for problem in report.status.problems}
    return reports, [problem for problem in content.problems if problem not in course_problems]


@dataclass(frozen=True)
class OptionRow:
    option_id: str
    html: str | None  # None: the option is no longer in the bank
    correct: bool
    chosen: int  # attempts that chose it


@dataclass(frozen=True)
class QuestionReport:
    question_id: str
    question: Question | None  # None: no longer in the bank
    statistics: ItemStatistics | None  # None: not answered in any submitted attempt yet
    options: tuple[OptionRow, ...]


def question_report(question_id: str, question: Question | None, statistics: ItemStatistics | None) -> QuestionReport:
    """Options as the bank lists them now, then any that attempts showed but the bank has dropped."""
    counts = statistics.option_counts if statistics else {}
    correct = question.correct if question else statistics.correct_options
    rows = [OptionRow(option_id, html, option_id in correct, counts.get(option_id, 0))
            for option_id, html in (question.options if question else ())]
    listed = {row.option_id for row in rows}
    rows += [OptionRow(option_id, None, option_id in correct, chosen)
             for option_id, chosen in counts.items() if option_id not in listed]
    return QuestionReport(question_id, question, statistics, tuple(rows))


def item_analysis_report(
    course: Course, statistics: dict[str, ItemStatistics],
) -> tuple[list[tuple[Objective, list[QuestionReport]]], list[QuestionReport]]:
    """Every bank question per objective (answered or not), and the answered ones no bank holds now."""
    sections = []
    in_banks = set()
    for objective in course.objectives:
        questions = course.banks[objective.id].questions  # a valid course has a bank per objective
        in_banks.update(q.id for q in questions)
        sections.append((objective, [question_report(q.id, q, statistics.get(q.id)) for q in questions]))
    retired = [question_report(question_id, None, stats)
               for question_id, stats in statistics.items() if question_id not in in_banks]
    return sections, retired


def _status_of(course: Course) -> CourseStatus | None:
    return current_catalogue().statuses.get(course.slug)


class PublishForm(FlaskForm):
    submit = SubmitField("Publish the draft")


def _folders() -> tuple[Path, Path]:
    return Path(current_app.config["CONTENT_DRAFT_DIR"]), Path(current_app.config["CONTENT_DIR"])


@bp.route("/content")
def content_status():
    content = current_catalogue()
    reports, provider_problems = content_report(content)
    return render_template(
        "staff/instructor/content.html", reports=reports, provider_problems=provider_problems, provider=content.provider,
        publications=publications(db.session, limit=5),
    )


def _module_page(course: Course, module_id: str, *, status: CourseStatus | None, draft: bool):
    module = course.module(module_id)
    if module is None:
        abort(404)
    position, previous_module, next_module = course.module_place(module)
    return render_template(
        "staff/instructor/module.html", course=course, module=module, references=course.references_for(module.cited),
        status=status, position=position, previous_module=previous_module, next_module=next_module, draft=draft,
    )


@bp.route("/courses/<slug>/modules/<module_id>")
def module_preview(slug: str, module_id: str):
    """The module as learners see it, without recording that anyone read it."""
    course = course_or_404(slug)
    return _module_page(course, module_id, status=_status_of(course), draft=False)


@bp.route("/courses/<slug>/questions")
def questions_preview(slug: str):
    course = course_or_404(slug)
    return render_template("staff/instructor/questions.html", course=course, status=_status_of(course), draft=False)


def _draft_course_or_404(slug: str) -> Course:
    course = draft_catalogue().courses.get(slug)
    if course is None:
        abort(404)
    return course


@bp.route("/draft")
def draft_status():
    """The draft folder checked, what differs from the live content, previews, and the publish button."""
    draft, live = _folders()
    state = read_draft(draft, live) if draft.is_dir() else None
    reports, provider_problems = content_report(draft_catalogue()) if state else ([], [])
    live_versions = {slug: course.version for slug, course in current_catalogue().courses.items()}
    return render_template(
        "staff/instructor/draft.html", draft_dir=draft, state=state, reports=reports,
        provider_problems=provider_problems, live_versions=live_versions, form=PublishForm(),
        publications=publications(db.session),
    )


@bp.route("/draft/courses/<slug>/modules/<module_id>")
def draft_module_preview(slug: str, module_id: str):
    return _module_page(_draft_course_or_404(slug), module_id, status=None, draft=True)


@bp.route("/draft/courses/<slug>/questions")
def draft_questions_preview(slug: str):
    return render_template("staff/instructor/questions.html", course=_draft_course_or_404(slug), status=None, draft=True)


@bp.route("/draft/publish", methods=["POST"])
def publish_draft():
    """Publish the draft over the live content: learners see it on their next request."""
    form = PublishForm()
    if not form.validate_on_submit():
        abort(400)
    draft, live = _folders()
    try:
        publisher = account_of(db.session, current_user)
        publication = publish(db.session, draft, live, published_by=f"{publisher.name} <{publisher.email}>")
    except PublishRefused as refused:
        db.session.rollback()
        flash(f"Not published: {refused}.", "error")
        return redirect(url_for("instructor.draft_status"), code=303)
    db.session.commit()
    flash(f"Published: content hash {publication.content_hash[:16]}. Learners see it from their next page.", "success")
    return redirect(url_for("instructor.content_status"), code=303)


@bp.route("/courses/<slug>/item-analysis")
def item_analysis(slug: str):
    course = course_or_404(slug)
    statistics = item_statistics(submitted_answer_sheets(db.session, slug))
    sections, retired = item_analysis_report(course, statistics)
    return render_template(
        "staff/instructor/item_analysis.html", course=course, sections=sections, retired=retired,
        minimum_attempts=MINIMUM_ATTEMPTS_FOR_FLAGS, flags=FLAGS,
    )
