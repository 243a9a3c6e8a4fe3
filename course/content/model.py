"""The course catalogue as immutable objects: what the loader builds from the files under CONTENT_DIR."""
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal


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
class Approval:
    id: str
    body: str
    kind: str
    number: str | None
    valid_from: date | None
    valid_until: date | None
    professions: frozenset[str]
    states: frozenset[str]
    moc_board: str | None
    statement: str

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
    approval_id: str
    amount: Decimal
    unit: str
    claim: str
    pharmacology_hours: Decimal | None


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


@dataclass(frozen=True)
class Catalogue:
    provider: Provider | None
    courses: Mapping[str, Course]
    problems: tuple[Problem, ...]  # errors
    statuses: Mapping[str, CourseStatus] = field(default_factory=dict)
    warnings: tuple[Problem, ...] = ()

