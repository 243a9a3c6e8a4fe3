"""Content: loading, rendering, sanitising, checking and reloading."""
import os
import re
from pathlib import Path

import pytest

from course.content.loader import load_catalogue
from course.content.store import ContentStore
from course.core.config import load_config
from course.content.markdown import render_markdown
from tests.factories import TEST_BADGE_KEY, csrf_token, make_user, sign_in

PROJECT_CONTENT = Path(__file__).resolve().parent.parent / "content"


def test_fixture_content_loads_without_problems(content_dir):
    catalogue = load_catalogue(content_dir)
    assert catalogue.problems == ()
    course = catalogue.courses["sample-course"]
    assert [o.id for o in course.objectives] == ["first-objective", "second-objective"]
    assert [m.id for m in course.modules] == ["introduction", "first-objective", "second-objective"]
    assert course.module_for_objective("second-objective").id == "second-objective"
    assert len(course.banks["first-objective"].questions) == 4
    assert str(course.designations[2].amount) == "1.2"
    assert catalogue.provider.approvals["nursing-al"].states == {"AL"}


def test_project_content_passes_the_check(runner):
    result = runner.invoke(args=["content", "check", "--dir", str(PROJECT_CONTENT)])
    assert result.exit_code == 0, result.output
    *warnings, summary = result.output.splitlines()
    assert summary.startswith("Content OK: ")
    # The source names no planners, authors or reviewers; until the provider's records fill them in,
    # and until the course is registered with PARS and CE Broker (its reported credit cannot be batched):
    assert [line.partition(": warning: ")[2] for line in warnings] == [
        *(f"disclosure.{group} is empty: name everyone in that role and their relevant financial relationships "
          "(or that they have none) before the course is offered" for group in ("planners", "authors", "reviewers")),
        "MOC credit is reported to ACCME PARS: add reporting.accme_activity_id once the activity is registered, "
        "or its completions cannot be batched",
        "credit reported to CE Broker needs reporting.ce_broker_course_number, or its completions cannot be batched",
    ]


def test_render_markdown_tables_citations_and_evidence():
    html = render_markdown(
        "| A | B |\n|---|---|\n| 1 | 2 [3] |\n\nSee [4,5] and [7-8].\n\n"
        ':::evidence source="VA/DoD" strength="Strong for"\nUse **it** [1].\n:::\n'
    )
    assert "<table>" in html and "<td>2 <span" in html
    assert '<a href="#ref-3"' in html
    assert re.findall(r'href="#ref-(\d+)"', html) == ["3", "4", "5", "7", "8", "1"]
    assert '<aside class="evidence"' in html
    assert "Source:</span> VA/DoD" in html and "Strength of recommendation:</span> Strong for" in html
    assert "<strong>it</strong>" in html


def test_markdown_links_are_not_taken_for_citations():
    html = render_markdown("[1](https://example.org) and [2][x]\n\n[x]: https://example.org/x")
    assert "#ref-" not in html


@pytest.mark.parametrize("attack", [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<div onmouseover="alert(1)">x</div>',
    "<iframe src=https://evil.example></iframe>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    ':::evidence source="<script>alert(1)</script>" strength="x"\nbody\n:::',
])
def test_render_markdown_strips_dangerous_html(attack):
    html = render_markdown(attack).lower()
    assert "<script" not in html
    assert "onerror" not in html and "onmouseover" not in html
    assert "javascript:" not in html
    assert "<iframe" not in html and "style=" not in html


def test_module_page_renders_table_citations_and_reference_list(client, content_dir):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    page = client.get("/courses/sample-course/modules/first-objective").get_data(as_text=True)
    assert "<table>" in page and '<th align="left">Treatment</th>' in page
    assert '<a href="#ref-2"' in page
    assert 'id="ref-1"' in page and 'id="ref-2"' in page
    assert "Author B. A second paper." in page
    assert '<aside class="evidence"' in page


def test_script_in_content_file_never_reaches_the_page(client, content_dir):
    module = content_dir / "sample-course" / "modules" / "introduction.md"
    module.write_text(module.read_text() + '\n<script>alert("x")</script>\n<img src=x onerror="alert(2)">\n')
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    page = client.get("/courses/sample-course/modules/introduction").get_data(as_text=True)
    assert "Response means" in page
    assert "alert" not in page and "onerror" not in page


