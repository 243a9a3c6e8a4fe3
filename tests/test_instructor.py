"""Instructors' pages: who may open them, content status, previews, item analysis."""
import re
import shutil

import pytest
from flask import url_for
from sqlalchemy import func, select

from course.core.extensions import db
from quizzes.reading import ModuleRead
from quizzes.attempts import submitted_answer_sheets
from quizzes.models import QuizAttempt
from tests.factories import csrf_token, make_attempt, make_user, sign_in
from tests.routes import blueprint_rules

COURSE = "sample-course"
# A value for every URL argument an instructor route takes; a route with a new argument
# fails test_every_instructor_route_argument_has_a_sample_value until one is added here.
SAMPLE_URL_VALUES = {"slug": COURSE, "module_id": "introduction"}


INSTRUCTOR_RULES = blueprint_rules("instructor")


def signed_in(client, role: str):
    if role != "anonymous":
        user = make_user(role=role)
        sign_in(client, user.email)


def request_rule(client, rule, method: str, role: str):
    with client.application.test_request_context():
        url = url_for(rule.endpoint, **{name: SAMPLE_URL_VALUES[name] for name in rule.arguments})
    if method == "GET":
        return client.get(url)
    token = csrf_token(client, "/sign-in" if role == "anonymous" else "/profile")
    return client.open(url, method=method, data={"csrf_token": token})


def test_the_instructor_blueprint_has_routes():
    assert {r.endpoint for r in INSTRUCTOR_RULES} >= {
        "instructor.content_status", "instructor.module_preview", "instructor.questions_preview",
        "instructor.item_analysis",
    }


@pytest.mark.parametrize("rule", INSTRUCTOR_RULES, ids=str)
def test_every_instructor_route_argument_has_a_sample_value(rule):
    assert rule.arguments <= SAMPLE_URL_VALUES.keys()


@pytest.mark.parametrize("rule", INSTRUCTOR_RULES, ids=str)
@pytest.mark.parametrize(("role", "allowed"), [
    ("anonymous", False), ("learner", False), ("instructor", True), ("admin", True),
])
def test_instructor_routes_are_for_instructors_and_admins_only(client, content_dir, rule, role, allowed):
    shutil.copytree(content_dir, client.application.config["CONTENT_DRAFT_DIR"])  # the draft previews need a draft
    signed_in(client, role)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = request_rule(client, rule, method, role)
        if role == "anonymous":
            assert response.status_code == 302, method
            assert response.headers["Location"].startswith("/sign-in?next="), method
        elif not allowed:
            assert response.status_code == 403, method
            assert "Correct answer" not in response.get_data(as_text=True)
        elif method == "GET":
            assert response.status_code == 200, method
        else:
            assert response.status_code != 403 and "/sign-in" not in response.headers.get("Location", ""), method


def test_instructor_link_in_the_navigation_only_for_instructors_and_admins(client):
    learner = make_user(role="learner")
    sign_in(client, learner.email)
    assert ">Instructor</a>" not in client.get("/").get_data(as_text=True)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/profile")})
    for role in ("instructor", "admin"):
        user = make_user(role=role)
        sign_in(client, user.email)
        assert 'href="/instructor/content">Instructor</a>' in client.get("/").get_data(as_text=True)
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/profile")})


@pytest.fixture
def instructor(client):
    user = make_user(role="instructor")
    sign_in(client, user.email)
    return user


def test_content_status_shows_live_version_and_load_time(client, app, instructor):
    status = app.extensions["content"].catalogue().statuses[COURSE]
    page = client.get("/instructor/content").get_data(as_text=True)
    assert "Sample Course on Depression Care" in page
    assert "Passes the check." in page
    assert f"<code>{status.live_version}</code>" in page
    assert status.loaded_at.strftime("%Y-%m-%d %H:%M") + " UTC" in page
    assert "Files fail the check" not in page


def test_broken_edit_shows_file_and_line_while_the_last_valid_version_serves(client, app, content_dir, instructor):
    live_version = app.extensions["content"].catalogue().statuses[COURSE].live_version
    bank = content_dir / COURSE / "quiz" / "first-objective.yaml"
    lines = bank.read_text().split("\n")
    assert lines[9] == "    correct: [a]"  # line 10 of the file
    lines[9] = "    correct: [z]"
    bank.write_text("\n".join(lines))

    page = client.get("/instructor/content").get_data(as_text=True)
    assert "Files fail the check: learners still see the last valid version." in page
    assert "content/sample-course/quiz/first-objective.yaml:10" in page
    assert "correct option &#39;z&#39; is not one of the options" in page
    assert f"<code>{live_version}</code>" in page

    # Learners' pages keep serving the last valid version.
    learner_client = app.test_client()
    learner = make_user(role="learner")
    sign_in(learner_client, learner.email)
    assert "Sample Course on Depression Care" in learner_client.get(f"/courses/{COURSE}").get_data(as_text=True)
    assert learner_client.get(f"/courses/{COURSE}/modules/first-objective").status_code == 200
    # The preview says which version it shows.
    preview = client.get(f"/instructor/courses/{COURSE}/questions").get_data(as_text=True)
    assert "the files on disk fail the content check" in preview


def test_provider_problems_are_shown_and_hold_every_course(client, content_dir, instructor):
    client.get("/instructor/content")  # loads the valid version first
    provider = content_dir / "provider.yaml"
    provider.write_text(provider.read_text().replace("states: [AL]", "states: [XX]"))
    page = client.get("/instructor/content").get_data(as_text=True)
    assert "provider.yaml fails the check." in page
    assert "content/provider.yaml:22" in page and "unknown state" in page
    assert "The course's own files pass, but" in page


