"""Course content: read from files under CONTENT_DIR into immutable objects, and checked.

`load_catalogue()` reads everything and returns the valid courses plus every problem found
(file, line, message). `ContentStore` keeps the result, re-reads only when a file changes,
and keeps serving the last valid version of anything that fails the check.
"""
import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType

from .content_yaml import LineList, LineMap, YamlProblem, parse_yaml
from .models import PROFESSIONS
from .rendering import EVIDENCE_CLOSE, EVIDENCE_OPEN, cited_numbers, render_markdown

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)
APPROVAL_KINDS = ("accreditation", "approval", "co-sponsorship", "agreement")
CLAIM_KINDS = ("fixed", "variable")
REVEAL_SETTINGS = ("after_pass", "always", "never")
QUESTION_TYPES = ("single", "multiple")
EVALUATION_TYPES = ("rating", "choice", "text", "number")
STATEMENT_KEYS = ("disclosure", "implicit_bias", "cultural_competency")
MOC_BOARDS = ("ABIM", "ABP", "ABA", "ABS", "ABPath")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


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
    problems: tuple[Problem, ...]


@dataclass(frozen=True)
class Catalogue:
    provider: Provider | None
    courses: Mapping[str, Course]
    problems: tuple[Problem, ...]
    statuses: Mapping[str, CourseStatus] = field(default_factory=dict)


