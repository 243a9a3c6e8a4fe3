"""Course content: read from the files under CONTENT_DIR into the catalogue's objects, and checked.

`load_catalogue()` reads everything and returns the valid courses plus every problem found
(file, line, message). A course whose files fail the check keeps its last valid version
serving when the caller passes the previous catalogue (see store.ContentStore).
"""
import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from course.core.reference import BOARDS, LICENCE_TYPES, PROFESSIONS, US_STATES

from .checker import ID_RE, FileChecker, read_yaml_file
from .snapshots import Snapshot, current_snapshot, save_snapshot
from .markdown import EVIDENCE_CLOSE, EVIDENCE_OPEN, cited_numbers, render_markdown
from .model import (
    Approval, Catalogue, CeBrokerReporting, Course, CourseStatus, Designation, Disclosure, EvaluationItem, LicenceFormat, Module, Objective, ParsReporting, Person, Problem,
    Provider, Question, QuestionBank, QuizRules, Reference, Topic, errors_in,
)
from .quality import TIME_TOLERANCE, longest_keys, option_letter_named, time_estimate
from .yaml_lines import LineList, LineMap, YamlProblem, parse_yaml

APPROVAL_KINDS = ("accreditation", "approval", "co-sponsorship", "agreement")
CLAIM_KINDS = ("fixed", "variable")
REVEAL_SETTINGS = ("after_pass", "always", "never")
QUESTION_TYPES = ("single", "multiple")
EVALUATION_TYPES = ("rating", "choice", "text", "number")
STATEMENT_KEYS = ("disclosure", "implicit_bias", "cultural_competency")


# --- provider -------------------------------------------------------------------------------

APPROVAL_FIELDS = {
    "id", "body", "kind", "number", "valid_from", "valid_until", "professions", "states",
    "moc_board", "statement", "ce_broker", "pars", "licence_types",
}
CE_BROKER_PROVIDER_RE = re.compile(r"50-\d{1,9}")
CE_BROKER_COURSE_RE = re.compile(r"20-\d{1,9}")


def load_provider(root: Path, problems: list[Problem]) -> Provider | None:
    checker = FileChecker(root / "provider.yaml", root, problems)
    count = errors_in(problems)
    data = checker.mapping(read_yaml_file(checker), 1, "provider.yaml")
    if data is None:
        return None
    checker.unknown_keys(data, {"name", "address", "time_zone", "approvals"})
    name = checker.field(data, "name", "text")
    address = checker.field(data, "address", "text_list", default=())
    time_zone = checker.field(data, "time_zone", "text", required=False, default="UTC")
    if time_zone is not None:
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            checker.problem(data.line_of("time_zone"), f"unknown time zone {time_zone!r}: use an IANA name such as "
                                                       "America/Los_Angeles or America/New_York")
    approvals: dict[str, Approval] = {}
    for entry in checker.entries(data, "approvals", "an approval"):
        checker.unknown_keys(entry, APPROVAL_FIELDS)
        approval = _read_approval(checker, entry)
        if approval is None:
            continue
        if approval.id in approvals:
            checker.problem(entry.line, f"approval id '{approval.id}' is used twice")
        approvals[approval.id] = approval
    for approval in approvals.values():
        if approval.pars and approval.pars.cme_approval and approval.pars.cme_approval not in approvals:
            checker.problem(data.line_of("approvals"), f"approval '{approval.id}': pars.cme_approval "
                                                       f"'{approval.pars.cme_approval}' is not an approval listed here")
    if errors_in(problems) > count:
        return None
    return Provider(name=name, address=address, approvals=MappingProxyType(approvals), time_zone=time_zone)


def _pattern(checker: FileChecker, entry: LineMap, key: str, required: bool = True) -> str | None:
    pattern = checker.field(entry, key, "text", required=required)
    if pattern is None:
        return None
    try:
        re.compile(pattern)
    except re.error as error:
        checker.problem(entry.line_of(key), f"'{key}' is not a valid regular expression: {error}")
        return None
    return pattern