def test_content_check_reports_file_and_line_and_exits_1(runner, content_dir):
    course_yaml = content_dir / "sample-course" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("approval: ancc", "approval: no-such-body"))
    bank = content_dir / "sample-course" / "quiz" / "first-objective.yaml"
    bank.write_text(bank.read_text().replace("    correct: [b]\n", "    correct: []\n", 1))
    module = content_dir / "sample-course" / "modules" / "second-objective.md"
    module.write_text(module.read_text() + "\nA claim with a missing source [99].\n")
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    designation_line = course_yaml.read_text().splitlines().index("  - approval: no-such-body") + 1
    assert f"content/sample-course/course.yaml:{designation_line}: designation for 'no-such-body', which provider.yaml does not list" in lines
    assert "content/sample-course/quiz/first-objective.yaml:20: a question needs at least one correct option" in lines
    missing_line = len(module.read_text().splitlines())
    assert f"content/sample-course/modules/second-objective.md:{missing_line}: cites reference [99], which references.yaml does not list" in lines


@pytest.mark.parametrize("edit, expected", [
    (("course.yaml", "pass_mark: 70", "pass_mark: 170"), "course.yaml:9: pass_mark must be a percentage from 1 to 100"),
    (("course.yaml", "title: Sample", "title: [Sample"), "course.yaml:2: invalid YAML"),
    (("course.yaml", "modules: [introduction,", "modules: [missing-module, introduction,"), "module 'missing-module' has no file"),
    (("quiz/second-objective.yaml", "objective: second-objective", "objective: unknown-objective"), "quiz/second-objective.yaml:1: unknown objective 'unknown-objective'"),
    (("quiz/second-objective.yaml", "    reference: 2\n", "    reference: 42\n"), "reference 42 is not in references.yaml"),
    (("quiz/second-objective.yaml", "    reference: 2\n", "\n"), "missing required field 'reference'"),
    (("quiz/second-objective.yaml", "    correct: [a, c]", "    correct: [a]"), "a multiple-answer question needs two or more correct options"),
    (("quiz/second-objective.yaml", "    correct: [b]", "    correct: [z]"), "correct option 'z' is not one of the options"),
    (("modules/first-objective.md", "objective: first-objective", "objective: nope"), "modules/first-objective.md:3: unknown objective 'nope'"),
    (("modules/first-objective.md", ":::\n", "\n"), "evidence block is not closed"),
    (("course.yaml", "release_date: 2025-07-01", "release_date: 2029-07-01"), "expiry_date must be after release_date"),
    (("course.yaml", "release_date: 2025-07-01", "release_date: July 2025"), "must be a date written as YYYY-MM-DD"),
    (("course.yaml", "    amount: 1.2", "    amount: -1"), "must be greater than zero"),
    (("evaluation.yaml", "scale: agreement", "scale: nope"), "unknown scale 'nope'"),
    (("references.yaml", "  - id: 2", "  - id: 1"), "reference 1 is listed twice"),
])
def test_content_check_catches_each_kind_of_error(runner, content_dir, edit, expected):
    name, old, new = edit
    path = content_dir / "sample-course" / name
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1
    assert expected in result.output, result.output


def test_provider_errors_name_the_provider_file(runner, content_dir):
    provider = content_dir / "provider.yaml"
    provider.write_text(provider.read_text().replace("states: [AL]", "states: [XX]").replace("valid_until: 2025-07-29", "valid_until: soon"))
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1
    assert "content/provider.yaml:22: unknown state 'XX'" in result.output
    assert "content/provider.yaml:20: 'valid_until' must be a date" in result.output


def test_edited_file_shows_on_next_request_without_restart(client, content_dir):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    url = "/courses/sample-course/modules/introduction"
    assert "Response means" in client.get(url).get_data(as_text=True)
    module = content_dir / "sample-course" / "modules" / "introduction.md"
    module.write_text(module.read_text().replace("Response means", "Edited text says"))
    page = client.get(url).get_data(as_text=True)
    assert "Edited text says" in page and "Response means" not in page


