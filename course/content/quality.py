"""Checks of how items and courses are written, beyond their form: the loader reports what these find.

- A rationale must not name an option by letter: options are shuffled and shown without
  letters, so "option c" points at nothing the learner saw.
- A bank whose keys are, more often than chance explains, the longest option teaches
  test-wise learners to pick the longest option (a cue item-writing guides warn against).
- The course's estimated time should match what its text and quizzes take.
"""
import math
import re
from dataclasses import dataclass

from .model import Module, Question

_TAGS = re.compile(r"<[^>]+>")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")

# "option c", "answers b and d", "choice (e)": the letter is group 1, further letters follow.
_NAMED_OPTION = re.compile(
    r"\b(?:options?|answers?|choices?|alternatives?)\s+\(?([a-e])\)?((?:\s*(?:,|and|or|&)\s*\(?[a-e]\)?)*)"
    r"(?![\w'’-])(\s+\w+)?",
    re.IGNORECASE,
)
# "(c)" on its own, or a letter that is judged: "b is right", "D was tempting".
_BARE_OPTION = re.compile(
    r"\(([a-e])\)|\b([a-e])\s+(?:is|was|would be)\s+(?:right|wrong|correct|incorrect|tempting|the)\b", re.IGNORECASE,
)
# After "option a" / "answer a", these words show that "a" was a letter; any other word makes it
# the article ("an option a patient prefers", "the answer a clinician gives").
_LETTER_FOLLOWERS = {
    "is", "was", "and", "or", "would", "could", "might", "may", "can", "seems", "sounds", "looks",
    "also", "describes", "states", "says", "names", "overstates", "understates", "confuses", "reflects",
}


def plain_text(html: str) -> str:
    return _TAGS.sub(" ", html)


def word_count(html: str) -> int:
    return len(_WORD.findall(plain_text(html)))


def option_letter_named(rationale_html: str, option_ids) -> str | None:
    """The passage of a rationale that names one of the question's options by its letter, or None."""
    text = plain_text(rationale_html)
    letters = {option_id.lower() for option_id in option_ids if len(option_id) == 1}
    for match in _NAMED_OPTION.finditer(text):
        letter, more, follower = match.group(1), match.group(2), (match.group(3) or "").strip()
        if letter.lower() not in letters:
            continue
        if letter == "a" and not more and follower and follower.lower() not in _LETTER_FOLLOWERS:
            continue
        return text[match.start():match.end(2)].strip()
    for match in _BARE_OPTION.finditer(text):
        if (match.group(1) or match.group(2)).lower() in letters:
            return match.group(0)
    return None


LONGEST_KEY_SHARE = 0.5  # warn when the key is the longest option in more than this share of items
LONGEST_KEY_MIN_ITEMS = 3  # below this many single-answer items a share says little


@dataclass(frozen=True)
class LongestKeys:
    items: int  # single-answer items in the bank
    longest: tuple[str, ...]  # ids of those whose key is strictly the longest option

    @property
    def systematic(self) -> bool:
        return self.items >= LONGEST_KEY_MIN_ITEMS and len(self.longest) > LONGEST_KEY_SHARE * self.items


def longest_keys(questions: list[Question]) -> LongestKeys:
    """Which single-answer items have a key longer (in words and spaces shown) than every distractor.

    By chance a key is the longest in about one item of every four or five; in more than half
    of a bank it is a cue. Multiple-answer items are left out: with two or more keys the
    longest option is a key by chance far more often.
    """
    single = [q for q in questions if q.type == "single"]
    longest = []
    for question in single:
        lengths = {option_id: len(" ".join(plain_text(html).split())) for option_id, html in question.options}
        (key,) = question.correct
        if all(lengths[key] > length for option_id, length in lengths.items() if option_id != key):
            longest.append(question.id)
    return LongestKeys(len(single), tuple(longest))


# Carver's "learning" reading rate for college-level readers (Carver RP. Reading rate: theory,
# research, and practical implications. J Reading. 1992;36(2):84-95), and the pace the USMLE
# allows per vignette item (60-minute blocks of up to 40 questions).
WORDS_PER_MINUTE = 200
MINUTES_PER_QUESTION = 1.5
TIME_TOLERANCE = 0.25  # estimated_minutes may differ from the estimate by this share of it


@dataclass(frozen=True)
class TimeEstimate:
    words: int
    questions: int

    @property
    def reading_minutes(self) -> float:
        return self.words / WORDS_PER_MINUTE

    @property
    def quiz_minutes(self) -> float:
        return self.questions * MINUTES_PER_QUESTION

    @property
    def minutes(self) -> int:
        return math.ceil(self.reading_minutes + self.quiz_minutes)

    def off_by(self, claimed: int) -> float:
        """How far `claimed` is from the estimate, as a share of the estimate (0.3 = 30% off)."""
        return abs(claimed - self.minutes) / self.minutes

    def explain(self, claimed: int) -> str:
        return (f"estimated_minutes is {claimed}, but reading the modules ({self.words} words at "
                f"{WORDS_PER_MINUTE} words a minute, {self.reading_minutes:.0f} min) and one attempt at each quiz "
                f"({self.questions} questions at {MINUTES_PER_QUESTION:g} min, {self.quiz_minutes:.0f} min) comes to "
                f"about {self.minutes} minutes ({self.off_by(claimed):.0%} off, more than the "
                f"{TIME_TOLERANCE:.0%} allowed); check the time and the credit designated for it")


def time_estimate(modules: tuple[Module, ...], questions_per_attempt: int, objectives: int) -> TimeEstimate:
    return TimeEstimate(sum(word_count(module.html) for module in modules), questions_per_attempt * objectives)
