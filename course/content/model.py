"""The course catalogue as immutable objects: what the loader builds from the files under CONTENT_DIR."""
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Problem:
    """Something the content check found. An error keeps the file's course from loading; a
    warning (`warning=True`) is advice for the instructor and changes nothing that is served."""

    path: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"


def errors_in(problems) -> int:
    return sum(not problem.warning for problem in problems)


@dataclass(frozen=True)
class LicenceFormat:
    """One form a licence number takes in a state that reports through CE Broker, and its profession code."""

    pattern: str  # a regular expression the whole number must match (compared in upper case)
    profession_code: str  # CE Broker's code for the profession such licences belong to (RN, LPN...)
    example: str

    def matches(self, number: str) -> bool:
        return re.fullmatch(self.pattern, number.strip().upper()) is not None


@dataclass(frozen=True)
class CeBrokerReporting:
    """An approval whose completions the provider must report to CE Broker (provider.yaml `ce_broker:`)."""

    provider_number: str  # CE Broker provider tracking number, "50-" and digits
    deadline_days: int  # days from completion the rule allows for reporting
    licence_formats: tuple[LicenceFormat, ...]

    def format_of(self, number: str) -> LicenceFormat | None:
        return next((form for form in self.licence_formats if form.matches(number)), None)

    @property
    def examples(self) -> str:
        return " or ".join(form.example for form in self.licence_formats)


@dataclass(frozen=True)
class ParsReporting:
    """How an MOC approval's completions are reported to ACCME's PARS (provider.yaml `pars:`)."""

    credit_type: str | None  # the template's Credit Type for this board's credit; batching waits for it
    cme_approval: str | None  # the approval whose credit fills "Number of CME Credits"
    board_id_pattern: str | None  # a regular expression a board ID must match in full, where the board's form is known
    board_id_example: str | None
    deadline_days: int | None

    def board_id_fits(self, board_id: str) -> bool:
        return self.board_id_pattern is None or re.fullmatch(self.board_id_pattern, board_id.strip()) is not None


@dataclass(frozen=True)
class Approval:
    id: str
    body: str
    kind: str
    number: str | None
    valid_from: date | None
    valid_until: date | None
    professions: tuple[str, ...]  # in the order of course.core.reference.PROFESSIONS
    states: frozenset[str]
    moc_board: str | None
    statement: str  # as the accreditor prescribes it
    ce_broker: CeBrokerReporting | None = None
    pars: ParsReporting | None = None
    licence_types: frozenset[str] = frozenset()  # when set, only learners holding such a licence (in `states`, if any)

    def valid_on(self, day: date) -> bool:
        """Whether the approval holds on `day` (both ends inclusive)."""
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_until and day > self.valid_until)


@dataclass(frozen=True)
class Provider:
    name: str
    address: tuple[str, ...]
    approvals: Mapping[str, Approval]
    # The IANA zone whose calendar days certificates, exports and report filters use
    # (provider.yaml `time_zone`, e.g. America/Los_Angeles; UTC when not given).
    time_zone: str = "UTC"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class Objective:
    id: str
    text: str


@dataclass(frozen=True)
class Module:
    id: str
    title: str
    objective: str | None
    html: str
    cited: tuple[int, ...]


@dataclass(frozen=True)
class Question:
    id: str
    objective: str
    type: str
    stem_html: str
    options: tuple[tuple[str, str], ...]  # (option id, rendered html), in file order
    correct: frozenset[str]
    rationale_html: str
    reference: int
    topic: str | None = None  # one of the bank's topics, when the bank declares them


@dataclass(frozen=True)
class Topic:
    id: str
    title: str


@dataclass(frozen=True)
class QuestionBank:
    objective: str
    questions: tuple[Question, ...]
    version: str  # hash of the bank file; stored with each attempt drawn from it
    topics: tuple[Topic, ...] = ()  # the blueprint: every attempt draws across these


@dataclass(frozen=True)
class Reference:
    id: int
    citation: str
    doi: str | None
    url: str | None


@dataclass(frozen=True)
class Designation:
    """Credit a learner can claim under one approval.

    Most designations award credit of their own (ANCC: 1 contact hour). One with `accepts`
    is a state approval of the provider (course.yaml `state_approvals:`): it awards no credit
    of its own, but makes the credit of the designation it names acceptable to that board, so
    it carries that designation's amount and unit and a transcript counts the hour once. One
    with `follows` (MOC points) awards what the learner claimed under the designation it
    follows, never more than `amount`.
    """

    approval_id: str
    amount: Decimal  # the most a learner can be awarded
    unit: str
    claim: str  # "fixed" | "variable" (claimed in 0.25 steps up to amount)
    pharmacology_hours: Decimal | None
    accepts: str | None = None  # approval id of the designation whose credit this approval makes acceptable
    follows: str | None = None  # approval id of the designation whose claimed amount this one awards
    inferred: bool = False  # the amount is not stated by the source: the provider has to confirm it
    level: str | None = None  # the course level the accreditor asks to be shown (ASWB: intermediate to advanced)
    statement: str | None = None  # the designation statement, as the accreditor prescribes it

    @property
    def credit_of(self) -> str:
        """The approval id whose credit this is: the one it accepts, or its own."""
        return self.accepts or self.approval_id