def test_broken_edit_keeps_last_valid_version_serving(client, content_dir, app):
    url = "/courses/sample-course"
    assert "Sample Course on Depression Care" in client.get(url).get_data(as_text=True)
    course_yaml = content_dir / "sample-course" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("title: Sample Course", "title: [Broken"))
    response = client.get(url)
    assert response.status_code == 200
    assert "Sample Course on Depression Care" in response.get_data(as_text=True)
    status = app.extensions["content"].catalogue().statuses["sample-course"]
    assert status.stale and status.problems


def test_store_rereads_only_when_files_change(content_dir):
    store = ContentStore(content_dir)
    first = store.catalogue()
    assert store.catalogue() is first
    (content_dir / "sample-course" / "references.yaml").write_text(
        (content_dir / "sample-course" / "references.yaml").read_text() + "  - id: 3\n    citation: A third.\n"
    )
    assert store.catalogue() is not first
    assert store.catalogue().courses["sample-course"].reference(3).citation == "A third."


def test_store_looks_for_changes_at_most_once_per_recheck_interval(content_dir):
    moment = [100.0]
    store = ContentStore(content_dir, recheck_seconds=2.0, clock=lambda: moment[0])
    first = store.catalogue()
    references = content_dir / "sample-course" / "references.yaml"
    references.write_text(references.read_text() + "  - id: 3\n    citation: A third.\n")
    moment[0] += 1.9
    assert store.catalogue() is first
    moment[0] += 0.2
    assert store.catalogue().courses["sample-course"].reference(3).citation == "A third."


def test_production_rechecks_content_every_two_seconds_and_development_always(tmp_path):
    assert load_config(tmp_path, {"APP_ENV": "production", "SECRET_KEY": "0123456789abcdef" * 4, "BASE_URL": "https://ce.example.org", "BADGE_SIGNING_KEY": TEST_BADGE_KEY})["CONTENT_RECHECK_SECONDS"] == 2.0
    assert load_config(tmp_path, {"APP_ENV": "development"})["CONTENT_RECHECK_SECONDS"] == 0.0


def test_course_page_follows_edits_to_the_course_and_the_provider(client, content_dir):
    """An edit to course.yaml or provider.yaml shows on the course page at the next request."""
    url = "/courses/sample-course"
    assert "American Nurses Credentialing Center (ANCC)" in client.get(url).get_data(as_text=True)
    provider = content_dir / "provider.yaml"
    provider.write_text(provider.read_text().replace("American Nurses Credentialing Center (ANCC)", "ANCC (renamed)"))
    course_yaml = content_dir / "sample-course" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("A short **sample** course", "A revised **sample** course"))
    page = client.get(url).get_data(as_text=True)
    assert "ANCC (renamed)" in page and "American Nurses Credentialing Center" not in page
    assert "A revised <strong>sample</strong> course" in page


def test_unknown_course_and_module_are_404(client):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    assert client.get("/courses/nope").status_code == 404
    assert client.get("/courses/sample-course/modules/nope").status_code == 404


def test_citation_before_a_colon_is_still_a_citation():
    html = render_markdown("Two trials showed this [3]: both were small.\n\n[x]: https://example.org")
    assert '<a href="#ref-3"' in html


@pytest.mark.parametrize("breakage", ["bad yaml", "question without answers", "missing module", "nested 2000 deep",
                                      "bank nested 60 deep", "folder named like a bank", "unreadable bank"])
