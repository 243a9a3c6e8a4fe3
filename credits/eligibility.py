"""Which credit a learner may claim for a course: pure functions over content and profile facts.

A designation is offered when (a) the course designates it, (b) the learner's profession is
one its approval covers and, for a state approval, the learner holds a licence in one of its
states of a type the approval covers, and (c) the approval holds on the completion date,
which also has to fall within the course's release and expiry dates. An approval that has
ended by the completion date is never offered; `ended_approvals` names those that would
otherwise fit, so the learner can be told why. A state approval carries the credit of the
designation it accepts (see course.content.model.Designation), and MOC credit that follows
the AMA PRA claim awards what the learner claimed there, never more: until that claim is
made it waits for it. MOC credit is offered to the learners it fits, but can be claimed only once
the learner has a board ID for that board, a birth month and day, and consents to ACCME
reporting. Credit the provider reports to CE Broker can be claimed only once the learner has
entered a licence number of the approval's state in a form that state's licences take.
`Offer.missing` says what is lacking.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from course.content.model import Approval, Course, Designation, Provider

MISSING_BOARD_ID = "board_id"
MISSING_BIRTH_DATE = "birth_date"
MISSING_CONSENT = "consent"
MISSING_LICENCE_NUMBER = "licence_number"
MISSING_CME_CLAIM = "cme_claim"


@dataclass(frozen=True)
class LicenceFact:
    state: str
    type: str | None  # one of course.core.reference.LICENCE_TYPES; None for a licence entered before types were asked
    number: str


@dataclass(frozen=True)
class Learner:
    """The profile facts eligibility depends on."""

    profession: str | None
    licence_states: frozenset[str] = frozenset()
    licence_numbers: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))  # state -> numbers
    board_ids: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # board -> id
    birth_month: int | None = None
    birth_day: int | None = None
    licences: tuple[LicenceFact, ...] = ()
    claimed: Mapping[str, Decimal] = field(default_factory=lambda: MappingProxyType({}))  # approval id -> amount held

    @property
    def has_birth_date(self) -> bool:
        return self.birth_month is not None and self.birth_day is not None


@dataclass(frozen=True)
class Offer:
    designation: Designation
    approval: Approval
    missing: tuple[str, ...] = ()  # MISSING_*; empty when it can be claimed
    follows_amount: Decimal | None = None  # for credit that follows another claim: what that claim awards
    licence: LicenceFact | None = None  # for a state approval: the licence it is offered for, printed on the certificate

    @property
    def approval_id(self) -> str:
        return self.approval.id

    @property
    def is_moc(self) -> bool:
        return self.approval.moc_board is not None

    @property
    def is_variable(self) -> bool:
        return self.designation.claim == "variable"

    @property
    def award(self) -> Decimal | None:
        """The amount awarded without the learner typing one; None for variable credit."""
        if self.is_variable:
            return None
        if self.designation.follows:
            return self.follows_amount
        return self.designation.amount


def licence_for(approval: Approval, learner: Learner) -> LicenceFact | None:
    """The learner's first licence that the approval covers: in one of its states (if it names any), of one
    of its licence types (if it names any)."""
    for licence in sorted(learner.licences, key=lambda fact: (fact.state, fact.type or "", fact.number)):
        if approval.states and licence.state not in approval.states:
            continue
        if approval.licence_types and licence.type not in approval.licence_types:
            continue
        return licence
    return None


def approval_fits(approval: Approval, learner: Learner) -> bool:
    """Rule (b): the learner's profession, and a licence the approval covers if it names states or licence types."""
    if learner.profession not in approval.professions:
        return False
    if approval.licence_types or (approval.states and learner.licences):
        return licence_for(approval, learner) is not None
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
        follows_amount = None
        if designation.follows:
            claimed = learner.claimed.get(designation.follows)
            if claimed is None:
                missing += (MISSING_CME_CLAIM,)
            else:
                follows_amount = min(claimed, designation.amount)
        licence = licence_for(approval, learner) if approval.states or approval.licence_types else None
        offers.append(Offer(designation, approval, missing, follows_amount, licence))
    return tuple(offers)


def ended_approvals(course: Course, provider: Provider, learner: Learner, day: date) -> tuple[Approval, ...]:
    """The approvals of `course` that fit the learner but no longer hold on `day` (or do not hold yet)."""
    found = []
    for designation in course.designations:
        approval = provider.approvals.get(designation.approval_id)
        if approval is not None and approval_fits(approval, learner) and not approval.valid_on(day):
            found.append(approval)
    return tuple(found)


def current_designations(course: Course, provider: Provider, day: date) -> tuple[Designation, ...]:
    """The designations whose approval holds on `day`: what the course page advertises."""
    return tuple(d for d in course.designations
                 if d.approval_id in provider.approvals and provider.approvals[d.approval_id].valid_on(day))



@dataclass(frozen=True)
class CourseStatements:
    """The prescribed statements a learner must see before starting, as the course page prints them."""

    accreditation: tuple[str, ...]  # the approvals' statements, each once, in provider.yaml order
    designation: tuple[str, ...]  # the designations' statements, in course order


def course_statements(course: Course, provider: Provider, day: date) -> CourseStatements:
    """Statements of the approvals the course names and of its designations whose approval holds on `day`."""
    current = current_designations(course, provider, day)
    wanted = set(course.accreditation_statements) | {d.approval_id for d in current}
    accreditation: list[str] = []
    for approval in provider.approvals.values():
        if approval.id in wanted and approval.valid_on(day) and approval.statement.strip() not in accreditation:
            accreditation.append(approval.statement.strip())
    return CourseStatements(tuple(accreditation), tuple(d.statement.strip() for d in current if d.statement))