def _example_fits(checker: FileChecker, entry: LineMap, pattern: str | None, example: str | None, key: str) -> None:
    if pattern and example and not re.fullmatch(pattern, example):
        checker.problem(entry.line_of(key), f"the example {example!r} does not match the pattern {pattern!r}")


def _read_ce_broker(checker: FileChecker, entry: LineMap, states) -> CeBrokerReporting | None:
    """The `ce_broker:` block of an approval: provider number, reporting deadline, licence number formats."""
    block = checker.field(entry, "ce_broker", "map", required=False)
    if block is None:
        return None
    checker.unknown_keys(block, {"provider_number", "deadline_days", "licence_formats"})
    if not states:
        checker.problem(block.line, "ce_broker reporting needs the approval's states (the licences it reports)")
    provider_number = checker.field(block, "provider_number", "text")
    if provider_number and not CE_BROKER_PROVIDER_RE.fullmatch(provider_number):
        checker.problem(block.line_of("provider_number"), "provider_number is CE Broker's tracking number: 50- and digits")
    deadline = checker.field(block, "deadline_days", "int")
    if deadline is not None and deadline < 1:
        checker.problem(block.line_of("deadline_days"), "deadline_days must be at least 1")
    formats = []
    for item in checker.entries(block, "licence_formats", "a licence format"):
        checker.unknown_keys(item, {"pattern", "profession_code", "example"})
        pattern = _pattern(checker, item, "pattern")
        code = checker.field(item, "profession_code", "text")
        example = checker.field(item, "example", "text")
        _example_fits(checker, item, pattern, example, "example")
        if pattern and code and example:
            formats.append(LicenceFormat(pattern, code, example))
    if not formats:
        checker.problem(block.line, "ce_broker needs at least one licence format")
    if provider_number is None or deadline is None or not formats:
        return None
    return CeBrokerReporting(provider_number, deadline, tuple(formats))


def _read_pars(checker: FileChecker, entry: LineMap, moc_board: str | None) -> ParsReporting | None:
    """The `pars:` block of an MOC approval: what ACCME's learner upload needs beyond the certificate."""
    block = checker.field(entry, "pars", "map", required=False)
    if block is None:
        return None
    checker.unknown_keys(block, {"credit_type", "cme_approval", "board_id_pattern", "board_id_example", "deadline_days"})
    if moc_board is None:
        checker.problem(block.line, "pars reporting is for MOC approvals: add moc_board")
    credit_type = checker.field(block, "credit_type", "text", required=False)
    pattern = _pattern(checker, block, "board_id_pattern", required=False)
    example = checker.field(block, "board_id_example", "text", required=False)
    if pattern and not example:
        checker.problem(block.line_of("board_id_pattern"), "give a board_id_example with the board_id_pattern")
    _example_fits(checker, block, pattern, example, "board_id_example")
    deadline = checker.field(block, "deadline_days", "int", required=False)
    if deadline is not None and deadline < 1:
        checker.problem(block.line_of("deadline_days"), "deadline_days must be at least 1")
    return ParsReporting(credit_type, checker.field(block, "cme_approval", "text", required=False), pattern, example,
                         deadline)


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
    licence_types = checker.field(entry, "licence_types", "text_list", required=False, default=())
    for licence_type in licence_types:
        if licence_type not in LICENCE_TYPES:
            checker.problem(entry.line_of("licence_types"),
                            f"unknown licence type {licence_type!r} (one of {', '.join(LICENCE_TYPES)})")
    valid_from = checker.field(entry, "valid_from", "date", required=False)
    valid_until = checker.field(entry, "valid_until", "date", required=False)
    if valid_from and valid_until and valid_until < valid_from:
        checker.problem(entry.line_of("valid_until"), "valid_until is before valid_from")
    moc_board = checker.field(entry, "moc_board", "text", required=False)
    if moc_board is not None and moc_board not in BOARDS:
        checker.problem(entry.line_of("moc_board"), f"moc_board {moc_board!r} must be one of {', '.join(BOARDS)}")
    number = entry.get("number")
    if isinstance(number, (int, float)) and not isinstance(number, bool):
        number = str(number)
    body = checker.field(entry, "body", "text")
    statement = checker.field(entry, "statement", "text")
    ce_broker = _read_ce_broker(checker, entry, states)
    pars = _read_pars(checker, entry, moc_board)
    if approval_id is None or body is None or statement is None:
        return None
    return Approval(
        id=approval_id, body=body, kind=kind, number=number or None, valid_from=valid_from,
        valid_until=valid_until, professions=tuple(p for p in PROFESSIONS if p in professions),
        states=frozenset(states), moc_board=moc_board, statement=statement, ce_broker=ce_broker, pars=pars,
        licence_types=frozenset(licence_types),
    )