class FileChecker:
    """Collects problems for one file while reading typed fields out of its YAML."""

    def __init__(self, path: Path, root: Path, problems: list[Problem]):
        self.path = path
        self.name = _display_path(path, root)
        self.problems = problems

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def mapping(self, data, line: int, what: str) -> LineMap | None:
        if isinstance(data, LineMap):
            return data
        if data is UNREADABLE:
            return None
        self.problem(line, f"{what} must be a mapping of keys to values")
        return None

    def field(self, data: LineMap, key: str, kind, *, required: bool = True, default=None):
        """Return data[key] if it has the right kind; record a problem otherwise."""
        if key not in data or data[key] is None:
            if required:
                self.problem(data.line, f"missing required field '{key}'")
            return default
        value, line = data[key], data.line_of(key)
        checker = _KINDS[kind]
        try:
            return checker(value)
        except (TypeError, ValueError, InvalidOperation) as error:
            self.problem(line, f"'{key}' {error}")
            return default

    def id_field(self, data: LineMap, key: str = "id") -> str | None:
        value = self.field(data, key, "text")
        if value is not None and not ID_RE.match(value):
            self.problem(data.line_of(key), f"'{key}' {value!r} must use lowercase letters, digits and hyphens")
            return None
        return value

    def unknown_keys(self, data: LineMap, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.problem(data.line_of(key), f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")


def _text(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("must be text")
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    return text


def _integer(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


def _decimal(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    number = Decimal(str(value))
    if number <= 0:
        raise ValueError("must be greater than zero")
    return number


def _date(value) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError("must be a date written as YYYY-MM-DD")
    return value


def _boolean(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _list(value) -> LineList:
    if not isinstance(value, LineList):
        raise ValueError("must be a list")
    return value


def _mapping(value) -> LineMap:
    if not isinstance(value, LineMap):
        raise ValueError("must be a mapping of keys to values")
    return value


def _text_list(value) -> tuple[str, ...]:
    return tuple(_text(item) for item in _list(value))


_KINDS = {
    "text": _text,
    "int": _integer,
    "decimal": _decimal,
    "date": _date,
    "bool": _boolean,
    "list": _list,
    "text_list": _text_list,
    "map": _mapping,
}


def _display_path(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


UNREADABLE = object()  # what _read_yaml_file returns after recording why it could not read


def _read_yaml_file(checker: FileChecker):
    try:
        return parse_yaml(checker.path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        checker.problem(1, "file is missing")
    except UnicodeDecodeError:
        checker.problem(1, "file is not UTF-8 text")
    except YamlProblem as error:
        checker.problem(error.line, error.message)
    return UNREADABLE


# --- provider -------------------------------------------------------------------------------

APPROVAL_FIELDS = {
    "id", "body", "kind", "number", "valid_from", "valid_until", "professions", "states",
    "moc_board", "statement",
}


def load_provider(root: Path, problems: list[Problem]) -> Provider | None:
    checker = FileChecker(root / "provider.yaml", root, problems)
    count = len(problems)
    data = checker.mapping(_read_yaml_file(checker), 1, "provider.yaml")
    if data is None:
        return None
    checker.unknown_keys(data, {"name", "address", "approvals"})
    name = checker.field(data, "name", "text")
    address = checker.field(data, "address", "text_list", default=())
    approvals: dict[str, Approval] = {}
    for index, item in enumerate(checker.field(data, "approvals", "list", default=LineList())):
        entry = checker.mapping(item, data["approvals"].line_of(index), "an approval")
        if entry is None:
            continue
        checker.unknown_keys(entry, APPROVAL_FIELDS)
        approval = _read_approval(checker, entry)
        if approval is None:
            continue
        if approval.id in approvals:
            checker.problem(entry.line, f"approval id '{approval.id}' is used twice")
        approvals[approval.id] = approval
    if len(problems) > count:
        return None
    return Provider(name=name, address=address, approvals=MappingProxyType(approvals))


def _read_approval(checker: FileChecker, entry: LineMap) -> Approval | None:
    approval_id = checker.id_field(entry)
    kind = checker.field(entry, "kind", "text")
    if kind is not None and kind not in APPROVAL_KINDS:
        checker.problem(entry.line_of("kind"), f"kind {kind!r} must be one of {', '.join(APPROVAL_KINDS)}")
    professions = checker.field(entry, "professions", "text_list", default=())
    for profession in professions:
        if profession not in PROFESSIONS:
            checker.problem(entry.line_of("professions"), f"unknown profession {profession!r}")
    states = checker.field(entry, "states", "text_list", required=False, default=())
    for state in states:
        if state not in US_STATES:
            checker.problem(entry.line_of("states"), f"unknown state {state!r} (use two-letter codes)")
    valid_from = checker.field(entry, "valid_from", "date", required=False)
    valid_until = checker.field(entry, "valid_until", "date", required=False)
    if valid_from and valid_until and valid_until < valid_from:
        checker.problem(entry.line_of("valid_until"), "valid_until is before valid_from")
    moc_board = checker.field(entry, "moc_board", "text", required=False)
    if moc_board is not None and moc_board not in MOC_BOARDS:
        checker.problem(entry.line_of("moc_board"), f"moc_board {moc_board!r} must be one of {', '.join(MOC_BOARDS)}")
    number = entry.get("number")
    if isinstance(number, (int, float)) and not isinstance(number, bool):
        number = str(number)
    body = checker.field(entry, "body", "text")
    statement = checker.field(entry, "statement", "text")
    if approval_id is None or body is None or statement is None:
        return None
    return Approval(
        id=approval_id, body=body, kind=kind, number=number or None, valid_from=valid_from,
        valid_until=valid_until, professions=frozenset(professions), states=frozenset(states),
        moc_board=moc_board, statement=statement,
    )


# --- course ---------------------------------------------------------------------------------

COURSE_FIELDS = {
    "title", "summary", "audience", "audience_text", "format", "release_date", "expiry_date",
    "estimated_minutes", "pass_mark", "quiz", "objectives", "modules", "statements", "designations",
}


def load_course(course_dir: Path, root: Path, provider: Provider | None, problems: list[Problem]) -> Course | None:
    """Read and check one course folder; return None if it has any problem."""
    count = len(problems)
    checker = FileChecker(course_dir / "course.yaml", root, problems)
    data = checker.mapping(_read_yaml_file(checker), 1, "course.yaml")
    if data is None:
        return None
    checker.unknown_keys(data, COURSE_FIELDS)
    references = _load_references(course_dir, root, problems)
    reference_ids = {r.id for r in references}

    objectives = _read_objectives(checker, data)
    objective_ids = {o.id for o in objectives}
    audience = checker.field(data, "audience", "text_list", default=())
    for profession in audience:
        if profession not in PROFESSIONS:
            checker.problem(data.line_of("audience"), f"unknown profession {profession!r}")
    release = checker.field(data, "release_date", "date")
    expiry = checker.field(data, "expiry_date", "date")
    if release and expiry and expiry <= release:
        checker.problem(data.line_of("expiry_date"), "expiry_date must be after release_date")
    pass_mark = checker.field(data, "pass_mark", "int")
    if pass_mark is not None and not 1 <= pass_mark <= 100:
        checker.problem(data.line_of("pass_mark"), "pass_mark must be a percentage from 1 to 100")
    minutes = checker.field(data, "estimated_minutes", "int")
    quiz = _read_quiz_rules(checker, data)
    statements = _read_statements(checker, data)
    designations = _read_designations(checker, data, provider)

    modules = _load_modules(checker, data, course_dir, root, objective_ids, reference_ids, problems)
    banks = _load_banks(course_dir, root, objective_ids, reference_ids, quiz, problems)
    for objective in objectives:
        if objective.id not in banks:
            checker.problem(data.line_of("objectives"), f"objective '{objective.id}' has no question bank quiz/{objective.id}.yaml")
        if not any(m.objective == objective.id for m in modules):
            checker.problem(data.line_of("objectives"), f"objective '{objective.id}' has no module")
    evaluation = _load_evaluation(course_dir, root, problems)

    if len(problems) > count:
        return None
    return Course(
        slug=course_dir.name,
        title=checker.field(data, "title", "text"),
        summary_html=render_markdown(checker.field(data, "summary", "text")),
        audience=audience,
        audience_html=render_markdown(checker.field(data, "audience_text", "text")),
        format=checker.field(data, "format", "text"),
        release_date=release,
        expiry_date=expiry,
        estimated_minutes=minutes,
        pass_mark=pass_mark,
        quiz=quiz,
        objectives=objectives,
        modules=modules,
        statements=statements,
        designations=designations,
        banks=MappingProxyType(banks),
        references=references,
        evaluation=evaluation,
        version=_tree_hash(course_dir, root / "provider.yaml"),
    )


def _read_objectives(checker: FileChecker, data: LineMap) -> tuple[Objective, ...]:
    objectives = []
    items = checker.field(data, "objectives", "list", default=LineList())
    if "objectives" in data and not items:
        checker.problem(data.line_of("objectives"), "a course needs at least one learning objective")
    for index, item in enumerate(items):
        entry = checker.mapping(item, items.line_of(index), "an objective")
        if entry is None:
            continue
        checker.unknown_keys(entry, {"id", "text"})
        objective_id, text = checker.id_field(entry), checker.field(entry, "text", "text")
        if objective_id in {o.id for o in objectives}:
            checker.problem(entry.line, f"objective id '{objective_id}' is used twice")
        if objective_id and text:
            objectives.append(Objective(objective_id, text))
    return tuple(objectives)


def _read_quiz_rules(checker: FileChecker, data: LineMap) -> QuizRules | None:
    quiz = checker.field(data, "quiz", "map")
    if quiz is None:
        return None
    checker.unknown_keys(quiz, {"questions_per_attempt", "reveal_answers", "max_attempts", "wait_minutes"})
    per_attempt = checker.field(quiz, "questions_per_attempt", "int")
    if per_attempt is not None and per_attempt < 1:
        checker.problem(quiz.line_of("questions_per_attempt"), "questions_per_attempt must be at least 1")
    reveal = checker.field(quiz, "reveal_answers", "text", required=False, default="after_pass")
    if reveal not in REVEAL_SETTINGS:
        checker.problem(quiz.line_of("reveal_answers"), f"reveal_answers must be one of {', '.join(REVEAL_SETTINGS)}")
    max_attempts = checker.field(quiz, "max_attempts", "int", required=False)
    if max_attempts is not None and max_attempts < 1:
        checker.problem(quiz.line_of("max_attempts"), "max_attempts must be at least 1, or null for unlimited")
    wait = checker.field(quiz, "wait_minutes", "int", required=False, default=0)
    if wait is not None and wait < 0:
        checker.problem(quiz.line_of("wait_minutes"), "wait_minutes must not be negative")
    return QuizRules(per_attempt, reveal, max_attempts, wait)


def _read_statements(checker: FileChecker, data: LineMap) -> tuple[tuple[str, str], ...]:
    statements = checker.field(data, "statements", "map", required=False)
    if statements is None:
        return ()
    checker.unknown_keys(statements, set(STATEMENT_KEYS))
    return tuple(
        (key, render_markdown(text))
        for key in STATEMENT_KEYS
        if (text := checker.field(statements, key, "text", required=False))
    )


def _read_designations(checker: FileChecker, data: LineMap, provider: Provider | None) -> tuple[Designation, ...]:
    designations = []
    items = checker.field(data, "designations", "list", required=False, default=LineList())
    for index, item in enumerate(items):
        entry = checker.mapping(item, items.line_of(index), "a designation")
        if entry is None:
            continue
        checker.unknown_keys(entry, {"approval", "amount", "unit", "claim", "pharmacology_hours"})
        approval_id = checker.field(entry, "approval", "text")
        if approval_id and provider is not None and approval_id not in provider.approvals:
            checker.problem(entry.line_of("approval"), f"designation for '{approval_id}', which provider.yaml does not list")
        if approval_id in {d.approval_id for d in designations}:
            checker.problem(entry.line_of("approval"), f"'{approval_id}' is designated twice")
        amount = checker.field(entry, "amount", "decimal")
        claim = checker.field(entry, "claim", "text", required=False, default="fixed")
        if claim not in CLAIM_KINDS:
            checker.problem(entry.line_of("claim"), f"claim must be one of {', '.join(CLAIM_KINDS)}")
        elif claim == "variable" and amount is not None and amount % Decimal("0.25"):
            checker.problem(entry.line_of("amount"), "a variable credit's amount must be a multiple of 0.25")
        pharmacology = checker.field(entry, "pharmacology_hours", "decimal", required=False)
        if pharmacology is not None and amount is not None and pharmacology > amount:
            checker.problem(entry.line_of("pharmacology_hours"), "pharmacology_hours exceed the amount designated")
        unit = checker.field(entry, "unit", "text")
        if approval_id and amount is not None and unit:
            designations.append(Designation(approval_id, amount, unit, claim, pharmacology))
    return tuple(designations)


def _load_references(course_dir: Path, root: Path, problems: list[Problem]) -> tuple[Reference, ...]:
    checker = FileChecker(course_dir / "references.yaml", root, problems)
    data = checker.mapping(_read_yaml_file(checker), 1, "references.yaml")
    if data is None:
        return ()
    references = []
    items = checker.field(data, "references", "list", default=LineList())
    for index, item in enumerate(items):
        entry = checker.mapping(item, items.line_of(index), "a reference")
        if entry is None:
            continue
        checker.unknown_keys(entry, {"id", "citation", "doi", "url"})
        number = checker.field(entry, "id", "int")
        citation = checker.field(entry, "citation", "text")
        if number is not None and number in {r.id for r in references}:
            checker.problem(entry.line_of("id"), f"reference {number} is listed twice")
        url = checker.field(entry, "url", "text", required=False)
        if url and not url.startswith(("https://", "http://")):
            checker.problem(entry.line_of("url"), "url must start with https:// or http://")
        if number is not None and citation:
            references.append(Reference(number, citation, checker.field(entry, "doi", "text", required=False), url))
    return tuple(sorted(references, key=lambda r: r.id))


def _load_modules(course_checker, data, course_dir, root, objective_ids, reference_ids, problems) -> tuple[Module, ...]:
    modules = []
    module_ids = course_checker.field(data, "modules", "text_list", default=())
    for index, module_id in enumerate(module_ids):
        line = data["modules"].line_of(index)
        path = course_dir / "modules" / f"{module_id}.md"
        if not ID_RE.match(module_id):
            course_checker.problem(line, f"module id {module_id!r} must use lowercase letters, digits and hyphens")
            continue
        if not path.is_file():
            course_checker.problem(line, f"module '{module_id}' has no file modules/{module_id}.md")
            continue
        module = _load_module(FileChecker(path, root, problems), module_id, objective_ids, reference_ids)
        if module is not None:
            modules.append(module)
    listed = set(module_ids)
    for path in sorted((course_dir / "modules").glob("*.md")):
        if path.stem not in listed:
            course_checker.problem(data.line_of("modules"), f"modules/{path.name} is not listed in 'modules'")
    return tuple(modules)


def _load_module(checker: FileChecker, module_id: str, objective_ids: set[str], reference_ids: set[int]) -> Module | None:
    try:
        text = checker.path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        checker.problem(1, "file is not UTF-8 text")
        return None
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        checker.problem(1, "a module must start with YAML front matter between '---' lines")
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        checker.problem(1, "front matter is not closed by a '---' line")
        return None
    try:
        front = parse_yaml("\n".join(lines[1:end]), first_line=2)
    except YamlProblem as error:
        checker.problem(error.line, error.message)
        return None
    front = checker.mapping(front, 1, "front matter")
    if front is None:
        return None
    checker.unknown_keys(front, {"title", "objective"})
    title = checker.field(front, "title", "text")
    objective = checker.field(front, "objective", "text", required=False)
    if objective is not None and objective not in objective_ids:
        checker.problem(front.line_of("objective"), f"unknown objective '{objective}'")
    body_lines = lines[end + 1:]
    cited = _check_body(checker, body_lines, end + 2, reference_ids)
    if title is None:
        return None
    return Module(module_id, title, objective, render_markdown("\n".join(body_lines)), tuple(cited))


def _check_body(checker: FileChecker, lines: list[str], first_line: int, reference_ids: set[int]) -> list[int]:
    """Check citations and evidence blocks in Markdown; return the cited numbers in order."""
    cited: list[int] = []
    open_line = None
    for offset, line in enumerate(lines):
        number = first_line + offset
        if line.startswith(":::evidence"):
            match = EVIDENCE_OPEN.match(line)
            if open_line is not None:
                checker.problem(number, f"evidence block opened on line {open_line} is not closed before this one")
            open_line = number
            if match is None or 'source="' not in line or 'strength="' not in line:
                checker.problem(number, 'an evidence block needs source="..." and strength="..."')
        elif line.strip() == EVIDENCE_CLOSE:
            if open_line is None:
                checker.problem(number, "':::' closes no evidence block")
            open_line = None
        for cited_number in cited_numbers(line):
            if cited_number not in reference_ids:
                checker.problem(number, f"cites reference [{cited_number}], which references.yaml does not list")
            elif cited_number not in cited:
                cited.append(cited_number)
    if open_line is not None:
        checker.problem(open_line, "evidence block is not closed with ':::'")
    return cited


QUESTION_FIELDS = {"id", "type", "stem", "options", "correct", "rationale", "reference", "topic"}
MIN_QUESTIONS_PER_TOPIC = 2


def _load_banks(course_dir, root, objective_ids, reference_ids, quiz, problems) -> dict[str, QuestionBank]:
    banks: dict[str, QuestionBank] = {}
    question_ids: set[str] = set()
    for path in sorted((course_dir / "quiz").glob("*.yaml")):
        checker = FileChecker(path, root, problems)
        data = checker.mapping(_read_yaml_file(checker), 1, "a question bank")
        if data is None:
            continue
        checker.unknown_keys(data, {"objective", "topics", "questions"})
        objective = checker.field(data, "objective", "text")
        topics = _read_topics(checker, data)
        if objective is not None and objective not in objective_ids:
            checker.problem(data.line_of("objective"), f"unknown objective '{objective}'")
            continue
        if objective in banks:
            checker.problem(data.line_of("objective"), f"objective '{objective}' already has a question bank")
            continue
        questions = []
        items = checker.field(data, "questions", "list", default=LineList())
        for index, item in enumerate(items):
            entry = checker.mapping(item, items.line_of(index), "a question")
            if entry is None:
                continue
            question = _read_question(checker, entry, objective, reference_ids, topics)
            if question is None:
                continue
            if question.id in question_ids:
                checker.problem(entry.line_of("id"), f"question id '{question.id}' is used twice in this course")
            question_ids.add(question.id)
            questions.append(question)
        if objective is None:
            continue
        if quiz and quiz.questions_per_attempt and len(questions) < quiz.questions_per_attempt:
            checker.problem(
                data.line_of("questions"),
                f"the bank has {len(questions)} questions but each attempt draws {quiz.questions_per_attempt}",
            )
        _check_topics(checker, data, topics, questions, quiz)
        banks[objective] = QuestionBank(objective, tuple(questions), _file_hash(path), topics)
    return banks


def _read_topics(checker: FileChecker, data: LineMap) -> tuple[Topic, ...]:
    topics: list[Topic] = []
    items = checker.field(data, "topics", "list", required=False, default=LineList())
    for index, item in enumerate(items):
        entry = checker.mapping(item, items.line_of(index), "a topic")
        if entry is None:
            continue
        checker.unknown_keys(entry, {"id", "title"})
        topic_id, title = checker.id_field(entry), checker.field(entry, "title", "text")
        if topic_id in {t.id for t in topics}:
            checker.problem(entry.line, f"topic id '{topic_id}' is used twice")
        elif topic_id and title:
            topics.append(Topic(topic_id, title))
    return tuple(topics)


def _check_topics(checker: FileChecker, data: LineMap, topics, questions, quiz) -> None:
    """A blueprint an attempt can cover: no more topics than questions drawn, two questions or more each."""
    if not topics:
        return
    line = data.line_of("topics")
    if quiz and quiz.questions_per_attempt and len(topics) > quiz.questions_per_attempt:
        checker.problem(line, f"the bank has {len(topics)} topics but each attempt draws "
                              f"{quiz.questions_per_attempt} questions, so an attempt could not cover them all")
    for topic in topics:
        count = sum(q.topic == topic.id for q in questions)
        if count < MIN_QUESTIONS_PER_TOPIC:
            checker.problem(line, f"topic '{topic.id}' has {count} question(s); each topic needs at least "
                                  f"{MIN_QUESTIONS_PER_TOPIC} so that a retake can draw another")


def _read_question(checker: FileChecker, entry: LineMap, objective: str | None, reference_ids: set[int],
                   topics: tuple[Topic, ...] = ()) -> Question | None:
    checker.unknown_keys(entry, QUESTION_FIELDS)
    count = len(checker.problems)
    question_id = checker.id_field(entry)
    topic = checker.field(entry, "topic", "text", required=bool(topics))
    if topic is not None and topic not in {t.id for t in topics}:
        checker.problem(entry.line_of("topic"), f"unknown topic '{topic}' (the bank's topics: "
                                                f"{', '.join(t.id for t in topics) or 'none declared'})")
    kind = checker.field(entry, "type", "text")
    if kind is not None and kind not in QUESTION_TYPES:
        checker.problem(entry.line_of("type"), f"type must be one of {', '.join(QUESTION_TYPES)}")
    stem = checker.field(entry, "stem", "text")
    rationale = checker.field(entry, "rationale", "text")
    reference = checker.field(entry, "reference", "int")
    if reference is not None and reference not in reference_ids:
        checker.problem(entry.line_of("reference"), f"reference {reference} is not in references.yaml")
    options = checker.field(entry, "options", "map", default=LineMap())
    if "options" in entry and len(options) < 2:
        checker.problem(entry.line_of("options"), "a question needs at least two options")
    option_items = []
    for option_id, text in options.items():
        if not isinstance(option_id, str) or not ID_RE.match(option_id):
            checker.problem(options.line_of(option_id), f"option id {option_id!r} must be lowercase letters or digits")
            continue
        option_text = checker.field(options, option_id, "text")
        if option_text:
            option_items.append((option_id, option_text))
    correct = checker.field(entry, "correct", "text_list", default=())
    if "correct" in entry and not correct:
        checker.problem(entry.line_of("correct"), "a question needs at least one correct option")
    for option_id in correct:
        if option_id not in options:
            checker.problem(entry.line_of("correct"), f"correct option '{option_id}' is not one of the options")
    if len(set(correct)) != len(correct):
        checker.problem(entry.line_of("correct"), "an option is listed as correct twice")
    if kind == "single" and len(correct) != 1:
        checker.problem(entry.line_of("correct"), f"a single-answer question needs exactly one correct option, not {len(correct)}")
    if kind == "multiple" and len(correct) < 2:
        checker.problem(entry.line_of("correct"), "a multiple-answer question needs two or more correct options")
    if len(checker.problems) > count or objective is None:
        return None
    return Question(
        id=question_id, objective=objective, type=kind, stem_html=render_markdown(stem),
        options=tuple((option_id, render_markdown(text)) for option_id, text in option_items),
        correct=frozenset(correct), rationale_html=render_markdown(rationale), reference=reference, topic=topic,
    )


def _load_evaluation(course_dir: Path, root: Path, problems: list[Problem]) -> tuple[EvaluationItem, ...]:
    checker = FileChecker(course_dir / "evaluation.yaml", root, problems)
    data = checker.mapping(_read_yaml_file(checker), 1, "evaluation.yaml")
    if data is None:
        return ()
    checker.unknown_keys(data, {"scales", "items"})
    scales = checker.field(data, "scales", "map", required=False, default=LineMap())
    items = []
    for index, item in enumerate(checker.field(data, "items", "list", default=LineList())):
        entry = checker.mapping(item, data["items"].line_of(index), "an evaluation item")
        if entry is None:
            continue
        checker.unknown_keys(entry, {"id", "type", "text", "required", "scale", "options", "min", "max"})
        item_id = checker.id_field(entry)
        kind = checker.field(entry, "type", "text")
        text = checker.field(entry, "text", "text")
        required = checker.field(entry, "required", "bool", required=False, default=False)
        choices: tuple[str, ...] = ()
        if kind == "rating":
            scale = checker.field(entry, "scale", "text")
            if scale is not None and scale not in scales:
                checker.problem(entry.line_of("scale"), f"unknown scale '{scale}'")
            elif scale is not None:
                choices = checker.field(scales, scale, "text_list", default=())
        elif kind == "choice":
            choices = checker.field(entry, "options", "text_list", default=())
        elif kind not in EVALUATION_TYPES and kind is not None:
            checker.problem(entry.line_of("type"), f"type must be one of {', '.join(EVALUATION_TYPES)}")
        if kind in ("rating", "choice") and len(choices) < 2:
            checker.problem(entry.line, "a rating or choice item needs at least two options")
        minimum = checker.field(entry, "min", "int", required=False)
        maximum = checker.field(entry, "max", "int", required=False)
        if item_id in {i.id for i in items}:
            checker.problem(entry.line, f"evaluation item id '{item_id}' is used twice")
        if item_id and kind and text:
            items.append(EvaluationItem(item_id, kind, text, required, choices, minimum, maximum))
    return tuple(items)


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _tree_hash(course_dir: Path, *extra: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in course_dir.rglob("*") if p.is_file()) + list(extra):
        digest.update(str(path.relative_to(course_dir.parent)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def course_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "course.yaml").exists())


def load_catalogue(root: Path, previous: Catalogue | None = None) -> Catalogue:
    """Read all content under `root`.

    A course whose files fail the check is left out, or, if `previous` had a valid version
    of it, that version keeps serving (and its status says it is stale).
    """
    root = Path(root)
    problems: list[Problem] = []
    now = datetime.now(UTC)
    provider = load_provider(root, problems)
    provider_failed = provider is None
    if provider_failed and previous is not None:
        provider = previous.provider
    courses: dict[str, Course] = {}
    statuses: dict[str, CourseStatus] = {}
    for course_dir in course_dirs(root):
        course_problems: list[Problem] = []
        course = load_course(course_dir, root, provider, course_problems)
        problems.extend(course_problems)
        slug = course_dir.name
        old_status = previous.statuses.get(slug) if previous else None
        if course is not None and not provider_failed:
            unchanged = previous is not None and slug in previous.courses and previous.courses[slug].version == course.version
            courses[slug] = previous.courses[slug] if unchanged else course
            loaded_at = old_status.loaded_at if unchanged and old_status else now
            statuses[slug] = CourseStatus(slug, course.version, loaded_at, False, ())
        elif previous is not None and slug in previous.courses:
            courses[slug] = previous.courses[slug]
            loaded_at = old_status.loaded_at if old_status else None
            statuses[slug] = CourseStatus(slug, courses[slug].version, loaded_at, True, tuple(course_problems))
        else:
            statuses[slug] = CourseStatus(slug, None, None, False, tuple(course_problems))
    return Catalogue(provider, MappingProxyType(courses), tuple(problems), MappingProxyType(statuses))


def content_fingerprint(root: Path) -> tuple:
    """Cheap signature of every file under `root`: changes when any file is edited, added or removed."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            try:
                stat = os.stat(os.path.join(dirpath, filename))
            except FileNotFoundError:
                continue
            entries.append((dirpath, filename, stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


class ContentStore:
    """The catalogue for one content folder, re-read when (and only when) a file changes.

    Looking for changes stats every file, so it is done at most once every `recheck_seconds`
    (production: a couple of seconds; development and tests: on every request).
    """

    def __init__(self, root: Path, recheck_seconds: float = 0.0, clock: Callable[[], float] = time.monotonic):
        self.root = Path(root)
        self.recheck_seconds = recheck_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._fingerprint: tuple | None = None
        self._catalogue: Catalogue | None = None
        self._checked_at = float("-inf")

    def catalogue(self) -> Catalogue:
        checked_at = self._clock()
        if self._catalogue is not None and checked_at - self._checked_at < self.recheck_seconds:
            return self._catalogue
        fingerprint = content_fingerprint(self.root)
        if fingerprint != self._fingerprint:
            with self._lock:
                if fingerprint != self._fingerprint:
                    self._catalogue = load_catalogue(self.root, self._catalogue)
                    self._fingerprint = fingerprint
        self._checked_at = checked_at
        return self._catalogue