@dataclass(frozen=True)
class Person:
    """Someone able to control the content (planner, author, reviewer) and what they disclosed."""

    name: str
    credentials: str | None
    relationships: str  # "No relevant financial relationships" or what they are, and how they were mitigated


@dataclass(frozen=True)
class Disclosure:
    planners: tuple[Person, ...] = ()
    authors: tuple[Person, ...] = ()
    reviewers: tuple[Person, ...] = ()

    @property
    def groups(self) -> tuple[tuple[str, tuple[Person, ...]], ...]:
        return (("Planners", self.planners), ("Authors", self.authors), ("Reviewers", self.reviewers))


@dataclass(frozen=True)
class QuizRules:
    questions_per_attempt: int
    reveal_answers: str
    max_attempts: int | None
    wait_minutes: int


@dataclass(frozen=True)
class EvaluationItem:
    id: str
    type: str
    text: str
    required: bool
    choices: tuple[str, ...]
    minimum: int | None
    maximum: int | None


@dataclass(frozen=True)
class Course:
    slug: str
    title: str
    summary_html: str
    audience: tuple[str, ...]
    audience_html: str
    format: str
    release_date: date
    expiry_date: date
    estimated_minutes: int
    pass_mark: int
    quiz: QuizRules
    objectives: tuple[Objective, ...]
    modules: tuple[Module, ...]
    statements: tuple[tuple[str, str], ...]  # (key, rendered html)
    designations: tuple[Designation, ...]
    banks: Mapping[str, QuestionBank]
    references: tuple[Reference, ...]
    evaluation: tuple[EvaluationItem, ...]
    version: str
    accme_activity_id: str | None = None  # PARS's Activity ID for this course, once registered
    ce_broker_course_number: str | None = None  # CE Broker course tracking number, "20-" and digits
    field_of_study: str | None = None  # the discipline the Open Badge names (Achievement.fieldOfStudy)
    disclosure: Disclosure = field(default_factory=Disclosure)
    accreditation_statements: tuple[str, ...] = ()  # approvals whose statements the course page shows besides its designations'

    @property
    def credit_designations(self) -> tuple[Designation, ...]:
        """The designations that award credit of their own."""
        return tuple(d for d in self.designations if d.accepts is None)

    @property
    def state_approvals(self) -> tuple[Designation, ...]:
        """The state approvals that make a designation's credit acceptable to a board."""
        return tuple(d for d in self.designations if d.accepts is not None)

    def designation(self, approval_id: str) -> Designation | None:
        return next((d for d in self.designations if d.approval_id == approval_id), None)

    def module(self, module_id: str) -> Module | None:
        return next((m for m in self.modules if m.id == module_id), None)

    def module_place(self, module: Module) -> tuple[int, Module | None, Module | None]:
        """The module's position (from 1) and the modules before and after it, for paging."""
        index = self.modules.index(module)
        following = self.modules[index + 1] if index + 1 < len(self.modules) else None
        return index + 1, self.modules[index - 1] if index > 0 else None, following

    def module_for_objective(self, objective_id: str) -> Module | None:
        return next((m for m in self.modules if m.objective == objective_id), None)

    def reference(self, number: int) -> Reference | None:
        return next((r for r in self.references if r.id == number), None)

    def references_for(self, numbers) -> tuple[Reference, ...]:
        wanted = set(numbers)
        return tuple(r for r in self.references if r.id in wanted)


@dataclass(frozen=True)
class CourseStatus:
    """What the instructors' status page shows for one course."""

    slug: str
    live_version: str | None
    loaded_at: datetime | None
    stale: bool  # files fail the check, an earlier valid version is serving
    problems: tuple[Problem, ...]  # errors
    warnings: tuple[Problem, ...] = ()
    # Where the serving version was read: "files" (the content folder, now or earlier in this
    # process) or "snapshot" (the stored last valid version, at start-up: course.content.snapshots).
    source: str = "files"


@dataclass(frozen=True)
class Catalogue:
    provider: Provider | None
    courses: Mapping[str, Course]
    problems: tuple[Problem, ...]  # errors
    statuses: Mapping[str, CourseStatus] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()

