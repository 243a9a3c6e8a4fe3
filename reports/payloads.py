"""What a report record sends, and pre-validation: each record checked as the regulator will check it.

`prepare` takes the plain facts of one record (its certificate, the learner's profile now, the
catalogue) and returns the learner data to write into the regulator's file, or the problems
that keep it out of a batch, each saying what to fix and who can fix it (the learner, in their
profile, or an administrator, in content/ or by hand at the regulator).

A delete sends back exactly the data its regulator holds (what the replaced record sent); an
add or a correction is built afresh from the profile, so a learner's fix reaches the next batch.
"""
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from course.content.model import Approval, Catalogue, Course
from course.core.filters import format_amount
from course.core.reference import BOARDS
from credits.eligibility import Learner, reportable_licence

LEARNER = "learner"
ADMINISTRATOR = "administrator"
DAYS_IN_MONTH = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}  # others 31; 29 February is a birthday


@dataclass(frozen=True)
class Problem:
    fixer: str  # LEARNER | ADMINISTRATOR
    message: str


@dataclass(frozen=True)
class Subject:
    """The facts one record's data comes from."""

    regulator: str
    action: str
    course_slug: str
    approval_id: str
    completion_date: date
    amount: Decimal
    moc_board: str | None
    first_name: str
    last_name: str
    birth_month: int | None
    birth_day: int | None
    board_ids: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    licences: tuple[tuple[str, str], ...] = ()  # (state, number)
    cme_amount: Decimal | None = None  # the learner's valid CME credit for the course (PARS)
    previous: dict | None = None  # for a correction or delete: the data the regulator holds


@dataclass(frozen=True)
class Prepared:
    payload: dict | None
    problems: tuple[Problem, ...]

    @property
    def ready(self) -> bool:
        return self.payload is not None and not self.problems

    def for_learner(self) -> str | None:
        """What the learner must change, in one paragraph, or None."""
        messages = [problem.message for problem in self.problems if problem.fixer == LEARNER]
        return " ".join(messages) or None


def prepare(subject: Subject, catalogue: Catalogue) -> Prepared:
    if subject.action == "delete":
        if subject.previous is None:
            return Prepared(None, (Problem(ADMINISTRATOR, "Nothing was sent for this certificate, so there is nothing "
                                                          "to delete; mark the record rejected with the reason."),))
        return Prepared(subject.previous, ())
    course = catalogue.courses.get(subject.course_slug)
    approval = catalogue.provider.approvals.get(subject.approval_id) if catalogue.provider else None
    if course is None or approval is None:
        return Prepared(None, (Problem(ADMINISTRATOR, f"The course '{subject.course_slug}' or the approval "
                                                      f"'{subject.approval_id}' is no longer in content/: restore it "
                                                      "or report this completion by hand."),))
    if subject.regulator == "pars":
        return _pars(subject, course, approval, catalogue)
    return _ce_broker(subject, course, approval)


def _amount_problem(course: Course, approval_id: str, amount: Decimal | None, what: str) -> Problem | None:
    """Credit outside what the course designates for the approval (the regulators refuse it)."""
    designation = next((d for d in course.designations if d.approval_id == approval_id), None)
    if designation is None:
        return Problem(ADMINISTRATOR, f"The course no longer designates {what} ('{approval_id}' in course.yaml).")
    if amount is None or amount <= 0 or amount > designation.amount:
        return Problem(ADMINISTRATOR, f"{what} of {format_amount(amount or 0)} is outside the designation "
                                      f"(up to {format_amount(designation.amount)}): correct the certificate.")
    return None


def _birth_date_problem(month: int | None, day: int | None) -> Problem | None:
    if month is None or day is None:
        return Problem(LEARNER, "Enter your birth month and day in your profile.")
    if not 1 <= month <= 12 or not 1 <= day <= DAYS_IN_MONTH.get(month, 31):
        return Problem(LEARNER, f"Your birth month and day ({month}/{day}) are not a date: correct them in your profile.")
    return None