# --- course ---------------------------------------------------------------------------------

COURSE_FIELDS = {
    "title", "summary", "audience", "audience_text", "format", "release_date", "expiry_date",
    "estimated_minutes", "pass_mark", "quiz", "objectives", "modules", "statements", "designations", "reporting",
    "state_approvals", "disclosure", "accreditation_statements", "field_of_study",
}


def load_course(course_dir: Path, root: Path, provider: Provider | None, problems: list[Problem]) -> Course | None:
    """Read and check one course folder; return None if it has any error (warnings are only reported)."""
    count = errors_in(problems)
    checker = FileChecker(course_dir / "course.yaml", root, problems)
    data = checker.mapping(read_yaml_file(checker), 1, "course.yaml")
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
    designations += _read_state_approvals(checker, data, provider, designations)
    disclosure = _read_disclosure(checker, data)
    shown = checker.field(data, "accreditation_statements", "text_list", required=False, default=())
    for approval_id in shown:
        if provider is not None and approval_id not in provider.approvals:
            checker.problem(data.line_of("accreditation_statements"),
                            f"accreditation_statements names '{approval_id}', which provider.yaml does not list")
    activity_id, course_number = _read_reporting(checker, data, designations, provider)

    modules = _load_modules(checker, data, course_dir, root, objective_ids, reference_ids, problems)
    banks, failed_banks = _load_banks(course_dir, root, objective_ids, reference_ids, quiz, problems)
    for objective in objectives:
        if objective.id not in banks and objective.id not in failed_banks:
            checker.problem(data.line_of("objectives"), f"objective '{objective.id}' has no question bank quiz/{objective.id}.yaml")
        if not any(m.objective == objective.id for m in modules):
            checker.problem(data.line_of("objectives"), f"objective '{objective.id}' has no module")
    evaluation = _load_evaluation(course_dir, root, problems)
    if minutes and quiz and modules:
        estimate = time_estimate(modules, quiz.questions_per_attempt, len(objectives))
        if estimate.off_by(minutes) > TIME_TOLERANCE:
            checker.warning(data.line_of("estimated_minutes"), estimate.explain(minutes))

    if errors_in(problems) > count:
        return None
    return Course(
        slug=course_dir.name,
        title=checker.field(data, "title", "text"),
        summary_html=render_markdown(checker.field(data, "summary", "text")),
        audience=audience,
        audience_html=render_markdown(checker.field(data, "audience_text", "text")),
        format=checker.field(data, "format", "text"),
        field_of_study=checker.field(data, "field_of_study", "text", required=False),
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
        accme_activity_id=activity_id,
        ce_broker_course_number=course_number,
        disclosure=disclosure,
        accreditation_statements=tuple(shown),
    )


def _read_reporting(checker: FileChecker, data: LineMap, designations, provider: Provider | None):
    """(ACCME activity id, CE Broker course number) from `reporting:`; a warning where reported credit lacks one."""
    block = checker.field(data, "reporting", "map", required=False)
    activity_id = course_number = None
    if block is not None:
        checker.unknown_keys(block, {"accme_activity_id", "ce_broker_course_number"})
        activity_id = checker.field(block, "accme_activity_id", "text", required=False)
        if activity_id and not activity_id.isdigit():
            checker.problem(block.line_of("accme_activity_id"), "accme_activity_id is the number PARS gave the activity")
            activity_id = None
        course_number = checker.field(block, "ce_broker_course_number", "text", required=False)
        if course_number and not CE_BROKER_COURSE_RE.fullmatch(course_number):
            checker.problem(block.line_of("ce_broker_course_number"),
                            "ce_broker_course_number is CE Broker's course tracking number: 20- and digits")
            course_number = None
    approvals = [provider.approvals[d.approval_id] for d in designations
                 if provider is not None and d.approval_id in provider.approvals]
    line = block.line if block is not None else data.line_of("designations") if "designations" in data else 1
    if not activity_id and any(approval.pars for approval in approvals):
        checker.warning(line, "MOC credit is reported to ACCME PARS: add reporting.accme_activity_id once the "
                              "activity is registered, or its completions cannot be batched")
    if not course_number and any(approval.ce_broker for approval in approvals):
        checker.warning(line, "credit reported to CE Broker needs reporting.ce_broker_course_number, or its "
                              "completions cannot be batched")
    return activity_id, course_number