def test_content_broken_while_running_keeps_the_last_valid_version(client, content_dir, breakage, app):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    course_dir = content_dir / "sample-course"
    assert "Describe the first thing." in client.get("/courses/sample-course").get_data(as_text=True)
    if breakage == "bad yaml":
        (course_dir / "course.yaml").write_text("title: [unclosed\n")
    elif breakage == "question without answers":
        bank = course_dir / "quiz" / "first-objective.yaml"
        bank.write_text(bank.read_text().replace("    correct: [a]\n", "", 1))
    elif breakage == "nested 2000 deep":
        (course_dir / "course.yaml").write_text((course_dir / "course.yaml").read_text() + "x: " + "[" * 2000 + "]" * 2000 + "\n")
    elif breakage == "bank nested 60 deep":
        bank = course_dir / "quiz" / "first-objective.yaml"
        bank.write_text(bank.read_text() + "x: " + "[" * 60 + "]" * 60 + "\n")
    elif breakage == "folder named like a bank":
        (course_dir / "quiz" / "x.yaml").mkdir()
    elif breakage == "unreadable bank":
        (course_dir / "quiz" / "first-objective.yaml").chmod(0)
        if os.access(course_dir / "quiz" / "first-objective.yaml", os.R_OK):  # root reads any file
            (course_dir / "quiz" / "first-objective.yaml").chmod(0o644)
            (course_dir / "quiz" / "first-objective.yaml").write_bytes(b"\xff\xfe not text")
    else:
        (course_dir / "modules" / "second-objective.md").unlink()
    for url in ("/courses/sample-course", "/courses/sample-course/modules/second-objective",
                "/courses/sample-course/modules/first-objective"):
        response = client.get(url)
        assert response.status_code == 200, (breakage, url)
    assert "Describe the first thing." in client.get("/courses/sample-course").get_data(as_text=True)
    status = app.extensions["content"].catalogue().statuses["sample-course"]
    assert status.stale and status.problems, breakage  # the broken file is this course's problem, shown as such
    client.get("/courses/sample-course/modules/first-objective")
    quiz = client.post("/courses/sample-course/objectives/first-objective/quiz",
                       data={"csrf_token": csrf_token(client, "/profile")})
    assert quiz.status_code == 302  # the quiz still draws from the last valid bank


@pytest.mark.parametrize(("breakage", "expected"), [
    ("deep", "sample-course/course.yaml:1: nested too deeply (at most 50 levels)"),
    ("folder", "sample-course/quiz/x.yaml:1: is a folder, not a file"),
])
def test_content_check_names_the_file_that_cannot_be_loaded(runner, content_dir, breakage, expected):
    course_dir = content_dir / "sample-course"
    if breakage == "deep":
        (course_dir / "course.yaml").write_text((course_dir / "course.yaml").read_text() + "x: " + "[" * 2000 + "]" * 2000 + "\n")
    else:
        (course_dir / "quiz" / "x.yaml").mkdir()
    result = runner.invoke(args=["content", "check"])
    assert result.exit_code == 1
    assert expected in result.output


TOPICS = "objective: first-objective\ntopics:\n  - id: one\n    title: Topic one\n  - id: two\n    title: Topic two\n"


def _declare_topics(content_dir, topic_of_question: list[str]) -> None:
    bank = content_dir / "sample-course" / "quiz" / "first-objective.yaml"
    text = bank.read_text().replace("objective: first-objective\n", TOPICS, 1)
    for number, topic in enumerate(topic_of_question, start=1):
        text = text.replace(f"  - id: first-objective-q{number}\n", f"  - id: first-objective-q{number}\n    topic: {topic}\n")
    bank.write_text(text)


def test_bank_topics_are_read_with_each_question(content_dir):
    _declare_topics(content_dir, ["one", "two", "one", "two"])
    catalogue = load_catalogue(content_dir)
    assert catalogue.problems == ()
    bank = catalogue.courses["sample-course"].banks["first-objective"]
    assert [t.id for t in bank.topics] == ["one", "two"]
    assert [q.topic for q in bank.questions] == ["one", "two", "one", "two"]


@pytest.mark.parametrize("topics, expected", [
    (["one", "two", "one", "three"], "unknown topic 'three'"),
    (["one", "one", "one", "two"], "topic 'two' has 1 question(s); each topic needs at least 2"),
])
def test_content_check_refuses_a_blueprint_an_attempt_cannot_cover(runner, content_dir, topics, expected):
    _declare_topics(content_dir, topics)
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1
    assert expected in result.output, result.output


def test_a_question_in_a_bank_with_topics_must_name_one(runner, content_dir):
    _declare_topics(content_dir, ["one", "two", "one"])
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1
    assert "missing required field 'topic'" in result.output, result.output


def _set_rationale(content_dir, rationale: str) -> None:
    bank = content_dir / "sample-course" / "quiz" / "first-objective.yaml"
    bank.write_text(bank.read_text().replace("rationale: Because one is right.", f"rationale: {rationale}", 1))