def _pars(subject: Subject, course: Course, approval: Approval, catalogue: Catalogue) -> Prepared:
    problems = []
    pars = approval.pars
    board = subject.moc_board or approval.moc_board
    if pars is None:
        problems.append(Problem(ADMINISTRATOR, f"Add a pars: block to the approval '{approval.id}' in "
                                               "content/provider.yaml."))
    elif not pars.credit_type:
        problems.append(Problem(ADMINISTRATOR, f"Set pars.credit_type for '{approval.id}' in content/provider.yaml "
                                               "(the Credit Type PARS registered for the activity)."))
    if not course.accme_activity_id:
        problems.append(Problem(ADMINISTRATOR, f"Set reporting.accme_activity_id in content/{course.slug}/course.yaml "
                                               "(the Activity ID PARS gave the course)."))
    if not subject.first_name.strip() or not subject.last_name.strip():
        problems.append(Problem(LEARNER, "Enter your first and last name in your profile."))
    board_id = (subject.board_ids.get(board) or "").strip()
    board_name = f"{BOARDS.get(board, board)} ({board})"
    if not board_id:
        problems.append(Problem(LEARNER, f"Enter your {board_name} ID in your profile."))
    elif pars is not None and not pars.board_id_fits(board_id):
        problems.append(Problem(LEARNER, f"Your {board} ID {board_id!r} is not in the form {board} uses "
                                         f"(such as {pars.board_id_example}): correct it in your profile."))
    birth = _birth_date_problem(subject.birth_month, subject.birth_day)
    if birth:
        problems.append(birth)
    amount = _amount_problem(course, approval.id, subject.amount, f"{board} MOC credit")
    if amount:
        problems.append(amount)
    cme_approval = pars.cme_approval if pars else None
    if cme_approval and subject.cme_amount is not None:
        cme = _amount_problem(course, cme_approval, subject.cme_amount, "CME credit")
        if cme:
            problems.append(cme)
    if problems:
        return Prepared(None, tuple(problems))
    return Prepared({
        "activity_id": course.accme_activity_id,
        "completion_date": subject.completion_date.isoformat(),
        "first_name": subject.first_name.strip(),
        "last_name": subject.last_name.strip(),
        "birth_month": subject.birth_month,
        "birth_day": subject.birth_day,
        "licensing_state": "",
        "licensing_id": "",
        "cme_credits": format_amount(subject.cme_amount) if subject.cme_amount is not None else "",
        "board": board,
        "board_id": board_id,
        "board_credits": format_amount(subject.amount),
        "credit_type": pars.credit_type,
        "credit_type_credits": format_amount(subject.amount),
    }, ())


def _ce_broker(subject: Subject, course: Course, approval: Approval) -> Prepared:
    problems = []
    ce_broker = approval.ce_broker
    if ce_broker is None:
        return Prepared(None, (Problem(ADMINISTRATOR, f"The approval '{approval.id}' no longer names ce_broker "
                                                      "reporting in content/provider.yaml."),))
    if not course.ce_broker_course_number:
        problems.append(Problem(ADMINISTRATOR, f"Set reporting.ce_broker_course_number in content/{course.slug}/"
                                               "course.yaml (the course tracking number CE Broker gave the course)."))
    states = frozenset(state for state, _ in subject.licences)
    numbers = {state: tuple(number for s, number in subject.licences if s == state) for state in states}
    licence = reportable_licence(approval, Learner(profession=None, licence_states=states,
                                                   licence_numbers=MappingProxyType(numbers)))
    if licence is None:
        problems.append(Problem(LEARNER, f"Enter your {' or '.join(sorted(approval.states))} licence number in your "
                                         f"profile as the state writes it, such as {ce_broker.examples}."))
    designation = next((d for d in course.designations if d.approval_id == approval.id), None)
    if designation is None or subject.amount != designation.amount:
        problems.append(Problem(ADMINISTRATOR, "CE Broker's roster upload awards the course's full hours; this "
                                               "certificate's credit differs, so post it by hand in CE Broker."))
    if problems:
        return Prepared(None, tuple(problems))
    state, number = licence
    return Prepared({
        "provider_number": _digits_after(ce_broker.provider_number, "50-"),
        "course_number": _digits_after(course.ce_broker_course_number, "20-"),
        "licence_number": number.strip().upper(),
        "completion_date": subject.completion_date.isoformat(),
        "state": state,
        "profession_code": ce_broker.format_of(number).profession_code,
        "hours": format_amount(subject.amount),
    }, ())


def _digits_after(number: str, prefix: str) -> str:
    """CE Broker's columns take the tracking numbers without their 50- / 20- prefixes."""
    return re.sub(rf"^{re.escape(prefix)}", "", number)