def _read_objectives(checker: FileChecker, data: LineMap) -> tuple[Objective, ...]:
    objectives = _read_id_list(checker, data, "objectives", "text", "objective", Objective, required=True)
    if isinstance(data.get("objectives"), LineList) and not data["objectives"]:
        checker.problem(data.line_of("objectives"), "a course needs at least one learning objective")
    return objectives


def _read_id_list(checker: FileChecker, data: LineMap, key: str, text_key: str, noun: str, make, *,
                  required: bool):
    """A list of mappings with an id and one text field (objectives, topics), each id used once."""
    found = []
    for entry in checker.entries(data, key, f"an item of '{key}'", required=required):
        checker.unknown_keys(entry, {"id", text_key})
        item_id, text = checker.id_field(entry), checker.field(entry, text_key, "text")
        if item_id in {existing.id for existing in found}:
            checker.problem(entry.line, f"{noun} id '{item_id}' is used twice")
        elif item_id and text:
            found.append(make(item_id, text))
    return tuple(found)


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


DESIGNATION_FIELDS = {
    "approval", "amount", "unit", "claim", "pharmacology_hours", "follows", "inferred", "level", "statement",
}


def _read_designations(checker: FileChecker, data: LineMap, provider: Provider | None) -> tuple[Designation, ...]:
    """The credit the course awards: `designations:`, each under an approval from provider.yaml."""
    designations: list[Designation] = []
    entries = list(checker.entries(data, "designations", "a designation", required=False))
    for entry in entries:
        checker.unknown_keys(entry, DESIGNATION_FIELDS)
        approval_id = _approval_ref(checker, entry, provider, designations)
        follows = checker.field(entry, "follows", "text", required=False)
        followed = None
        if follows is not None:
            followed = next((d for d in designations if d.approval_id == follows), None)
            if followed is None:
                checker.problem(entry.line_of("follows"), f"follows '{follows}', which is not designated above this entry")
            elif followed.claim != "variable" or followed.follows:
                checker.problem(entry.line_of("follows"), f"follows '{follows}', whose credit is not claimed in steps")
            approval = provider.approvals.get(approval_id) if provider and approval_id else None
            if approval is not None and approval.moc_board is None:
                checker.problem(entry.line_of("follows"), "only MOC credit follows another credit's claim")
            if "claim" in entry:
                checker.problem(entry.line_of("claim"), "credit that follows another's claim has no claim setting")
        amount = checker.field(entry, "amount", "decimal", required=followed is None and follows is None)
        if amount is None and followed is not None:
            amount = followed.amount
        if followed is not None and amount is not None and amount > followed.amount:
            checker.problem(entry.line_of("amount"), f"amount exceeds the {followed.amount} of '{follows}' it follows")
        claim = "fixed" if follows else checker.field(entry, "claim", "text", required=False, default="fixed")
        if claim not in CLAIM_KINDS:
            checker.problem(entry.line_of("claim"), f"claim must be one of {', '.join(CLAIM_KINDS)}")
        elif claim == "variable" and amount is not None and amount % Decimal("0.25"):
            checker.problem(entry.line_of("amount"), "a variable credit's amount must be a multiple of 0.25")
        pharmacology = checker.field(entry, "pharmacology_hours", "decimal", required=False)
        if pharmacology is not None and amount is not None and pharmacology > amount:
            checker.problem(entry.line_of("pharmacology_hours"), "pharmacology_hours exceed the amount designated")
        unit = checker.field(entry, "unit", "text")
        inferred = checker.field(entry, "inferred", "bool", required=False, default=False)
        level = checker.field(entry, "level", "text", required=False)
        statement = checker.field(entry, "statement", "text", required=False)
        if approval_id and amount is not None and unit:
            designations.append(Designation(approval_id, amount, unit, claim, pharmacology, follows=follows,
                                            inferred=inferred, level=level, statement=statement))
    return tuple(designations)


