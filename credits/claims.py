"""Evaluation, claims and certificates: the rules, with no request objects.

These functions add and flush; the caller commits. A refusal is a `CreditError` carrying the
message to show and the HTTP status that fits it.
"""
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.catalogue import Course, EvaluationItem, Provider
from course.models import BOARDS, User
from quizzes.attempts import completion_for
from quizzes.models import CourseCompletion

from .eligibility import MISSING_BIRTH_DATE, MISSING_BOARD_ID, MISSING_CONSENT, Learner, Offer, offered_credit
from .formats import format_amount, utc_date
from .models import Certificate, EvaluationResponse

CLAIM_STEP = Decimal("0.25")
TEXT_ANSWER_MAX = 2000
WHOLE_NUMBER_RE = re.compile(r"[+-]?\d{1,9}")


class CreditError(Exception):
    """A request the rules refuse. `status` is the HTTP status that fits, `field` the form field at fault."""

    status = 422

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotCompleted(CreditError):
    status = 409


class EvaluationMissing(CreditError):
    status = 409


class EvaluationAlreadySubmitted(CreditError):
    status = 409


class EvaluationInvalid(CreditError):
    def __init__(self, errors: Mapping[str, str]):
        super().__init__("Please answer the questions marked below.")
        self.errors = dict(errors)


class ClaimRefused(CreditError):
    pass


class CertificateNotValid(CreditError):
    status = 409


@dataclass(frozen=True)
class ClaimRequest:
    """What the learner sent with a claim."""

    amount: str | None = None  # as typed; read only for variable credit
    attested: bool = False
    moc_consent: bool = False


def learner_from_user(user: User) -> Learner:
    return Learner(
        profession=user.profession,
        licence_states=frozenset(user.licence_states),
        board_ids=MappingProxyType({entry.board: entry.number for entry in user.board_ids}),
        birth_month=user.birth_month,
        birth_day=user.birth_day,
    )


def completion_date(completion: CourseCompletion) -> date:
    """The day (UTC) the course was completed; the date eligibility and certificates use."""
    return utc_date(completion.completed_at)


# Run on the course, claim and transcript pages; built once (see course/database.py: prebuilt statements).
_EVALUATION_SUBMITTED = select(EvaluationResponse.id).where(
    EvaluationResponse.user_id == bindparam("user_id"), EvaluationResponse.course_slug == bindparam("course_slug")
)
_CURRENT_CERTIFICATES = (
    select(Certificate)
    .where(Certificate.user_id == bindparam("user_id"), Certificate.status != "superseded")
    .order_by(Certificate.completion_date, Certificate.id)
)
_CURRENT_CERTIFICATES_OF_COURSE = _CURRENT_CERTIFICATES.where(Certificate.course_slug == bindparam("course_slug"))


def evaluation_submitted(session: Session, user_id: int, course_slug: str) -> bool:
    return session.scalar(_EVALUATION_SUBMITTED, {"user_id": user_id, "course_slug": course_slug}) is not None


def evaluation_of(session: Session, user_id: int, course_slug: str) -> EvaluationResponse | None:
    return session.scalar(
        select(EvaluationResponse).where(
            EvaluationResponse.user_id == user_id, EvaluationResponse.course_slug == course_slug
        )
    )


# --- Evaluation -------------------------------------------------------------------------


def check_evaluation_answers(
    items: Iterable[EvaluationItem], raw: Mapping[str, str | None]
) -> tuple[dict[str, str | int], dict[str, str]]:
    """Read the answers to `items` out of `raw` (item id -> text as sent).

    Returns (answers, errors): the valid answers by item id, and a message per item that is
    required but unanswered or whose answer does not fit its type, options or range.
    """
    answers: dict[str, str | int] = {}
    errors: dict[str, str] = {}
    for item in items:
        value = (raw.get(item.id) or "").strip()
        if not value:
            if item.required:
                errors[item.id] = "Answer this question."
            continue
        if item.type in ("rating", "choice"):
            if value in item.choices:
                answers[item.id] = value
            else:
                errors[item.id] = "Choose one of the options."
        elif item.type == "number":
            problem = _number_problem(value, item.minimum, item.maximum)
            if problem:
                errors[item.id] = problem
            else:
                answers[item.id] = int(value)
        elif len(value) > TEXT_ANSWER_MAX:
            errors[item.id] = f"Keep your answer to {TEXT_ANSWER_MAX:,} characters or fewer."
        else:
            answers[item.id] = value
    return answers, errors


