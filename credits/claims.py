"""Which credit a learner may claim for a course, and why not; and claiming it, exactly once.

`claim_options` is the one place that decides, for each credit the course designates and the
learner's profile fits, whether it is claimed already, waits for the evaluation, waits for
the AMA PRA claim it follows, waits for profile data, or can be claimed now. The course page, the claim page and `claim_credit` all
read it. Functions flush; the caller commits.
"""
from dataclasses import dataclass
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts.models import User
from course.content.model import Approval, Course, Provider
from course.core.filters import calendar_day, format_amount, long_date
from course.core.reference import BOARDS
from course.core.validation import parse_amount

from .badges.credential import issue_for_claim
from .certificates import certificates_of, current_certificate, draw_pdf, new_code
from .completion import Completion, course_completion
from .eligibility import (
    MISSING_BIRTH_DATE, MISSING_BOARD_ID, MISSING_CME_CLAIM, MISSING_CONSENT, MISSING_LICENCE_NUMBER, Learner,
    LicenceFact, Offer, ended_approvals, offered_credit,
)
from .errors import ClaimRefused, EvaluationMissing, NotCompleted
from .models import Certificate
from .signals import certificate_issued

CLAIM_STEP = Decimal("0.25")

CLAIMED = "claimed"
NEEDS_EVALUATION = "needs evaluation"
NEEDS_CME_CLAIM = "needs cme claim"
NEEDS_PROFILE = "needs profile"
CLAIMABLE = "claimable"


@dataclass(frozen=True)
class ClaimRequest:
    """What the learner sent with a claim."""

    amount: str | None = None  # as typed; read only for variable credit
    attested: bool = False
    moc_consent: bool = False


@dataclass(frozen=True)
class ClaimOption:
    """One credit the learner may claim, and where they stand on it."""

    offer: Offer
    state: str  # CLAIMED | NEEDS_EVALUATION | NEEDS_CME_CLAIM | NEEDS_PROFILE | CLAIMABLE
    certificate: Certificate | None  # the one held, when CLAIMED

    @property
    def approval_id(self) -> str:
        return self.offer.approval_id

    @property
    def profile_missing(self) -> tuple[str, ...]:
        """What the profile lacks for this credit (MISSING_BOARD_ID, MISSING_BIRTH_DATE, MISSING_LICENCE_NUMBER)."""
        return tuple(item for item in self.offer.missing if item not in (MISSING_CONSENT, MISSING_CME_CLAIM))


@dataclass(frozen=True)
class ClaimOptions:
    """Where a learner stands on a course's credit."""

    completion: Completion
    options: tuple[ClaimOption, ...]  # empty until every quiz is passed
    other_certificates: tuple[Certificate, ...]  # held for credit no longer offered to them
    ended: tuple[Approval, ...] = ()  # approvals that would fit the learner but have ended (or not begun)

    @property
    def evaluation_submitted(self) -> bool:
        return self.completion.evaluated

    def option(self, approval_id: str) -> ClaimOption | None:
        return next((option for option in self.options if option.approval_id == approval_id), None)

    @property
    def certificates(self) -> tuple[Certificate, ...]:
        held = tuple(option.certificate for option in self.options if option.certificate is not None)
        return held + self.other_certificates


def learner_from_user(user: User, claimed: Mapping[str, Decimal] | None = None) -> Learner:
    """The profile facts eligibility reads; `claimed` is what the learner holds already for the course at hand."""
    return Learner(
        profession=user.profession,
        licence_states=frozenset(user.licence_states),
        licence_numbers=MappingProxyType({
            state: tuple(licence.number for licence in user.licences if licence.state == state)
            for state in user.licence_states
        }),
        board_ids=MappingProxyType({entry.board: entry.number for entry in user.board_ids}),
        birth_month=user.birth_month,
        birth_day=user.birth_day,
        licences=tuple(LicenceFact(licence.state, licence.type, licence.number) for licence in user.licences),
        claimed=MappingProxyType(dict(claimed or {})),
    )


def claim_options(
    session: Session, user: User, course: Course, provider: Provider, *, today: date, moc_consent: bool = False,
) -> ClaimOptions:
    """Each credit of `course` that fits `user` on their completion date, with its state (see the module).

    Until the evaluation completes the course, the credit shown is what fits on `today`.
    `moc_consent` is whether the learner consents to MOC reporting in the claim at hand; each
    MOC offer's `missing` names the consent while it is not given.
    """
    completion = course_completion(session, user.id, course.slug)
    if not completion.quizzes_passed:
        return ClaimOptions(completion, (), ())
    day = completion.completed_on or today
    held = {certificate.approval_id: certificate for certificate in certificates_of(session, user.id, course.slug)}
    claimed = {approval_id: c.amount for approval_id, c in held.items() if c.status == "valid"}
    learner = learner_from_user(user, claimed)
    options = []
    for offer in offered_credit(course, provider, learner, day, moc_consent=moc_consent):
        certificate = held.pop(offer.approval_id, None)
        if certificate is not None:
            state = CLAIMED
        elif not completion.evaluated:
            state = NEEDS_EVALUATION
        elif any(item not in (MISSING_CONSENT, MISSING_CME_CLAIM) for item in offer.missing):
            state = NEEDS_PROFILE
        elif MISSING_CME_CLAIM in offer.missing:
            state = NEEDS_CME_CLAIM
        else:
            state = CLAIMABLE
        options.append(ClaimOption(offer, state, certificate))
    return ClaimOptions(completion, tuple(options), tuple(held.values()), ended_approvals(course, provider, learner, day))


