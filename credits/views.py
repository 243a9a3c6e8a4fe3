"""Evaluation, claim, certificate, verification and transcript pages."""
import re
from dataclasses import dataclass
from datetime import date, datetime

import click
import segno
from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from werkzeug.http import dump_options_header

from course.audit import VIA_COMMAND_LINE
from course.catalogue import Course
from course.clock import now
from course.content import catalogue, get_course_or_404
from course.extensions import db, limiter
from quizzes.attempts import completion_for
from quizzes.models import CourseCompletion

from . import administration, claims
from .claims import ClaimRequest, CreditError
from .documents import certificate_document, learner_certificate_with_document
from .eligibility import MISSING_CONSENT, offered_credit
from .forms import ClaimForm, add_evaluation_errors, claim_form, evaluation_answers, evaluation_form
from .formats import format_amount, long_date, utc_date
from .models import Certificate
from .pdf import transcript_pdf

bp = Blueprint("credits", __name__)

# token_urlsafe characters; anything else cannot be a code and is not looked up.
CODE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@bp.app_template_filter("credit_amount")
def _credit_amount(amount) -> str:
    return format_amount(amount)


@bp.app_template_filter("long_date")
def _long_date(day: date | datetime) -> str:
    return long_date(utc_date(day) if isinstance(day, datetime) else day)


@bp.app_context_processor
def _template_helpers():
    return {"course_credit": course_credit}


def course_credit(slug: str, completion: CourseCompletion | None) -> dict | None:
    """What the course page tells the signed-in learner about credit (None when signed out).

    `completion` is the one the course page has loaded already; before it, there is nothing to claim.
    """
    if not current_user.is_authenticated:
        return None
    if completion is None:
        return {"completion": None}
    return {
        "completion": completion,
        "evaluation_submitted": claims.evaluation_submitted(db.session, current_user.id, slug),
        "certificates": claims.certificates_of(db.session, current_user.id, slug),
    }


def verify_url(code: str) -> str:
    return url_for("credits.verify", code=code, _external=True)


def qr_data_uri(url: str) -> str:
    return segno.make(url, error="m").svg_data_uri(scale=4)


# --- Evaluation -------------------------------------------------------------------------


