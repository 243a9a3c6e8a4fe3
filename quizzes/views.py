"""Quiz pages: the introduction to an objective's quiz, taking an attempt, its results."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from course.content.store import course_or_404
from course.core.clock import now
from course.core.database import owned_or_404, reads
from course.core.extensions import csrf, db

from .attempts import (
    QuizRefused, attempt_allowance, attempts_for, completed_the_quizzes, objective_statuses, open_attempt, quiz_refusal,
    start_attempt, submit_attempt,
)
from .models import QuizAttempt
from .reading import modules_read
from .rules import AnswerProblems, minimum_right, read_answers, reveals_answers

bp = Blueprint("quizzes", __name__)


def _objective_or_404(course, objective_id):
    objective = next((o for o in course.objectives if o.id == objective_id), None)
    if objective is None:
        abort(404)
    return objective


@bp.route("/courses/<slug>/objectives/<objective_id>/quiz", methods=["GET", "POST"])
@login_required
def quiz_intro(slug: str, objective_id: str):
    course = course_or_404(slug)
    objective = _objective_or_404(course, objective_id)
    if request.method == "POST":
        try:
            attempt = start_attempt(db.session, current_user.id, course, objective_id, now())
        except QuizRefused as refusal:
            db.session.rollback()
            return _intro(db.session, course, objective, refusal.message), refusal.status
        db.session.commit()
        return redirect(url_for("quizzes.attempt_page", attempt_id=attempt.id))
    refusal = quiz_refusal(reads(), current_user.id, course, objective_id)
    return _intro(reads(), course, objective, refusal), 403 if refusal else 200


def _intro(session, course, objective, refusal):
    return render_template(
        "quizzes/intro.html", course=course, objective=objective, refusal=refusal,
        module=course.module_for_objective(objective.id),
        attempts=attempts_for(session, current_user.id, course.slug, objective.id),
        open_attempt=open_attempt(session, current_user.id, course, objective.id),
        allowance=attempt_allowance(session, current_user.id, course, objective.id, now()),
        minimum_right=minimum_right(course.pass_mark, course.quiz.questions_per_attempt),
    )


@bp.route("/quiz/attempts/<int:attempt_id>")
@login_required
def attempt_page(attempt_id: int):
    attempt = owned_or_404(QuizAttempt, attempt_id, current_user.id, reads())
    course = course_or_404(attempt.course_slug)
    if attempt.status == "open":
        return _question_form(course, attempt, {}, {})
    return _results(course, attempt)


# CSRF is checked inside the view, so that an expired token shows the answers given again.
@bp.route("/quiz/attempts/<int:attempt_id>", methods=["POST"])
@csrf.exempt
@login_required
def submit(attempt_id: int):
    submitted = {key: request.form.getlist(key) for key in request.form if key.startswith("q-")}
    attempt = owned_or_404(QuizAttempt, attempt_id, current_user.id)
    course = course_or_404(attempt.course_slug)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        message = "Your session's security token expired. Your answers are kept below; please submit again."
        return _question_form(course, attempt, _answers_given(attempt, submitted), {"": message}), 400
    try:
        submission = submit_attempt(db.session, attempt, submitted, course, now())
    except AnswerProblems as problems:
        return _question_form(course, attempt, problems.answers, problems.problems), 422
    except QuizRefused as refusal:
        return render_template("quizzes/refused.html", message=refusal.message, attempt=attempt,
                               course=course), refusal.status
    db.session.commit()
    if submission.completed_course:
        flash("You have passed every quiz of this course. Submit the course evaluation to complete the course.", "success")
    return redirect(url_for("quizzes.attempt_page", attempt_id=attempt_id))


def _answers_given(attempt: QuizAttempt, submitted: dict[str, list[str]]) -> dict[str, list[str]]:
    try:
        return read_answers(attempt.questions, submitted)
    except AnswerProblems as problems:
        return problems.answers


def _question_form(course, attempt, answers, problems):
    return render_template(
        "quizzes/attempt.html", course=course, attempt=attempt, answers=answers, problems=problems,
        objective=_objective_or_404(course, attempt.objective_id),
    )


def _results(course, attempt):
    return render_template(
        "quizzes/results.html", course=course, attempt=attempt,
        objective=_objective_or_404(course, attempt.objective_id),
        reveal=reveals_answers(course.quiz, attempt.passed),
        allowance=attempt_allowance(reads(), current_user.id, course, attempt.objective_id, now()),
        completed_the_quizzes=completed_the_quizzes(reads(), attempt),
    )


@bp.route("/courses/<slug>/attempts")
@login_required
def history(slug: str):
    course = course_or_404(slug)
    return render_template(
        "quizzes/history.html", course=course, attempts=attempts_for(reads(), current_user.id, slug),
        objectives={o.id: o.text for o in course.objectives},
        statuses=objective_statuses(reads(), current_user.id, course, modules_read(reads(), current_user.id, slug)),
    )
