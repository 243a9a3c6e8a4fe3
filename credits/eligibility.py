"""Which credit a learner may claim for a course: pure functions over content and profile facts.

A designation is offered when (a) the course designates it, (b) the learner's profession is
one its approval covers and, for a state approval, the learner holds a licence in one of its
states, and (c) the approval holds on the completion date, which also has to fall within the
course's release and expiry dates. An approval that has ended by the completion date is
never offered. MOC credit is offered to the learners it fits, but can be claimed only once
the learner has a board ID for that board, a birth month and day, and consents to ACCME
reporting: `Offer.missing` says which of those are lacking.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from course.content.model import Approval, Course, Designation, Provider

MISSING_BOARD_ID = "board_id"
MISSING_BIRTH_DATE = "birth_date"
MISSING_CONSENT = "consent"


@dataclass(frozen=True)
class Learner:
    """The profile facts eligibility depends on."""

    profession: str | None
    licence_states: frozenset[str] = frozenset()
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
    missing: tuple[str, ...] = ()  # MISSING_* for MOC credit; empty when it can be claimed

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
        offers.append(Offer(designation, approval, moc_missing(approval, learner, moc_consent)))
    return tuple(offers)
