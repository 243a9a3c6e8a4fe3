"""Drawing and grading, without a server."""
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from course.content.loader import load_catalogue
from course.content.model import Question, QuestionBank, QuizRules, Topic
from quizzes.rules import (
    AnswerProblems, allowance, draw_blueprint, draw_questions, grade, minimum_right, read_answers, retake_refusal,
    reveals_answers,
)


@pytest.fixture
def course(content_dir):
    return load_catalogue(content_dir).courses["sample-course"]


QUESTIONS = [
    {"id": "one", "type": "single", "options": [["a", "A"], ["b", "B"], ["c", "C"]], "correct": ["b"]},
    {"id": "two", "type": "multiple", "options": [["a", "A"], ["b", "B"], ["c", "C"]], "correct": ["a", "c"]},
]


def test_grade_single_and_multiple_answers():
    result = grade(QUESTIONS, {"one": ["b"], "two": ["c", "a"]}, pass_mark=100)
    assert result.right == {"one": True, "two": True} and result.score == 2 and result.passed
    assert result.percent == 100


@pytest.mark.parametrize("two, right", [
    (["a"], False),            # partial selection
    (["a", "b", "c"], False),  # a superset
    (["a", "b"], False),       # one right, one wrong
    ([], False),
    (["a", "c"], True),
])
def test_multiple_answer_is_right_only_for_exactly_the_correct_set(two, right):
    assert grade(QUESTIONS, {"one": ["a"], "two": two}, pass_mark=50).right["two"] is right


def test_pass_mark_boundary():
    assert grade(QUESTIONS, {"one": ["b"], "two": ["a"]}, pass_mark=50).passed
    assert not grade(QUESTIONS, {"one": ["b"], "two": ["a"]}, pass_mark=51).passed


def test_draw_has_the_set_size_no_duplicates_and_shuffled_options(course):
    draws = [draw_questions(course, "first-objective", random.Random(seed)) for seed in range(30)]
    bank_ids = {q.id for q in course.banks["first-objective"].questions}
    for drawn in draws:
        ids = [q["id"] for q in drawn]
        assert len(ids) == course.quiz.questions_per_attempt == 3
        assert len(set(ids)) == 3 and set(ids) <= bank_ids
        for question in drawn:
            assert {o for o, _ in question["options"]} >= set(question["correct"])
            assert question["reference"]["citation"]
    assert len({tuple(q["id"] for q in d) for d in draws}) > 1
    assert len({tuple(o for o, _ in d[0]["options"]) for d in draws}) > 1


def _bank(topic_of_question: list[str]) -> QuestionBank:
    questions = tuple(
        Question(f"q{n}", "objective", "single", "", (("a", "A"), ("b", "B")), frozenset("a"), "", 1, topic)
        for n, topic in enumerate(topic_of_question)
    )
    topics = tuple(Topic(t, t) for t in dict.fromkeys(topic_of_question))
    return QuestionBank("objective", questions, "v1", topics)


def test_every_draw_covers_every_topic_of_the_blueprint():
    # Topic "one" holds most of the bank: a plain random sample of 3 often misses "two" or "three".
    bank = _bank(["one"] * 10 + ["two", "two", "three", "three"])
    draws = [draw_blueprint(bank, 3, random.Random(seed)) for seed in range(200)]
    for drawn in draws:
        assert len({q.id for q in drawn}) == 3
        assert sorted(q.topic for q in drawn) == ["one", "three", "two"]
    assert len({frozenset(q.id for q in d) for d in draws}) > 20
    assert len({d[0].topic for d in draws}) == 3  # the covering questions are not always first


def test_the_rest_of_a_draw_comes_from_any_topic():
    bank = _bank(["one"] * 4 + ["two"] * 4)
    draws = [draw_blueprint(bank, 4, random.Random(seed)) for seed in range(200)]
    counts = {tuple(sorted(q.topic for q in d)) for d in draws}
    assert all("one" in c and "two" in c for c in counts)
    assert ("one", "one", "one", "two") in counts and ("one", "two", "two", "two") in counts