@bp.route("/courses/<slug>/evaluation", methods=["GET", "POST"])
@login_required
def evaluation(slug: str):
    course = get_course_or_404(slug)
    form = evaluation_form(course.evaluation)
    status = 200
    if form.validate_on_submit():
        try:
            claims.submit_evaluation(
                db.session, user_id=current_user.id, course=course,
                raw_answers=evaluation_answers(form, course.evaluation), now=now(),
            )
        except claims.EvaluationInvalid as error:
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
        status = 400  # only the CSRF token can fail here; the answers are judged by claims.py
    return render_template(
        "credits/evaluation.html", course=course, form=form,
        completion=completion_for(db.session, current_user.id, slug),
        submitted=claims.evaluation_of(db.session, current_user.id, slug),
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
    return _render_claim_page(get_course_or_404(slug))


@bp.route("/courses/<slug>/credit/<approval_id>", methods=["POST"])
@login_required
def claim(slug: str, approval_id: str):
    course = get_course_or_404(slug)
    form = ClaimForm(prefix=approval_id)
    if not form.validate_on_submit():
        refusal = Refusal(approval_id, "Your form expired. Please reload the page and claim again.", 400)
        return _render_claim_page(course, refusal)
    request = ClaimRequest(amount=form.amount.data, attested=form.attested.data, moc_consent=form.moc_consent.data)
    try:
        certificate, issued_now = claims.claim_credit(
            db.session, user=current_user, course=course, provider=catalogue().provider,
            approval_id=approval_id, request=request, now=now(),
        )
    except CreditError as error:
        return _render_claim_page(course, Refusal(approval_id, error.message, error.status, error.field))
    db.session.commit()
    if issued_now:
        flash(f"Your certificate for {format_amount(certificate.amount)} {certificate.unit} is ready.", "success")
    else:
        flash("You already hold this certificate; here it is.", "info")
    return redirect(url_for("credits.certificate_page", certificate_id=certificate.id), code=303)


def _render_claim_page(course: Course, refusal: Refusal | None = None):
    completion = completion_for(db.session, current_user.id, course.slug)
    held = {c.approval_id: c for c in claims.certificates_of(db.session, current_user.id, course.slug)}
    offers = ()
    if completion is not None:
        learner = claims.learner_from_user(current_user)
        offers = offered_credit(course, catalogue().provider, learner, claims.completion_date(completion))
    rows = []
    for offer in offers:
        refused_here = refusal is not None and refusal.approval_id == offer.approval_id
        form = claim_form(offer) if refused_here else claim_form(offer, formdata=None)
        if refused_here and refusal.field:
            form[refusal.field].errors = [refusal.message]  # the form was not validated, so errors is a tuple
        rows.append({
            "offer": offer,
            "form": form,
            "certificate": held.pop(offer.approval_id, None),
            "profile_missing": [item for item in offer.missing if item != MISSING_CONSENT],
            "error": refusal.message if refused_here and not refusal.field else None,  # else shown on the field
        })
    offered_ids = {offer.approval_id for offer in offers}
    return render_template(
        "credits/claim.html", course=course, completion=completion, rows=rows,
        evaluation_done=claims.evaluation_submitted(db.session, current_user.id, course.slug),
        other_certificates=list(held.values()),
        refusal=refusal if refusal is not None and refusal.approval_id not in offered_ids else None,
    ), refusal.status if refusal else 200


# --- Certificates -----------------------------------------------------------------------


def _own_certificate_or_404(certificate_id: int) -> Certificate:
    """Another learner's certificate is answered as if it did not exist."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    return certificate


@bp.route("/certificates/<int:certificate_id>")
@login_required
def certificate_page(certificate_id: int):
    certificate = _own_certificate_or_404(certificate_id)
    url = verify_url(certificate.code)
    return render_template(
        "credits/certificate.html", certificate=certificate, verify_url=url, qr_src=qr_data_uri(url),
        issued_on=utc_date(certificate.issued_at),
    )


@bp.route("/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_download(certificate_id: int):
    found = learner_certificate_with_document(db.session, certificate_id, current_user.id)
    if found is None:  # as _own_certificate_or_404: another learner's certificate does not exist
        abort(404)
    certificate, kept = found
    # Named first: storing a newly rendered PDF commits, which expires `certificate`.
    filename = f"certificate-{certificate.course_slug}-{certificate.approval_id}-{certificate.id}.pdf"
    return _pdf_response(certificate_document(db.session, certificate, verify_url(certificate.code), kept), filename)


def _verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code: str):
    """Public: what a certificate says, for anyone holding its code, and nothing more about the learner."""
    certificate = claims.find_by_code(db.session, code) if CODE_RE.fullmatch(code) else None
    return render_template("credits/verify.html", certificate=certificate), 200 if certificate else 404


# --- Transcript -------------------------------------------------------------------------


@bp.route("/transcript")
@login_required
def transcript():
    certificates = claims.certificates_of(db.session, current_user.id)
    return render_template("credits/transcript.html", certificates=certificates, totals=claims.credit_totals(certificates))


@bp.route("/transcript.pdf")
@login_required
def transcript_download():
    certificates = claims.certificates_of(db.session, current_user.id)
    today = utc_date(now())
    pdf = transcript_pdf(current_user.name, certificates, claims.credit_totals(certificates), today, verify_url)
    return _pdf_response(pdf, f"transcript-{today.isoformat()}.pdf")


def _pdf_response(pdf: bytes, filename: str) -> Response:
    """The PDF as a download, written out in one piece (the bytes are in memory already)."""
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": dump_options_header("attachment", {"filename": filename}),
        "Cache-Control": "private, no-store",
    })


# --- Administration from the command line: flask credits revoke|reissue CODE --------------


def _certificate_by_code(code: str) -> Certificate:
    certificate = claims.find_by_code(db.session, code)
    if certificate is None:
        raise click.ClickException("No certificate has that verification code.")
    return certificate


@bp.cli.command("revoke")
@click.argument("code")
@click.option("--reason", required=True, help="Why the certificate is revoked (kept with it, not shown publicly).")
def revoke_command(code: str, reason: str) -> None:
    """Revoke the certificate with verification code CODE (put -- before a code that starts with -)."""
    try:
        administration.revoke(db.session, _certificate_by_code(code), reason=reason, actor=None, via=VIA_COMMAND_LINE,
                              now=now())
    except CreditError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Revoked {code}.")


@bp.cli.command("reissue")
@click.argument("code")
def reissue_command(code: str) -> None:
    """Reissue the certificate with code CODE under the learner's current profile name (a name correction).

    Put -- before a code that starts with -.
    """
    try:
        replacement = administration.reissue(db.session, _certificate_by_code(code), actor=None, via=VIA_COMMAND_LINE,
                                             now=now())
    except CreditError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"Reissued {code} to {replacement.learner_name} as {replacement.code}; "
               "the old code now shows as superseded.")
