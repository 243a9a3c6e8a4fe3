"""Item analysis statistics, checked against numbers worked out by hand (no server, no database)."""
import random
import statistics

import pytest

from quizzes.analysis import (
    NEGATIVE_DISCRIMINATION, TOO_EASY, TOO_HARD, WEAK_DISCRIMINATION, flags_for, item_statistics, point_biserial,
)
from quizzes.rules import grade


def graded(sheets):
    """Answer sheets as attempts store them: questions, answers, and each question graded by quizzes.rules.grade."""
    return [(questions, answers, grade(questions, answers, 70).right) for questions, answers in sheets]


def question(question_id: str, kind: str, correct: list[str], option_order: str) -> dict:
    """A question as an attempt stores it, with its options in the order that attempt showed them."""
    return {
        "id": question_id, "type": kind, "stem_html": f"<p>{question_id}?</p>",
        "options": [[option_id, f"<p>{option_id}</p>"] for option_id in option_order],
        "correct": correct, "rationale_html": "<p>Why.</p>", "reference": {"id": 1, "citation": "A source."},
    }


def q1(order="abc"):
    return question("q1", "single", ["a"], order)


def q2(order="abc"):
    return question("q2", "single", ["b"], order)


def q3(order="abc"):
    return question("q3", "multiple", ["a", "c"], order)


# Five attempts at three questions. Each attempt shows the options (and the questions) in its
# own order, so the analysis has to match them by id, not by position.
#
#             answers                          item scores    attempt
#             q1     q2     q3                 q1  q2  q3     total
#   A1        [a]    [c]    [a, c]             1   0   1      2
#   A2        [a]    [b]    [a]                1   1   0      2
#   A3        [a]    [b]    [a, b]             1   1   0      2
#   A4        [b]    [b]    [c]                0   1   0      1
#   A5        [b]    [a]    [b]                0   0   0      0
#
# q3 needs exactly {a, c}: A2's [a] alone and A3's [a, b] are wrong.
HAND_EXAMPLE = [
    ([q1("abc"), q2("cab"), q3("bca")], {"q1": ["a"], "q2": ["c"], "q3": ["a", "c"]}),
    ([q3("cba"), q1("bca"), q2("abc")], {"q1": ["a"], "q2": ["b"], "q3": ["a"]}),
    ([q2("bac"), q3("abc"), q1("cab")], {"q1": ["a"], "q2": ["b"], "q3": ["b", "a"]}),
    ([q1("acb"), q2("cba"), q3("cab")], {"q1": ["b"], "q2": ["b"], "q3": ["c"]}),
    ([q1("abc"), q2("abc"), q3("abc")], {"q1": ["b"], "q2": ["a"], "q3": ["b"]}),
]