def _approval_ref(checker: FileChecker, entry: LineMap, provider: Provider | None, seen) -> str | None:
    approval_id = checker.field(entry, "approval", "text")
    if approval_id and provider is not None and approval_id not in provider.approvals:
        checker.problem(entry.line_of("approval"), f"designation for '{approval_id}', which provider.yaml does not list")
    if approval_id in {d.approval_id for d in seen}:
        checker.problem(entry.line_of("approval"), f"'{approval_id}' is designated twice")
    return approval_id


def _read_state_approvals(checker: FileChecker, data: LineMap, provider: Provider | None,
                          designations: tuple[Designation, ...]) -> tuple[Designation, ...]:
    """`state_approvals:`: a board's approval of the provider, making a designation's credit acceptable to it.

    Each becomes a Designation with the accepted designation's amount and unit, so a learner
    licensed there gets a certificate with the board's provider number, and no second hour.
    """
    found: list[Designation] = []
    for entry in checker.entries(data, "state_approvals", "a state approval", required=False):
        checker.unknown_keys(entry, {"approval", "accepts", "inferred"})
        approval_id = _approval_ref(checker, entry, provider, designations + tuple(found))
        approval = provider.approvals.get(approval_id) if provider and approval_id else None
        if approval is not None and not approval.states:
            checker.problem(entry.line_of("approval"), f"'{approval_id}' names no states: designate its credit instead")
        accepts = checker.field(entry, "accepts", "text")
        accepted = next((d for d in designations if d.approval_id == accepts), None)
        if accepts is not None and (accepted is None or accepted.follows):
            checker.problem(entry.line_of("accepts"), f"accepts '{accepts}', which the course does not designate credit for")
            continue
        inferred = checker.field(entry, "inferred", "bool", required=False, default=False)
        if approval_id and accepted is not None:
            found.append(Designation(approval_id, accepted.amount, accepted.unit, accepted.claim,
                                     accepted.pharmacology_hours, accepts=accepts, inferred=inferred))
    return tuple(found)


DISCLOSURE_GROUPS = ("planners", "authors", "reviewers")


def _read_disclosure(checker: FileChecker, data: LineMap) -> Disclosure:
    """`disclosure:` planners, authors and reviewers with their relationships; a warning while a group is empty."""
    block = checker.field(data, "disclosure", "map", required=False)
    groups: dict[str, tuple[Person, ...]] = {}
    for group in DISCLOSURE_GROUPS:
        people = []
        if block is not None:
            for entry in checker.entries(block, group, "a person", required=False):
                checker.unknown_keys(entry, {"name", "credentials", "relationships"})
                name = checker.field(entry, "name", "text")
                credentials = checker.field(entry, "credentials", "text", required=False)
                relationships = checker.field(entry, "relationships", "text")
                if name and relationships:
                    people.append(Person(name, credentials, relationships))
        if not people:
            line = block.line_of(group) if block is not None and group in block else (
                block.line if block is not None else 1)
            checker.warning(line, f"disclosure.{group} is empty: name everyone in that role and their relevant "
                                  "financial relationships (or that they have none) before the course is offered")
        groups[group] = tuple(people)
    if block is not None:
        checker.unknown_keys(block, set(DISCLOSURE_GROUPS))
    return Disclosure(**groups)


def _load_references(course_dir: Path, root: Path, problems: list[Problem]) -> tuple[Reference, ...]:
    checker = FileChecker(course_dir / "references.yaml", root, problems)
    data = checker.mapping(read_yaml_file(checker), 1, "references.yaml")
    if data is None:
        return ()
    references = []
    for entry in checker.entries(data, "references", "a reference"):
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