def test_module_preview_renders_the_module_without_recording_a_read(client, instructor):
    response = client.get(f"/instructor/courses/{COURSE}/modules/first-objective")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The first thing" in page and "<table>" in page and "Sample Guideline Panel" in page
    assert db.session.scalar(select(func.count()).select_from(ModuleRead)) == 0
    assert client.get(f"/instructor/courses/{COURSE}/modules/no-such-module").status_code == 404
    assert client.get("/instructor/courses/no-such-course/questions").status_code == 404


def options_marked_correct(page: str) -> list[tuple[str, bool]]:
    """(option text, whether the preview marks it as a correct answer) for every option shown."""
    items = re.findall(r"<li>[a-z]\.\s*<p>([^<]+)</p>(.*?)</li>", page, re.DOTALL)
    return [(text, "Correct answer" in rest) for text, rest in items]


def test_questions_preview_marks_every_correct_answer(client, instructor):
    page = client.get(f"/instructor/courses/{COURSE}/questions").get_data(as_text=True)
    options = options_marked_correct(page)
    # The fixture's two banks hold 4 questions of 3 options each; the right options say "Right".
    assert len(options) == 24
    assert all(marked == text.startswith("Right") for text, marked in options), options
    assert sum(marked for _, marked in options) == 10  # one each, two for the multiple-answer questions
    assert "Because A and C are right." in page  # rationale
    assert "[1] Author A. A first paper." in page and "[2] Author B. A second paper." in page  # references


@pytest.mark.parametrize("role", ["learner", "instructor"])
def test_quiz_pages_never_show_the_answer_key_even_to_instructors(client, role):
    user = make_user(role=role)
    sign_in(client, user.email)
    client.get(f"/courses/{COURSE}/modules/first-objective")
    response = client.post(f"/courses/{COURSE}/objectives/first-objective/quiz",
                           data={"csrf_token": csrf_token(client, "/profile")})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Quiz attempt 1" in page
    main = page.split("<main", 1)[1]
    assert "Correct answer" not in main and "Because" not in main
    assert not re.search(r"correct", main, re.IGNORECASE)


def bank_snapshot(app, question_ids: list[str]) -> list[dict]:
    """Questions as an attempt stores them, options in reverse file order."""
    course = app.extensions["content"].catalogue().courses[COURSE]
    questions = {q.id: q for bank in course.banks.values() for q in bank.questions}
    return [{
        "id": question_id, "type": questions[question_id].type, "stem_html": questions[question_id].stem_html,
        "options": [list(option) for option in reversed(questions[question_id].options)],
        "correct": sorted(questions[question_id].correct), "rationale_html": "", "reference": {"id": 1, "citation": ""},
    } for question_id in question_ids]


def add_attempt(questions: list[dict], answers: dict | None, course_slug: str = COURSE) -> QuizAttempt:
    """One attempt by a new learner: submitted with `answers`, or open if they are None."""
    return make_attempt(make_user(), questions=questions, answers=answers, course_slug=course_slug)


@pytest.fixture
def attempts(app):
    """Four submitted attempts (q1 right in three, plus a question since dropped from the bank),
    one open attempt and one at another course."""
    questions = bank_snapshot(app, ["first-objective-q1", "first-objective-q2"])
    retired = {**questions[0], "id": "retired-question", "options": [["x", "<p>Gone option</p>"], ["y", "<p>Y</p>"]],
               "correct": ["x"]}
    for q1_answer in ("a", "a", "a", "b"):
        add_attempt(questions + [retired], {"first-objective-q1": [q1_answer], "first-objective-q2": ["b"],
                                            "retired-question": ["y"]})
    add_attempt(questions, None)
    add_attempt(questions, {"first-objective-q1": ["c"], "first-objective-q2": ["a"]}, course_slug="other-course")


def test_submitted_answer_sheets_reads_only_submitted_attempts_of_the_course(app, attempts):
    sheets = list(submitted_answer_sheets(db.session, COURSE, batch_size=2))
    assert len(sheets) == 4
    assert [answers["first-objective-q1"] for _, answers, _ in sheets] == [["a"], ["a"], ["a"], ["b"]]


def test_item_analysis_page(client, attempts, instructor):
    page = client.get(f"/instructor/courses/{COURSE}/item-analysis").get_data(as_text=True)
    assert "corrected point-biserial" in page
    row = re.search(r'<th scope="row"><a href="#item-first-objective-q1">first-objective-q1</a></th>(.*?)</tr>', page, re.DOTALL)
    assert re.findall(r"<td>([^<]*)</td>", row.group(1)) == ["4", "0.75", "n/a", "too few attempts"]
    details = page.split('id="item-first-objective-q1"', 1)[1].split("</section>", 1)[0]
    assert re.search(r"Right answer one</p></th>\s*<td>Yes, correct</td>\s*<td>3</td>\s*<td>75%</td>", details)
    assert re.search(r"Wrong answer one</p></th>\s*<td>No</td>\s*<td>1</td>\s*<td>25%</td>", details)
    assert "Not answered in any submitted attempt yet." in page.split('id="item-first-objective-q4"', 1)[1]
    retired = page.split("Questions no longer in any bank", 1)[1]
    assert "retired-question" in retired and "(no longer in the bank)" in retired