def test_hand_computed_example():
    # Difficulty p = right / attempts:  q1 3/5 = 0.6,  q2 3/5 = 0.6,  q3 1/5 = 0.2.
    #
    # Discrimination is Pearson's r between the item score x and the rest score y (the
    # attempt total minus x), over the n = 5 attempts:
    #     r = (nΣxy − ΣxΣy) / √((nΣx − (Σx)²)(nΣy² − (Σy)²))        (x is 0/1, so Σx² = Σx)
    #
    # q1: x = 1 1 1 0 0, y = 2−1 2−1 2−1 1−0 0−0 = 1 1 1 1 0
    #     Σx = 3, Σy = 4, Σy² = 4, Σxy = 3
    #     r = (15 − 12) / √((15 − 9)(20 − 16)) = 3 / √24 = 0.612
    # q2: x = 0 1 1 1 0, y = 2 1 1 0 0
    #     Σx = 3, Σy = 4, Σy² = 6, Σxy = 2
    #     r = (10 − 12) / √((15 − 9)(30 − 16)) = −2 / √84 = −0.218
    # q3: x = 1 0 0 0 0, y = 1 2 2 1 0
    #     Σx = 1, Σy = 6, Σy² = 10, Σxy = 1
    #     r = (5 − 6) / √((5 − 1)(50 − 36)) = −1 / √56 = −0.134
    #
    # Options chosen (counted by option id, whatever position they were shown in):
    #     q1: a 3 (A1 A2 A3), b 2 (A4 A5), c 0
    #     q2: a 1 (A5), b 3 (A2 A3 A4), c 1 (A1)
    #     q3: a 3 (A1 A2 A3), b 2 (A3 A5), c 2 (A1 A4)
    #
    # Flags, with the threshold lowered to 5 attempts so they are raised at all:
    #     q1: none (0.3 ≤ p ≤ 0.9, r ≥ 0.2)
    #     q2: r < 0, the strongest learners miss it
    #     q3: p < 0.3, too hard; and r < 0
    result = item_statistics((sheet for sheet in graded(HAND_EXAMPLE)), minimum_attempts=5)

    assert list(result) == ["q1", "q2", "q3"]
    assert [result[q].attempts for q in result] == [5, 5, 5]
    assert [result[q].right for q in result] == [3, 3, 1]
    assert [result[q].difficulty for q in result] == pytest.approx([0.6, 0.6, 0.2])
    assert [round(result[q].discrimination, 3) for q in result] == [0.612, -0.218, -0.134]
    assert result["q1"].option_counts == {"a": 3, "b": 2, "c": 0}
    assert result["q2"].option_counts == {"a": 1, "b": 3, "c": 1}
    assert result["q3"].option_counts == {"a": 3, "b": 2, "c": 2}
    assert result["q3"].correct_options == {"a", "c"}
    assert all(result[q].judged for q in result)
    assert result["q1"].flags == ()
    assert result["q2"].flags == (NEGATIVE_DISCRIMINATION,)
    assert result["q3"].flags == (TOO_HARD, NEGATIVE_DISCRIMINATION)


def test_no_flags_below_the_minimum_number_of_attempts():
    result = item_statistics(graded(HAND_EXAMPLE))  # default minimum is well above 5
    assert not any(stats.judged or stats.flags for stats in result.values())
    assert result["q3"].difficulty == pytest.approx(0.2)  # the numbers are still there


def test_a_question_everyone_gets_right_is_too_easy_and_its_discrimination_undefined():
    sheets = [([q1(), q2()], {"q1": ["a"], "q2": [answer]}) for answer in "abbab"]
    result = item_statistics(graded(sheets), minimum_attempts=5)
    assert result["q1"].difficulty == 1.0
    assert result["q1"].discrimination is None
    assert result["q1"].flags == (TOO_EASY,)


def test_questions_drawn_in_only_some_attempts_count_only_those_attempts():
    sheets = [
        ([q1(), q2()], {"q1": ["a"], "q2": ["b"]}),
        ([q1(), q3()], {"q1": ["b"], "q3": ["a", "c"]}),
        ([q2(), q3()], {"q2": ["a"], "q3": ["a"]}),
    ]
    result = item_statistics(graded(sheets))
    assert {q: (s.attempts, s.right) for q, s in result.items()} == {"q1": (2, 1), "q2": (2, 1), "q3": (2, 1)}


@pytest.mark.parametrize(("difficulty", "discrimination", "expected"), [
    (0.91, 0.5, (TOO_EASY,)),
    (0.90, 0.5, ()),
    (0.30, 0.5, ()),
    (0.29, 0.5, (TOO_HARD,)),
    (0.50, 0.20, ()),
    (0.50, 0.19, (WEAK_DISCRIMINATION,)),
    (0.50, 0.0, (WEAK_DISCRIMINATION,)),
    (0.50, -0.01, (NEGATIVE_DISCRIMINATION,)),
    (0.95, None, (TOO_EASY,)),
    (0.20, -0.4, (TOO_HARD, NEGATIVE_DISCRIMINATION)),
])
def test_flag_thresholds(difficulty, discrimination, expected):
    assert flags_for(difficulty, discrimination) == expected


def test_point_biserial_from_sums_equals_pearson_correlation():
    generator = random.Random(6)
    for _ in range(20):
        xs = [generator.randint(0, 1) for _ in range(40)]
        ys = [generator.randint(0, 9) for _ in range(40)]
        from_sums = point_biserial(
            len(xs), sum(xs), sum(ys), sum(y * y for y in ys), sum(x * y for x, y in zip(xs, ys, strict=True)),
        )
        assert from_sums == pytest.approx(statistics.correlation(xs, ys))