def _load_banks(course_dir, root, objective_ids, reference_ids, quiz, problems) -> tuple[dict[str, QuestionBank], set[str]]:
    """The banks that loaded, by objective, and the names of bank files whose errors are already reported.

    A bank file that fails (broken YAML, say) is reported once, for what is wrong in it, and
    not again as its objective having no bank.
    """
    banks: dict[str, QuestionBank] = {}
    failed: set[str] = set()
    question_ids: set[str] = set()
    for path in sorted((course_dir / "quiz").glob("*.yaml")):
        errors_before = sum(not problem.warning for problem in problems)
        _load_bank(path, root, objective_ids, reference_ids, quiz, problems, banks, question_ids)
        if sum(not problem.warning for problem in problems) > errors_before:
            failed.add(path.stem)
    return banks, failed


def _load_bank(path, root, objective_ids, reference_ids, quiz, problems, banks, question_ids) -> None:
    """Read one bank file into `banks` (by objective), reporting its problems."""
    checker = FileChecker(path, root, problems)
    data = checker.mapping(read_yaml_file(checker), 1, "a question bank")
    if data is None:
        return
    checker.unknown_keys(data, {"objective", "topics", "questions"})
    objective = checker.field(data, "objective", "text")
    topics = _read_topics(checker, data)
    if objective is not None and objective not in objective_ids:
        checker.problem(data.line_of("objective"), f"unknown objective '{objective}'")
        return
    if objective in banks:
        checker.problem(data.line_of("objective"), f"objective '{objective}' already has a question bank")
        return
    questions = []
    for entry in checker.entries(data, "questions", "a question"):
        question = _read_question(checker, entry, objective, reference_ids, topics)
        if question is None:
            continue
        if question.id in question_ids:
            checker.problem(entry.line_of("id"), f"question id '{question.id}' is used twice in this course")
        question_ids.add(question.id)
        questions.append(question)
    if objective is None:
        return
    if quiz and quiz.questions_per_attempt and len(questions) < quiz.questions_per_attempt:
        checker.problem(
            data.line_of("questions"),
            f"the bank has {len(questions)} questions but each attempt draws {quiz.questions_per_attempt}",
        )
    _check_topics(checker, data, topics, questions, quiz)
    keys = longest_keys(questions)
    if keys.systematic:
        checker.warning(data.line_of("questions"), (
            f"the key is the longest option in {len(keys.longest)} of {keys.items} single-answer questions "
            f"({', '.join(keys.longest)}); test-wise learners pick the longest option, so make the "
            "distractors as long and as specific as the key"))
    banks[objective] = QuestionBank(objective, tuple(questions), _file_hash(path), topics)


def _read_topics(checker: FileChecker, data: LineMap) -> tuple[Topic, ...]:
    return _read_id_list(checker, data, "topics", "title", "topic", Topic, required=False)


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
    count = checker.error_count()
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
    named = option_letter_named(render_markdown(rationale), options) if rationale else None
    if named:
        checker.problem(entry.line_of("rationale"), (
            f"the rationale names an option by its letter ({named!r}); options are shuffled and shown "
            "without letters, so name the option by what it says"))
    if checker.error_count() > count or objective is None:
        return None
    return Question(
        id=question_id, objective=objective, type=kind, stem_html=render_markdown(stem),
        options=tuple((option_id, render_markdown(text)) for option_id, text in option_items),
        correct=frozenset(correct), rationale_html=render_markdown(rationale), reference=reference, topic=topic,
    )


def _load_evaluation(course_dir: Path, root: Path, problems: list[Problem]) -> tuple[EvaluationItem, ...]:
    checker = FileChecker(course_dir / "evaluation.yaml", root, problems)
    data = checker.mapping(read_yaml_file(checker), 1, "evaluation.yaml")
    if data is None:
        return ()
    checker.unknown_keys(data, {"scales", "items"})
    scales = checker.field(data, "scales", "map", required=False, default=LineMap())
    items = []
    for entry in checker.entries(data, "items", "an evaluation item"):
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


