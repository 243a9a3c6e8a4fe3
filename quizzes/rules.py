"""Quiz rules as plain functions: drawing an attempt, reading and grading answers, retake limits.

An attempt keeps a snapshot of what it drew (`QuestionSnapshot`s, stored as JSON), so a later
edit of the bank changes neither what the learner saw nor the grade.
"""
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, TypedDict

from course.content.model import Course, Question, QuestionBank, QuizRules
from course.core.clock import as_utc

_system_random = random.SystemRandom()


class ReferenceSnapshot(TypedDict):
    id: int
    citation: str


class QuestionSnapshot(TypedDict):
    id: str
    type: str  # "single" | "multiple"
    stem_html: str
    options: list[list[str]]  # [option id, html], in the order shown
    correct: list[str]  # option ids; never sent to the learner's page while the attempt is open
    rationale_html: str
    reference: ReferenceSnapshot


def draw_blueprint(bank: QuestionBank, count: int, rng: random.Random) -> list[Question]:
    """`count` distinct questions from the bank, at least one from each of its topics, in random order.

    One question is taken at random from every topic, the rest at random from what is left, so
    every attempt covers the whole objective. The loader guarantees a bank has no more topics
    than `count`; a bank without topics is sampled as a whole.
    """
    drawn = [rng.choice([q for q in bank.questions if q.topic == topic.id]) for topic in bank.topics]
    rest = [q for q in bank.questions if q not in drawn]
    drawn += rng.sample(rest, count - len(drawn))
    rng.shuffle(drawn)
    return drawn


def draw_questions(course: Course, objective_id: str, rng: random.Random = _system_random) -> list[QuestionSnapshot]:
    """Draw the course's questions_per_attempt questions from the bank across its topics, options shuffled."""
    bank = course.banks[objective_id]
    drawn = draw_blueprint(bank, course.quiz.questions_per_attempt, rng)
    snapshot = []
    for question in drawn:
        options = [list(option) for option in question.options]
        rng.shuffle(options)
        reference = course.reference(question.reference)
        snapshot.append(QuestionSnapshot(
            id=question.id,
            type=question.type,
            stem_html=question.stem_html,
            options=options,
            correct=sorted(question.correct),
            rationale_html=question.rationale_html,
            reference=ReferenceSnapshot(id=reference.id, citation=reference.citation),
        ))
    return snapshot


class AnswerProblems(Exception):
    """The submitted answers cannot be graded; `problems` maps question id (or "") to a message."""

    def __init__(self, problems: dict[str, str], answers: dict[str, list[str]]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems
        self.answers = answers  # what could be read, to show again in the form


def read_answers(questions: list[QuestionSnapshot], submitted: dict[str, list[str]]) -> dict[str, list[str]]:
    """Turn a submitted form into answers: question id -> chosen option ids.

    The form names a question "q-<question id>" and an option by its position as shown
    ("1", "2"...), so the page carries nothing of the bank's own option ids. Every question
    needs an answer, a single-answer question exactly one; an unknown position or a field
    for a question that is not in the attempt is refused.
    """
    by_field = {f"q-{q['id']}": q for q in questions}
    problems: dict[str, str] = {}
    answers: dict[str, list[str]] = {}
    if any(field not in by_field for field in submitted):
        problems[""] = "The form contained a question that is not part of this attempt. Reload the page and answer again."
    for number, question in enumerate(questions, start=1):
        chosen = list(dict.fromkeys(submitted.get(f"q-{question['id']}", [])))
        by_position = {str(position): option_id for position, (option_id, _) in enumerate(question["options"], start=1)}
        answers[question["id"]] = [by_position[value] for value in chosen if value in by_position]
        if len(answers[question["id"]]) != len(chosen):
            problems[question["id"]] = f"Question {number}: that option is not one of this question's options."
        elif not chosen:
            problems[question["id"]] = f"Question {number}: choose an answer."
        elif question["type"] == "single" and len(chosen) > 1:
            problems[question["id"]] = f"Question {number}: choose only one answer."
    if problems:
        raise AnswerProblems(problems, answers)
    return answers


@dataclass(frozen=True)
class Grade:
    right: dict[str, bool]  # question id -> answered exactly right; stored with the attempt
    score: int
    total: int
    passed: bool

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.total)


def grade(questions: list[QuestionSnapshot], answers: dict[str, list[str]], pass_mark: int) -> Grade:
    """The one place an answer is judged: right only when exactly its set of correct options was chosen."""
    right = {q["id"]: set(answers.get(q["id"], [])) == set(q["correct"]) for q in questions}
    score = sum(right.values())
    total = len(questions)
    return Grade(right=right, score=score, total=total, passed=100 * score >= pass_mark * total)


def reveals_answers(rules: QuizRules, passed: bool) -> bool:
    """Whether the results page may show which options were correct."""
    return rules.reveal_answers == "always" or (rules.reveal_answers == "after_pass" and passed)


def minimum_right(pass_mark: int, total: int) -> int:
    """The fewest right answers out of `total` that reach `pass_mark` percent (the rule `grade` applies)."""
    return -(-pass_mark * total // 100)


class RetakeRefusal(NamedTuple):
    message: str
    status: int  # 403: never again; 429: not yet


def retake_refusal(
    rules: QuizRules, submitted_count: int, last_submitted_at: datetime | None, now: datetime, extra_attempts: int = 0,
) -> RetakeRefusal | None:
    """Why a new attempt may not start, or None if it may; `extra_attempts` were granted on top of max_attempts."""
    if rules.max_attempts is not None and submitted_count >= rules.max_attempts + extra_attempts:
        allowed = rules.max_attempts + extra_attempts
        return RetakeRefusal(f"You have used all {allowed} attempts allowed for this quiz.", 403)
    if rules.wait_minutes and last_submitted_at is not None:
        ready_at = as_utc(last_submitted_at) + timedelta(minutes=rules.wait_minutes)
        if now < ready_at:
            minutes = max(1, round((ready_at - now).total_seconds() / 60))
            return RetakeRefusal(f"You can start another attempt in about {minutes} minute(s).", 429)
    return None


@dataclass(frozen=True)
class Allowance:
    """What the learner is told before starting: attempts left, the wait, and why not now."""

    max_attempts: int | None
    attempts_left: int | None  # None: unlimited
    wait_minutes: int
    refusal: RetakeRefusal | None


def allowance(rules: QuizRules, submitted_count: int, last_submitted_at: datetime | None, now: datetime,
              extra_attempts: int = 0) -> Allowance:
    allowed = None if rules.max_attempts is None else rules.max_attempts + extra_attempts
    left = None if allowed is None else max(0, allowed - submitted_count)
    return Allowance(allowed, left, rules.wait_minutes,
                     retake_refusal(rules, submitted_count, last_submitted_at, now, extra_attempts))