def ended_for(course: Course, provider: Provider, user: User, day: date) -> tuple[Approval, ...]:
    """The approvals of `course` that would fit `user`'s profile but do not hold on `day`."""
    return ended_approvals(course, provider, learner_from_user(user), day)


def ended_message(approval: Approval, day: date) -> str:
    """Why a learner licensed where an approval has ended is not offered its credit."""
    if approval.valid_until and day > approval.valid_until:
        return (f"The {approval.body} approval of the provider ended on {long_date(approval.valid_until)}, "
                f"so its credit is not offered for a completion on {long_date(day)}.")
    return (f"The {approval.body} approval of the provider begins on {long_date(approval.valid_from)}, "
            f"so its credit is not offered for a completion on {long_date(day)}.")


def claimed_amount(offer: Offer, request: ClaimRequest) -> Decimal:
    """The amount of credit to award for `request`, or ClaimRefused saying what is wrong."""
    if offer.missing:
        raise ClaimRefused(missing_message(offer),
                           field="moc_consent" if offer.missing == (MISSING_CONSENT,) else None)
    designation = offer.designation
    if not offer.is_variable:
        return offer.award
    text = (request.amount or "").strip()
    if not text:
        raise ClaimRefused("Enter the amount of credit you claim.", field="amount")
    amount = parse_amount(text)
    if amount is None:
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
    """One sentence naming everything the credit still needs from the learner."""
    missing = offer.missing
    if MISSING_LICENCE_NUMBER in missing:
        return licence_number_message(offer)
    board = offer.approval.moc_board
    if MISSING_CME_CLAIM in missing:
        return (f"{board} MOC credit equals the AMA PRA credit you claim: claim your AMA PRA Category 1 Credit™ "
                f"first.")
    profile = []
    if MISSING_BOARD_ID in missing:
        profile.append(f"your {BOARDS.get(board, board)} ({board}) ID")
    if MISSING_BIRTH_DATE in missing:
        profile.append("your birth month and day")
    needs = [" and ".join(profile) + " in your profile"] if profile else []
    if MISSING_CONSENT in missing:
        needs.append("your consent to share your completion data with ACCME")
    return f"{board} MOC credit needs {', and '.join(needs)}."


def licence_number_message(offer: Offer) -> str:
    """What a learner must enter before claiming credit reported to CE Broker."""
    approval = offer.approval
    states = " or ".join(sorted(approval.states))
    return (f"{approval.body} credit is reported to CE Broker with your licence number: add your {states} licence "
            f"number to your profile as the state writes it, such as {approval.ce_broker.examples}.")


def claim_credit(
    session: Session, *, user: User, course: Course, provider: Provider, approval_id: str,
    request: ClaimRequest, now: datetime,
) -> tuple[Certificate, bool]:
    """Issue the certificate for one approval's credit, exactly once, with its PDF.

    Returns (certificate, issued_now). A learner who already holds the certificate gets the
    existing one back, whatever they sent; two claims racing meet the unique index and the
    loser gets the winner's certificate.
    """
    standing = claim_options(session, user, course, provider, today=calendar_day(now), moc_consent=request.moc_consent)
    held = next((c for c in standing.certificates if c.approval_id == approval_id), None)
    if held is not None:
        return held, False
    if not standing.completion.quizzes_passed:
        raise NotCompleted("Pass every quiz in the course before claiming credit.")
    if not standing.evaluation_submitted:
        raise EvaluationMissing("Submit the course evaluation before claiming credit.")
    option = standing.option(approval_id)
    if option is None:
        raise ClaimRefused("That credit is not offered to you for this course.")
    offer = option.offer
    amount = claimed_amount(offer, request)
    designation = offer.designation
    licence = offer.licence
    statement = "\n\n".join(text.strip() for text in (offer.approval.statement, designation.statement) if text)
    certificate = Certificate(
        user_id=user.id, course_slug=course.slug, approval_id=approval_id, content_version=course.version,
        code=new_code(), status="valid", issued_at=now,
        learner_name=user.name, course_title=course.title, course_format=course.format,
        provider_name=provider.name, provider_address="\n".join(provider.address),
        completion_date=standing.completion.completed_on,
        amount=amount, unit=designation.unit, pharmacology_hours=designation.pharmacology_hours,
        approval_body=offer.approval.body, approval_number=offer.approval.number, statement=statement,
        attested_at=now if offer.is_variable else None, credit_of=designation.credit_of, course_level=designation.level,
        licence_state=licence.state if licence else None, licence_type=licence.type if licence else None,
        licence_number=licence.number if licence else None,
    )
    if offer.is_moc:
        board = offer.approval.moc_board
        certificate.moc_board = board
        certificate.moc_board_id = next(entry.number for entry in user.board_ids if entry.board == board)
        certificate.moc_birth_month = user.birth_month
        certificate.moc_birth_day = user.birth_day
        certificate.moc_consented_at = now
    draw_pdf(certificate)
    try:
        with session.begin_nested():
            session.add(certificate)
            session.flush()
    except IntegrityError:
        winner = current_certificate(session, user.id, course.slug, approval_id)
        if winner is None:
            raise
        return winner, False
    issue_for_claim(session, certificate, user=user, course=course, provider=provider, now=now)
    certificate_issued.send(certificate, session=session)
    return certificate, True