def _load_course_or_problem(course_dir: Path, root: Path, provider: Provider | None, found: list[Problem]) -> Course | None:
    """load_course, with any failure it did not foresee recorded as that course's problem.

    A file the checks did not anticipate (a folder where a file belongs, a file that cannot be
    read) then takes down only its own course, and the last valid version keeps serving.
    """
    try:
        return load_course(course_dir, root, provider, found)
    except Exception as error:  # noqa: BLE001 (whatever it is, it is this course's problem, not every page's)
        FileChecker(course_dir / "course.yaml", root, found).problem(
            1, f"the course could not be read: {type(error).__name__}: {error}")
        return None


def load_catalogue(root: Path, previous: Catalogue | None = None, snapshots: Path | None = None) -> Catalogue:
    """Read all content under `root`.

    A course whose files fail the check is left out, or, if `previous` had a valid version
    of it, that version keeps serving (and its status says it is stale). With `snapshots` (a
    folder), every valid version is also stored there, and a course that fails with no
    previous version (a restart) serves its stored snapshot.
    """
    root = Path(root)
    problems: list[Problem] = []
    now = datetime.now(UTC)
    try:
        provider = load_provider(root, problems)
    except Exception as error:  # noqa: BLE001 (as for a course: the provider file's problem)
        FileChecker(root / "provider.yaml", root, problems).problem(1, f"could not be read: {type(error).__name__}: {error}")
        provider = None
    provider_failed = provider is None
    if provider_failed and previous is not None:
        provider = previous.provider
    courses: dict[str, Course] = {}
    statuses: dict[str, CourseStatus] = {}
    for course_dir in course_dirs(root):
        found: list[Problem] = []
        course = _load_course_or_problem(course_dir, root, provider, found)
        problems.extend(found)
        course_problems = tuple(problem for problem in found if not problem.warning)
        warnings = tuple(problem for problem in found if problem.warning)
        slug = course_dir.name
        old_status = previous.statuses.get(slug) if previous else None
        if course is not None and not provider_failed:
            unchanged = previous is not None and slug in previous.courses and previous.courses[slug].version == course.version
            courses[slug] = previous.courses[slug] if unchanged else course
            loaded_at = old_status.loaded_at if unchanged and old_status else now
            statuses[slug] = CourseStatus(slug, course.version, loaded_at, False, (), warnings)
            if snapshots is not None and not unchanged:
                save_snapshot(snapshots, root, slug, course.version, lambda copy, slug=slug: _snapshot_version(copy, slug))
        elif previous is not None and slug in previous.courses:
            courses[slug] = previous.courses[slug]
            loaded_at = old_status.loaded_at if old_status else None
            source = old_status.source if old_status else "files"
            statuses[slug] = CourseStatus(slug, courses[slug].version, loaded_at, True, course_problems, warnings, source)
        elif snapshots is not None and (stored := _load_snapshot(snapshots, slug)) is not None:
            snapshot, snapshot_course, snapshot_provider = stored
            courses[slug] = snapshot_course
            provider = provider or snapshot_provider
            statuses[slug] = CourseStatus(slug, snapshot.version, snapshot.taken_at, True, course_problems, warnings,
                                          "snapshot")
        else:
            statuses[slug] = CourseStatus(slug, None, None, False, course_problems, warnings)
    return Catalogue(
        provider, MappingProxyType(courses), tuple(p for p in problems if not p.warning), MappingProxyType(statuses),
        tuple(p for p in problems if p.warning),
    )


def _snapshot_version(snapshot_root: Path, slug: str) -> str:
    return _tree_hash(snapshot_root / slug, snapshot_root / "provider.yaml")


def _load_snapshot(snapshots: Path, slug: str) -> tuple[Snapshot, Course, Provider] | None:
    """The stored last valid version of `slug`, read and checked as content is; None if there is none."""
    snapshot = current_snapshot(snapshots, slug)
    if snapshot is None:
        return None
    ignored: list[Problem] = []
    provider = load_provider(snapshot.root, ignored)
    course = load_course(snapshot.root / slug, snapshot.root, provider, ignored) if provider else None
    if course is None or course.version != snapshot.version:
        return None
    return snapshot, course, provider