def _number_problem(value: str, minimum: int | None, maximum: int | None) -> str | None:
    if not WHOLE_NUMBER_RE.fullmatch(value):
        return "Enter a whole number."
    number = int(value)
    if minimum is not None and maximum is not None and not minimum <= number <= maximum:
        return f"Enter a number from {minimum} to {maximum}."
    if minimum is not None and number < minimum:
        return f"Enter a number of at least {minimum}."
    if maximum is not None and number > maximum:
        return f"Enter a number of at most {maximum}."
    return None


def submit_evaluation(
    session: Session, *, user_id: int, course: Course, raw_answers: Mapping[str, str | None], now: datetime
) -> EvaluationResponse:
    """Store the learner's evaluation, once, after they have completed the course."""
    if completion_for(session, user_id, course.slug) is None:
        raise NotCompleted("Pass every quiz in the course before filling in its evaluation.")
    if evaluation_submitted(session, user_id, course.slug):
        raise EvaluationAlreadySubmitted("You have already submitted the evaluation for this course.")
    answers, errors = check_evaluation_answers(course.evaluation, raw_answers)
    if errors:
        raise EvaluationInvalid(errors)
    response = EvaluationResponse(
        user_id=user_id, course_slug=course.slug, answers=answers, content_version=course.version, submitted_at=now
    )
    try:
        with session.begin_nested():
            session.add(response)
            session.flush()
    except IntegrityError as error:  # the same evaluation sent twice at once
        raise EvaluationAlreadySubmitted("You have already submitted the evaluation for this course.") from error
    return response


# --- Claims -----------------------------------------------------------------------------


def claimed_amount(offer: Offer, request: ClaimRequest) -> Decimal:
    """The amount of credit to award for `request`, or ClaimRefused saying what is wrong."""
    if offer.missing:
        raise ClaimRefused(missing_message(offer), field="moc_consent" if offer.missing == (MISSING_CONSENT,) else None)
    designation = offer.designation
    if not offer.is_variable:
        return designation.amount
    text = (request.amount or "").strip()
    if not text:
        raise ClaimRefused("Enter the amount of credit you claim.", field="amount")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ClaimRefused("Enter the amount as a number, such as 0.75.", field="amount")
    if amount <= 0:
        raise ClaimRefused("The amount must be more than zero.", field="amount")
    if amount > designation.amount:
        raise ClaimRefused(
            f"You can claim at most {format_amount(designation.amount)} {designation.unit}.", field="amount"
        )
    if amount % CLAIM_STEP:
        raise ClaimRefused("Claim in steps of 0.25, such as 0.5 or 0.75.", field="amount")
    if not request.attested:
        raise ClaimRefused("Confirm that the amount you claim matches your participation.", field="attested")
    return amount


def missing_message(offer: Offer) -> str:
    """One sentence naming everything MOC credit still needs from the learner."""
    board = offer.approval.moc_board
    profile = []
    if MISSING_BOARD_ID in offer.missing:
        profile.append(f"your {BOARDS.get(board, board)} ({board}) ID")
    if MISSING_BIRTH_DATE in offer.missing:
        profile.append("your birth month and day")
    needs = [" and ".join(profile) + " in your profile"] if profile else []
    if MISSING_CONSENT in offer.missing:
        needs.append("your consent to share your completion data with ACCME")
    return f"{board} MOC credit needs {', and '.join(needs)}."


def current_certificate(session: Session, user_id: int, course_slug: str, approval_id: str) -> Certificate | None:
    """The learner's certificate for this course and approval that has not been superseded, if any."""
    return session.scalar(
        select(Certificate).where(
            Certificate.user_id == user_id,
            Certificate.course_slug == course_slug,
            Certificate.approval_id == approval_id,
            Certificate.status != "superseded",
        )
    )


