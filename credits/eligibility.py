"""Which credit a learner may claim for a course: pure functions over content and profile facts.

A designation is offered when (a) the course designates it, (b) the learner's profession is
one its approval covers and, for a state approval, the learner holds a licence in one of its
states, and (c) the approval holds on the completion date, which also has to fall within the
course's release and expiry dates. An approval that has ended by the completion date is
never offered. MOC credit is offered to the learners it fits, but can be claimed only once
the learner has a board ID for that board, a birth month and day, and consents to ACCME
reporting. Credit the provider reports to CE Broker can be claimed only once the learner has
entered a licence number of the approval's state in a form that state's licences take.
`Offer.missing` says what is lacking.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from course.content.model import Approval, Course, Designation, Provider

MISSING_BOARD_ID = "board_id"
MISSING_BIRTH_DATE = "birth_date"
MISSING_CONSENT = "consent"
MISSING_LICENCE_NUMBER = "licence_number"


@dataclass(frozen=True)
class Learner:
    """The profile facts eligibility depends on."""

    profession: str | None
    licence_states: frozenset[str] = frozenset()
    licence_numbers: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))  # state -> numbers
    board_ids: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # board -> id
    birth_month: int | None = None
    birth_day: int | None = None

    @property
    def has_birth_date(self) -> bool:
        return self.birth_month is not None and self.birth_day is not None


@dataclass(frozen=True)
class Offer:
    designation: Designation
    approval: Approval
    missing: tuple[str, ...] = ()  # MISSING_*; empty when it can be claimed

    @property
    def approval_id(self) -> str:
        return self.approval.id

    @property
    def is_moc(self) -> bool:
        return self.approval.moc_board is not None

    @property
    def is_variable(self) -> bool:
        return self.designation.claim == "variable"


def approval_fits(approval: Approval, learner: Learner) -> bool:
    """Rule (b): the learner's profession, and a licence in one of the approval's states if it names any."""
    if learner.profession not in approval.professions:
        return False
    return not approval.states or bool(approval.states & learner.licence_states)


def course_open_on(course: Course, day: date) -> bool:
    return course.release_date <= day <= course.expiry_date


def moc_missing(approval: Approval, learner: Learner, consented: bool) -> tuple[str, ...]:
    """What MOC reporting still needs from this learner (nothing for credit that is not MOC)."""
    if approval.moc_board is None:
        return ()
    missing = []
    if not learner.board_ids.get(approval.moc_board):
        missing.append(MISSING_BOARD_ID)
    if not learner.has_birth_date:
        missing.append(MISSING_BIRTH_DATE)
    if not consented:
        missing.append(MISSING_CONSENT)
    return tuple(missing)


def reportable_licence(approval: Approval, learner: Learner) -> tuple[str, str] | None:
    """(state, number) of the learner's first licence in the approval's states whose number fits a form
    CE Broker takes; None when none does. Only for approvals reported to CE Broker."""
    if approval.ce_broker is None:
        return None
    for state in sorted(approval.states & learner.licence_states):
        for number in learner.licence_numbers.get(state, ()):
            if approval.ce_broker.format_of(number) is not None:
                return state, number
    return None


def reporting_missing(approval: Approval, learner: Learner) -> tuple[str, ...]:
    """What reporting to CE Broker still needs from this learner: a licence number in the state's form."""
    if approval.ce_broker is None or reportable_licence(approval, learner) is not None:
        return ()
    return (MISSING_LICENCE_NUMBER,)


def offered_credit(
    course: Course, provider: Provider, learner: Learner, completion_date: date, *, moc_consent: bool = False
) -> tuple[Offer, ...]:
    """Every designation of `course` this learner may claim for a completion on `completion_date`, in course order."""
    if not course_open_on(course, completion_date):
        return ()
    offers = []
    for designation in course.designations:
        approval = provider.approvals.get(designation.approval_id)
        if approval is None or not approval_fits(approval, learner) or not approval.valid_on(completion_date):
            continue
        missing = moc_missing(approval, learner, moc_consent) + reporting_missing(approval, learner)
        offers.append(Offer(designation, approval, missing))
    return tuple(offers)