@pytest.mark.parametrize("rationale, named", [
    ("Option c is tempting, but it confuses response with remission.", "Option c"),
    ("Because B and option (c) overstate the effect.", "option (c)"),
    ("Answers b and c both overstate it.", "Answers b and c"),
    ("The right choice A is the first one.", "choice A"),
    ("Why b is right, given the trial enrolled adults.", "b is right"),
    ("Not (b), which is the older label.", "(b)"),
    ("Option a would lose the partial response.", "Option a"),
])
def test_content_check_refuses_a_rationale_that_names_an_option_letter(runner, content_dir, rationale, named):
    _set_rationale(content_dir, rationale)
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1, result.output
    assert "first-objective.yaml" in result.output and "names an option by its letter" in result.output
    assert repr(named) in result.output, result.output


@pytest.mark.parametrize("rationale", [
    "An option a patient prefers is often the better one.",
    "The answer a clinician gives depends on the prior trials.",
    "Vitamin D and vitamin B12 are not antidepressants.",
    "Hepatitis C is not a contraindication (see the label).",
    "Plan A failed, so the team moved on.",
])
def test_content_check_accepts_letters_that_are_not_option_names(runner, content_dir, rationale):
    _set_rationale(content_dir, rationale)
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 0, result.output
    assert "names an option" not in result.output


def test_content_check_warns_when_the_keys_are_systematically_the_longest(runner, content_dir):
    bank = content_dir / "sample-course" / "quiz" / "second-objective.yaml"
    text = bank.read_text()
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert "longest option" not in result.output
    for key in ("Right answer one", "Right answer two", "Right answer four"):
        text = text.replace(f": {key}\n", f": {key}, as the longer trials showed\n")
    bank.write_text(text)
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 0, result.output
    assert ("sample-course/quiz/second-objective.yaml:2: warning: the key is the longest option in 3 of 3 "
            "single-answer questions (second-objective-q1, second-objective-q2, second-objective-q4)") in result.output


def test_the_shipped_banks_do_not_favour_the_longest_option():
    from course.content.quality import longest_keys

    course = load_catalogue(PROJECT_CONTENT).courses["treatment-resistant-depression"]
    for bank in course.banks.values():
        keys = longest_keys(list(bank.questions))
        assert not keys.systematic and len(keys.longest) <= keys.items // 4, keys


def _estimated_minutes(content_dir, minutes: int) -> None:
    course_yaml = content_dir / "sample-course" / "course.yaml"
    course_yaml.write_text(re.sub(r"estimated_minutes: \d+", f"estimated_minutes: {minutes}", course_yaml.read_text()))


def test_content_check_warns_when_estimated_minutes_is_off_by_more_than_a_quarter(runner, content_dir):
    module = content_dir / "sample-course" / "modules" / "first-objective.md"
    module.write_text(module.read_text() + "\n" + "Depression care needs follow-up. " * 1000 + "\n")
    # The fixture's modules hold 51 words, now 4,051: 20.3 minutes at 200 words a minute, plus two
    # quizzes of 3 questions at 1.5 minutes (9 minutes), rounded up to 30 minutes.
    for minutes, warned in ((60, True), (38, True), (37, False), (30, False), (23, False), (22, True)):
        _estimated_minutes(content_dir, minutes)
        result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
        assert result.exit_code == 0, result.output
        assert ("course.yaml:8: warning: estimated_minutes is" in result.output) is warned, (minutes, result.output)
    _estimated_minutes(content_dir, 60)
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert "(4051 words at 200 words a minute, 20 min)" in result.output, result.output
    assert "comes to about 30 minutes (100% off" in result.output, result.output


def test_broken_yaml_in_a_quiz_bank_reports_only_that_error(runner, content_dir):
    bank = content_dir / "sample-course" / "quiz" / "second-objective.yaml"
    bank.write_text(bank.read_text(encoding="utf-8") + "\n  - id: [unclosed\n", encoding="utf-8")
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if ": warning: " not in line and line.strip()]
    assert len(errors) == 2, result.output  # the YAML error, then the summary line
    assert errors[0].startswith("content/sample-course/quiz/second-objective.yaml:45: invalid YAML")
    assert "has no question bank" not in result.output


def test_an_objective_without_a_bank_file_is_still_reported(runner, content_dir):
    (content_dir / "sample-course" / "quiz" / "second-objective.yaml").unlink()
    result = runner.invoke(args=["content", "check", "--dir", str(content_dir)])
    assert result.exit_code == 1
    assert "objective 'second-objective' has no question bank quiz/second-objective.yaml" in result.output