def new_code() -> str:
    """A verification code: 192 random bits from the OS CSPRNG, URL-safe, unrelated to any id.

    Never one that starts with "-" (drawn again, 1 time in 64): it would read as an option on
    the command line (`flask credits revoke CODE`) and as a formula in a spreadsheet.
    """
    while (code := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return code


def claim_credit(
    session: Session, *, user: User, course: Course, provider: Provider, approval_id: str,
    request: ClaimRequest, now: datetime,
) -> tuple[Certificate, bool]:
    """Issue the certificate for one approval's credit, exactly once.

    Returns (certificate, issued_now). A learner who already holds the certificate gets the
    existing one back, whatever they sent; two claims racing meet the unique index and the
    loser gets the winner's certificate.
    """
    existing = current_certificate(session, user.id, course.slug, approval_id)
    if existing is not None:
        return existing, False
    completion = completion_for(session, user.id, course.slug)
    if completion is None:
        raise NotCompleted("Pass every quiz in the course before claiming credit.")
    if not evaluation_submitted(session, user.id, course.slug):
        raise EvaluationMissing("Submit the course evaluation before claiming credit.")
    completed_on = completion_date(completion)
    learner = learner_from_user(user)
    offers = offered_credit(course, provider, learner, completed_on, moc_consent=request.moc_consent)
    offer = next((o for o in offers if o.approval_id == approval_id), None)
    if offer is None:
        raise ClaimRefused("That credit is not offered to you for this course.")
    amount = claimed_amount(offer, request)
    certificate = Certificate(
        user_id=user.id, course_slug=course.slug, approval_id=approval_id, content_version=course.version,
        code=new_code(), status="valid", issued_at=now,
        learner_name=user.name, course_title=course.title, course_format=course.format,
        provider_name=provider.name, provider_address="\n".join(provider.address), completion_date=completed_on,
        amount=amount, unit=offer.designation.unit, pharmacology_hours=offer.designation.pharmacology_hours,
        approval_body=offer.approval.body, approval_number=offer.approval.number, statement=offer.approval.statement,
        attested_at=now if offer.is_variable else None,
    )
    if offer.is_moc:
        board = offer.approval.moc_board
        certificate.moc_board = board
        certificate.moc_board_id = learner.board_ids[board]
        certificate.moc_birth_month = user.birth_month
        certificate.moc_birth_day = user.birth_day
        certificate.moc_consented_at = now
    try:
        with session.begin_nested():
            session.add(certificate)
            session.flush()
    except IntegrityError:
        winner = current_certificate(session, user.id, course.slug, approval_id)
        if winner is None:
            raise
        return winner, False
    return certificate, True


# --- After issue ------------------------------------------------------------------------

_COPIED_ON_REISSUE = (
    "user_id", "course_slug", "approval_id", "content_version", "course_title", "course_format", "provider_name",
    "provider_address", "completion_date", "amount", "unit", "pharmacology_hours", "approval_body",
    "approval_number", "statement", "attested_at", "moc_board", "moc_board_id", "moc_birth_month",
    "moc_birth_day", "moc_consented_at",
)


def reissue_certificate(session: Session, certificate: Certificate, *, learner_name: str, now: datetime) -> Certificate:
    """Replace a valid certificate with one under `learner_name` and a new code; the old one is kept, superseded."""
    if certificate.status != "valid":
        raise CertificateNotValid(f"Only a valid certificate can be reissued; this one is {certificate.status}.")
    name = learner_name.strip()
    if not name:
        raise CreditError("The name on a certificate cannot be blank.", field="learner_name")
    certificate.status = "superseded"
    session.flush()  # the old row leaves the unique index before the new one enters it
    replacement = Certificate(
        **{column: getattr(certificate, column) for column in _COPIED_ON_REISSUE},
        learner_name=name, code=new_code(), status="valid", issued_at=now, supersedes=certificate,
    )
    session.add(replacement)
    session.flush()
    return replacement


def revoke_certificate(session: Session, certificate: Certificate, *, reason: str, now: datetime) -> None:
    if certificate.status != "valid":
        raise CertificateNotValid(f"Only a valid certificate can be revoked; this one is {certificate.status}.")
    reason = reason.strip()
    if not reason:
        raise CreditError("Give the reason for revoking the certificate.", field="reason")
    certificate.status = "revoked"
    certificate.revoked_reason = reason
    certificate.revoked_at = now
    session.flush()


# The public verify page runs this on every request; built once (see course/database.py).
_CERTIFICATE_BY_CODE = select(Certificate).where(Certificate.code == bindparam("code"))


def find_by_code(session: Session, code: str) -> Certificate | None:
    return session.scalar(_CERTIFICATE_BY_CODE, {"code": code})


def certificates_of(session: Session, user_id: int, course_slug: str | None = None) -> list[Certificate]:
    """The learner's certificates that have not been superseded, oldest completion first."""
    if course_slug is None:
        return list(session.scalars(_CURRENT_CERTIFICATES, {"user_id": user_id}))
    return list(session.scalars(_CURRENT_CERTIFICATES_OF_COURSE, {"user_id": user_id, "course_slug": course_slug}))


def credit_totals(certificates: Iterable[Certificate]) -> list[tuple[str, Decimal]]:
    """Total credit per unit over the valid certificates, units in the order first met."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for certificate in certificates:
        if certificate.status == "valid":
            totals[certificate.unit] += certificate.amount
    return list(totals.items())
