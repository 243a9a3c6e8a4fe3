"""Evaluation, claim, certificate, verification and transcript pages."""
import re
from dataclasses import dataclass

import segno
from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.http import dump_options_header

from course.content.model import Course
from course.content.store import course_or_404, current_catalogue
from course.core.clock import now
from accounts.sessions import account_of
from course.core.database import owned_or_404, reads
from course.core.extensions import db, limiter
from course.core.filters import calendar_day, format_amount
from quizzes.attempts import completion_for

from .certificates import certificates_of, credit_totals, find_by_code, verify_url
from .claims import ClaimRequest, claim_credit, claim_options, missing_message
from .errors import CreditError, EvaluationInvalid
from .evaluation import evaluation_of, submit_evaluation
from .forms import (
    ClaimForm,
    add_evaluation_errors,
    claim_form,
    evaluation_answers,
    evaluation_form,
)
from .models import Certificate
from .pdf import transcript_pdf
from .signals import transcript_notes

bp = Blueprint("credits", __name__)

# token_urlsafe characters; anything else cannot be a code and is not looked up.
CODE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4)


# --- Evaluation -------------------------------------------------------------------------


@bp.route("/courses/<slug>/evaluation", methods=["GET", "POST"])
@login_required
def evaluation(slug: str):
    course = course_or_404(slug)
    form = evaluation_form(course.evaluation)
    status = 200
    if form.validate_on_submit():
        try:
            submit_evaluation(
                db.session, user_id=current_user.id, course=course,
                raw_answers=evaluation_answers(form, course.evaluation), now=now(),
            )
        except EvaluationInvalid as error:
            add_evaluation_errors(form, error.errors)
            status = error.status
        except CreditError as error:
            flash(error.message, "error")
            status = error.status
        else:
            db.session.commit()
            flash("Thank you: your evaluation is submitted. You can now claim your credit.", "success")
            return redirect(url_for("credits.claim_page", slug=slug), code=303)
    elif form.is_submitted():
        status = 400  # only the CSRF token can fail here; the answers are judged by credits.evaluation
    return render_template(
        "credits/evaluation.html", course=course, form=form,
        completion=completion_for(db.session, current_user.id, slug),
        submitted=evaluation_of(db.session, current_user.id, slug),
    ), status


# --- Claims -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A claim just refused, to show beside the credit it was for."""

    approval_id: str
    message: str
    status: int
    field: str | None = None


@bp.route("/courses/<slug>/credit")
@login_required
def claim_page(slug: str):
    return _render_claim_page(reads(), course_or_404(slug))


@bp.route("/courses/<slug>/credit/<approval_id>", methods=["POST"])
@login_required
def claim(slug: str, approval_id: str):
    course = course_or_404(slug)
    form = ClaimForm(prefix=approval_id)
    if not form.validate_on_submit():
        refusal = Refusal(approval_id, "Your form expired. Please reload the page and claim again.", 400)
        return _render_claim_page(db.session, course, refusal)
    request = ClaimRequest(amount=form.amount.data, attested=form.attested.data, moc_consent=form.moc_consent.data)
    try:
        certificate, issued_now = claim_credit(
            db.session, user=account_of(db.session, current_user), course=course, provider=current_catalogue().provider,
            approval_id=approval_id, request=request, now=now(),
        )
    except CreditError as error:
        return _render_claim_page(db.session, course, Refusal(approval_id, error.message, error.status, error.field))
    db.session.commit()
    if issued_now:
        flash(f"Your certificate for {format_amount(certificate.amount)} {certificate.unit} is ready.", "success")
    else:
        flash("You already hold this certificate; here it is.", "info")
    return redirect(url_for("credits.certificate_page", certificate_id=certificate.id), code=303)


def _render_claim_page(session: Session, course: Course, refusal: Refusal | None = None):
    """The claim page, read through `session`: `reads()` for a GET, `db.session` after a refused claim."""
    standing = claim_options(session, account_of(session, current_user), course, current_catalogue().provider)
    forms = {}
    for option in standing.options:
        refused_here = refusal is not None and refusal.approval_id == option.approval_id
        form = claim_form(option.offer) if refused_here else claim_form(option.offer, formdata=None)
        if refused_here and refusal.field:
            form[refusal.field].errors = [refusal.message]  # the form was not validated, so errors is a tuple
        forms[option.approval_id] = form
    return render_template(
        "credits/claim.html", course=course, standing=standing, forms=forms, refusal=refusal,
        missing_message=missing_message,
    ), refusal.status if refusal else 200


# --- Certificates -----------------------------------------------------------------------


@bp.route("/certificates/<int:certificate_id>")
@login_required
def certificate_page(certificate_id: int):
    certificate = owned_or_404(Certificate, certificate_id, current_user.id, reads())
    url = verify_url(certificate.code)
    return render_template("credits/certificate.html", certificate=certificate, verify_url=url, qr_src=qr_data_uri(url))


@bp.route("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_download(certificate_id: int):
    certificate = owned_or_404(Certificate, certificate_id, current_user.id, reads())
    filename = f"certificate-{certificate.course_slug}-{certificate.approval_id}-{certificate.id}.pdf"
    return _pdf_response(certificate.document.pdf, filename)


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code: str):
    """Public: what a certificate says, for anyone holding its code, and nothing more about the learner."""
    certificate = find_by_code(reads(), code) if CODE_RE.fullmatch(code) else None
    return render_template("credits/verify.html", certificate=certificate), 200 if certificate else 404


# --- Transcript -------------------------------------------------------------------------


@bp.route("/transcript")
@login_required
def transcript():
    certificates = certificates_of(reads(), current_user.id)
    notes = transcript_notes(current_app._get_current_object(), reads(), current_user.id, certificates)
    return render_template("credits/transcript.html", certificates=certificates, totals=credit_totals(certificates),
                           notes=notes)


@bp.route("/transcript.pdf")
@login_required
def transcript_download():
    certificates = certificates_of(reads(), current_user.id)
    today = calendar_day(now())
    pdf = transcript_pdf(current_user.name, certificates, credit_totals(certificates), today, verify_url)
    return _pdf_response(pdf, f"transcript-{today.isoformat()}.pdf")


def _pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": dump_options_header("attachment", {"filename": filename}),
        "Cache-Control": "private, no-store",
    })
