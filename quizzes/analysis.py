"""Quiz item analysis: how each question performed across learners' submitted attempts.

Plain functions on what each attempt stored: its questions snapshot (see quizzes.rules), its
answers and how each was graded. The numbers therefore describe what learners actually saw
and were graded on, whatever the bank says today. A question is identified by its id and its options by their
option ids, so attempts that showed the options in different orders add up.

- Difficulty p: the proportion of attempts that answered the question exactly right.
- Discrimination r: the corrected item-total (point-biserial) correlation, Pearson's r
  between the item score (1 right, 0 not) and the attempt's score on its *other* questions.
  Leaving the item out of the total keeps it from correlating with itself, which would
  inflate r most when an attempt has few questions, as ours do.

The attempts are read in one pass into a fixed-size tally per question (counts and integer
sums), so they can be streamed from the database in constant memory.
"""
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


# Below this many answers a proportion swings too much from one learner to the next to judge.
MINIMUM_ATTEMPTS_FOR_FLAGS = 20
TOO_EASY_ABOVE = 0.9
TOO_HARD_BELOW = 0.3
WEAK_DISCRIMINATION_BELOW = 0.2

# What one submitted attempt contributes: its questions snapshot, its answers (question id ->
# chosen option ids) and its grading (question id -> answered right).
AnswerSheet = tuple[Sequence[Mapping], Mapping[str, Sequence[str]], Mapping[str, bool]]


@dataclass(frozen=True)
class Flag:
    label: str
    explanation: str


TOO_EASY = Flag("Too easy", f"more than {TOO_EASY_ABOVE:.0%} of attempts answer it right")
TOO_HARD = Flag("Too hard", f"fewer than {TOO_HARD_BELOW:.0%} of attempts answer it right")
NEGATIVE_DISCRIMINATION = Flag(
    "Strongest learners miss it",
    "learners who do well on the rest of the quiz get it wrong more often than those who do badly",
)
WEAK_DISCRIMINATION = Flag(
    "Weak discrimination",
    f"r below {WEAK_DISCRIMINATION_BELOW}, so it barely separates stronger from weaker learners",
)
FLAGS = (TOO_EASY, TOO_HARD, NEGATIVE_DISCRIMINATION, WEAK_DISCRIMINATION)


@dataclass(frozen=True)
class ItemStatistics:
    question_id: str
    attempts: int  # submitted attempts that drew the question
    right: int  # of those, how many answered it exactly right
    difficulty: float  # p = right / attempts
    discrimination: float | None  # corrected point-biserial r; None when undefined
    option_counts: Mapping[str, int]  # option id -> attempts that chose it (0 if offered, never chosen)
    correct_options: frozenset[str]  # as graded in the most recent attempt read
    judged: bool  # enough attempts to raise flags
    flags: tuple[Flag, ...]


@dataclass
class _Tally:
    """Running sums for one question; x is the item score (0/1), y the rest score."""

    attempts: int = 0
    sum_x: int = 0
    sum_y: int = 0
    sum_y_squared: int = 0
    sum_xy: int = 0
    option_counts: Counter = field(default_factory=Counter)
    correct_options: frozenset[str] = frozenset()

    def add(self, question: Mapping, chosen: Sequence[str], item_score: int, attempt_score: int) -> None:
        rest_score = attempt_score - item_score
        self.attempts += 1
        self.sum_x += item_score
        self.sum_y += rest_score
        self.sum_y_squared += rest_score * rest_score
        self.sum_xy += item_score * rest_score
        for option_id, _ in question["options"]:
            self.option_counts[option_id] += int(option_id in chosen)
        self.correct_options = frozenset(question["correct"])


def item_statistics(
    answer_sheets: Iterable[AnswerSheet], *, minimum_attempts: int = MINIMUM_ATTEMPTS_FOR_FLAGS,
) -> dict[str, ItemStatistics]:
    """Question id -> its statistics over every answer sheet, in the order questions are first met."""
    tallies: dict[str, _Tally] = {}
    for questions, answers, graded in answer_sheets:
        item_scores = [int(graded[q["id"]]) for q in questions]
        attempt_score = sum(item_scores)
        for question, item_score in zip(questions, item_scores, strict=True):
            tally = tallies.setdefault(question["id"], _Tally())
            tally.add(question, answers.get(question["id"], ()), item_score, attempt_score)
    return {question_id: _statistics(question_id, tally, minimum_attempts) for question_id, tally in tallies.items()}


def _statistics(question_id: str, tally: _Tally, minimum_attempts: int) -> ItemStatistics:
    difficulty = tally.sum_x / tally.attempts
    discrimination = point_biserial(tally.attempts, tally.sum_x, tally.sum_y, tally.sum_y_squared, tally.sum_xy)
    judged = tally.attempts >= minimum_attempts
    return ItemStatistics(
        question_id=question_id,
        attempts=tally.attempts,
        right=tally.sum_x,
        difficulty=difficulty,
        discrimination=discrimination,
        option_counts=dict(sorted(tally.option_counts.items())),
        correct_options=tally.correct_options,
        judged=judged,
        flags=flags_for(difficulty, discrimination) if judged else (),
    )


def point_biserial(n: int, sum_x: int, sum_y: int, sum_y_squared: int, sum_xy: int) -> float | None:
    """Pearson's r between a 0/1 score x and a score y, from their sums (x² = x, so Σx² = Σx).

        r = (nΣxy − ΣxΣy) / √((nΣx − (Σx)²) · (nΣy² − (Σy)²))

    None when either score never varies (everyone right, everyone wrong, or the same rest
    score for all), where the correlation is undefined. Integer sums keep it exact until the
    final division.
    """
    variance_x = n * sum_x - sum_x * sum_x
    variance_y = n * sum_y_squared - sum_y * sum_y
    if variance_x == 0 or variance_y == 0:
        return None
    return (n * sum_xy - sum_x * sum_y) / math.sqrt(variance_x * variance_y)


def flags_for(difficulty: float, discrimination: float | None) -> tuple[Flag, ...]:
    """What an instructor should look at for a question with these statistics."""
    flags = []
    if difficulty > TOO_EASY_ABOVE:
        flags.append(TOO_EASY)
    elif difficulty < TOO_HARD_BELOW:
        flags.append(TOO_HARD)
    if discrimination is not None and discrimination < 0:
        flags.append(NEGATIVE_DISCRIMINATION)
    elif discrimination is not None and discrimination < WEAK_DISCRIMINATION_BELOW:
        flags.append(WEAK_DISCRIMINATION)
    return tuple(flags)