def test_a_bank_without_topics_is_sampled_whole():
    bank = QuestionBank("objective", _bank(["x"] * 6).questions, "v1", ())
    drawn = draw_blueprint(bank, 6, random.Random(1))
    assert sorted(q.id for q in drawn) == [f"q{n}" for n in range(6)]


def test_the_shipped_course_draws_every_topic_of_each_objective():
    trd = load_catalogue(Path(__file__).resolve().parent.parent / "content").courses["treatment-resistant-depression"]
    for objective_id, bank in trd.banks.items():
        topic_of = {q.id: q.topic for q in bank.questions}
        for seed in range(100):
            drawn = draw_questions(trd, objective_id, random.Random(seed))
            assert {topic_of[q["id"]] for q in drawn} == {t.id for t in bank.topics}, (objective_id, seed)


def test_draw_is_reproducible_from_the_stored_order(course):
    drawn = draw_questions(course, "first-objective", random.Random(7))
    again = draw_questions(course, "first-objective", random.Random(7))
    assert drawn == again


def test_read_answers_maps_positions_to_option_ids():
    assert read_answers(QUESTIONS, {"q-one": ["2"], "q-two": ["1", "3"]}) == {"one": ["b"], "two": ["a", "c"]}


@pytest.mark.parametrize("submitted, key, message", [
    ({"q-one": ["9"], "q-two": ["1"]}, "one", "not one of this question's options"),
    ({"q-two": ["1"]}, "one", "choose an answer"),
    ({"q-one": ["1", "2"], "q-two": ["1"]}, "one", "choose only one answer"),
    ({"q-one": ["1"], "q-two": ["1"], "q-forged": ["1"]}, "", "not part of this attempt"),
])
def test_read_answers_refuses_bad_input_and_keeps_the_rest(submitted, key, message):
    with pytest.raises(AnswerProblems) as raised:
        read_answers(QUESTIONS, submitted)
    assert message in raised.value.problems[key]
    assert raised.value.answers["two"] == ["a"]


def test_reveal_setting():
    rules = QuizRules(3, "after_pass", None, 0)
    assert reveals_answers(rules, True) and not reveals_answers(rules, False)
    assert reveals_answers(QuizRules(3, "always", None, 0), False)
    assert not reveals_answers(QuizRules(3, "never", None, 0), True)


def test_retake_limits():
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert retake_refusal(QuizRules(3, "after_pass", None, 0), 50, now, now) is None
    assert retake_refusal(QuizRules(3, "after_pass", 2, 0), 2, now, now).status == 403
    waiting = retake_refusal(QuizRules(3, "after_pass", None, 30), 1, now - timedelta(minutes=10), now)
    assert waiting.status == 429 and "20 minute" in waiting.message
    assert retake_refusal(QuizRules(3, "after_pass", None, 30), 1, now - timedelta(minutes=31), now) is None
    naive = (now - timedelta(minutes=10)).replace(tzinfo=None)
    assert retake_refusal(QuizRules(3, "after_pass", None, 30), 1, naive, now).status == 429


@pytest.mark.parametrize("pass_mark, total, needed", [
    (75, 5, 4), (70, 5, 4), (80, 5, 4), (81, 5, 5), (70, 3, 3), (75, 4, 3), (100, 5, 5),
])
def test_minimum_right_is_the_fewest_whole_questions_that_pass(pass_mark, total, needed):
    assert minimum_right(pass_mark, total) == needed
    assert grade_of(needed, total, pass_mark).passed and not grade_of(needed - 1, total, pass_mark).passed


def grade_of(right: int, total: int, pass_mark: int):
    questions = [{"id": f"q{n}", "correct": ["a"]} for n in range(total)]
    answers = {f"q{n}": ["a" if n < right else "b"] for n in range(total)}
    return grade(questions, answers, pass_mark)


def test_allowance_counts_attempts_left():
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert allowance(QuizRules(3, "after_pass", None, 0), 7, now, now).attempts_left is None
    left = allowance(QuizRules(3, "after_pass", 3, 10), 1, now - timedelta(minutes=4), now)
    assert (left.attempts_left, left.wait_minutes, left.refusal.status) == (2, 10, 429)
    used = allowance(QuizRules(3, "after_pass", 3, 0), 3, now, now)
    assert (used.attempts_left, used.refusal.status) == (0, 403)
