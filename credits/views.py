"""Evaluation, claim, certificate, verification and transcript pages."""
import json
import re
from dataclasses import dataclass

import segno
from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import Session
from werkzeug.http import dump_options_header

from course.content.model import Course
from course.content.store import course_or_404, current_catalogue
from course.core.clock import now
from accounts.sessions import account_of
from course.core.database import owned_or_404, reads, take_write_lock
from course.core.extensions import db, limiter
from course.core.input_checks import accepts_files
from course.core.filters import calendar_day, format_amount
from quizzes.attempts import completion_for

from .badges import baking
from .badges.credential import (
    MEDIA_TYPE,
    Verification,
    check_badge_file,
    ensure_credential,
    issuer_id,
    issuer_keys,
    status_list_credential,
    verification_method,
)
from .certificates import certificates_of, credit_totals, find_by_code, verify_url
from .claims import ClaimRequest, claim_credit, claim_options, ended_message, missing_message
from .errors import CreditError, EvaluationInvalid
from .evaluation import evaluation_of, submit_evaluation
from .forms import (
    BadgeVerifyForm,
    ClaimForm,
    VerifyForm,
    add_evaluation_errors,
    claim_form,
    evaluation_answers,
    evaluation_form,
)
from .models import Certificate, CertificateCredential
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
    claim_request = ClaimRequest(amount=form.amount.data, attested=form.attested.data,
                                 moc_consent=form.moc_consent.data)
    try:
        certificate, issued_now = claim_credit(
            db.session, user=account_of(db.session, current_user, with_profile=True), course=course, provider=current_catalogue().provider,
            approval_id=approval_id, request=claim_request, now=now(),
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
    standing = claim_options(session, account_of(session, current_user, with_profile=True), course, current_catalogue().provider,
                             today=calendar_day(now()))
    forms = {}
    for option in standing.options:
        refused_here = refusal is not None and refusal.approval_id == option.approval_id
        form = claim_form(option.offer) if refused_here else claim_form(option.offer, formdata=None)
        if refused_here and refusal.field:
            form[refusal.field].errors = [refusal.message]  # the form was not validated, so errors is a tuple
        forms[option.approval_id] = form
    return render_template(
        "credits/claim.html", course=course, standing=standing, forms=forms, refusal=refusal,
        missing_message=missing_message, ended_message=ended_message, today=calendar_day(now()),
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


@bp.route("/verify")
@limiter.limit(_verify_limit)
def verify_lookup():
    """Public: a form to type a verification code; a code typed in goes to its verify page."""
    form = VerifyForm(request.args)
    if "code" not in request.args:
        return render_template("credits/verify_lookup.html", form=form)
    if form.validate():
        return redirect(url_for("credits.verify", code=form.code.data.strip()), code=303)
    return render_template("credits/verify_lookup.html", form=form), 400


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code: str):
    """Public: what a certificate says, for anyone holding its code, and nothing more about the learner.

    Asked for `application/vc+ld+json`, the same URL (the credential's id) answers with the credential.
    """
    certificate = find_by_code(reads(), code) if CODE_RE.fullmatch(code) else None
    if _wants_credential():
        if certificate is None:
            return _json_response({"error": "No certificate has this verification code."}, "application/json", 404)
        return _credential_response(certificate, attachment=False)
    return render_template("credits/verify.html", certificate=certificate), 200 if certificate else 404


def _wants_credential() -> bool:
    accept = request.accept_mimetypes
    return accept.best_match([MEDIA_TYPE, "text/html"]) == MEDIA_TYPE and accept[MEDIA_TYPE] > accept["text/html"]


# --- Open Badges ------------------------------------------------------------------------


def _credential(certificate: Certificate) -> str:
    """The certificate's signed credential; one issued before credentials existed gets it now (a write)."""
    record = db.session.get(CertificateCredential, certificate.id)
    if record is None:
        certificate_id = certificate.id
        db.session.rollback()
        take_write_lock(db.session)
        certificate = db.session.get(Certificate, certificate_id)
        catalogue = current_catalogue()
        record = ensure_credential(db.session, certificate, course=catalogue.courses.get(certificate.course_slug),
                                   provider=catalogue.provider, now=now())
        db.session.commit()
    return record.credential


def _badge_filename(certificate: Certificate, extension: str) -> str:
    return f"open-badge-{certificate.course_slug}-{certificate.approval_id}-{certificate.id}.{extension}"


def _credential_response(certificate: Certificate, *, attachment: bool) -> Response:
    headers = {"Cache-Control": "no-cache", "Vary": "Accept"}
    if attachment:
        headers["Content-Disposition"] = dump_options_header(
            "attachment", {"filename": _badge_filename(certificate, "json")})
    return Response(_credential(certificate), mimetype=MEDIA_TYPE, headers=headers)


def _json_response(document: dict, mimetype: str, status: int = 200) -> Response:
    return Response(json.dumps(document, ensure_ascii=False, indent=2), status=status, mimetype=mimetype,
                    headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


@bp.route("/certificates/<int:certificate_id>.json")
@login_required
def badge_download(certificate_id: int):
    return _credential_response(owned_or_404(Certificate, certificate_id, current_user.id), attachment=True)


@bp.route("/certificates/<int:certificate_id>.png")
@login_required
def badge_image(certificate_id: int):
    certificate = owned_or_404(Certificate, certificate_id, current_user.id)
    png = baking.badge_png(verify_url(certificate.code), _credential(certificate))
    return Response(png, mimetype="image/png", headers={
        "Content-Disposition": dump_options_header("attachment", {"filename": _badge_filename(certificate, "png")}),
        "Cache-Control": "private, no-store",
    })


@bp.route("/issuer")
def badge_issuer():
    """Public: the issuer's key document, where a verifier finds the keys (Multikey) named in our proofs."""
    keys = issuer_keys().public_keys()
    methods = [{"id": verification_method(public), "type": "Multikey", "controller": issuer_id(),
                "publicKeyMultibase": public} for public in keys]
    return _json_response({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": issuer_id(),
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }, "application/json")


@bp.route("/credentials/status/<int:number>")
def badge_status_list(number: int):
    """Public: the signed revocation status list (Bitstring Status List) credentials point to."""
    return _json_response(status_list_credential(db.session, number, now()), MEDIA_TYPE)


@bp.route("/verify-credential", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
@accepts_files("upload")
def verify_badge():
    """Public: check an Open Badge credential file (pasted, or uploaded as .json or baked .png)."""
    form = BadgeVerifyForm()
    result = None
    if form.validate_on_submit():
        upload = form.upload.data
        result = check_badge_file(db.session, upload.read() if upload else (form.credential.data or "").encode(), now())
    elif form.is_submitted():
        result = Verification(False, "malformed", "Your form expired. Please reload the page and try again.")
    status = 200 if result is None or result.verified else 400 if result.reason == "malformed" else 422
    return render_template("credits/verify_badge.html", form=form, result=result), status


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
