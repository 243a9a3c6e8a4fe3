"""What a learner clicks, in a real Chromium."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_register_sign_in_read_modules_and_see_progress(live_server, page):
    base = live_server.url
    page.goto(base + "/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("First name").fill("Zoë")
    page.get_by_label("Last name").fill("Łukasiewicz-Nguyễn")
    page.get_by_label("Email").fill("zoe@example.org")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill("zoe@example.org")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Sample Course on Depression Care").click()
    expect(page.get_by_test_id("modules-read")).to_have_text("0 of 3")
    page.get_by_role("link", name="The first thing", exact=True).click()
    expect(page.get_by_role("heading", name="The first thing", level=1)).to_be_visible()
    expect(page.locator("table")).to_be_visible()
    page.locator("a[href=\"#ref-2\"]").first.click()
    expect(page).to_have_url(re.compile(r"#ref-2$"))

    page.get_by_role("link", name=re.compile("^Next: The second thing")).click()
    expect(page.get_by_role("heading", name="The second thing", level=1)).to_be_visible()
    page.get_by_role("link", name="Back to the course page").click()
    expect(page.get_by_test_id("modules-read")).to_have_text("2 of 3")
    expect(page.get_by_test_id("objective-first-objective")).to_contain_text("Module read")
    expect(page.get_by_test_id("objective-second-objective")).to_contain_text("Module read")
    expect(page.get_by_role("link", name="Take the quiz")).to_have_count(2)


def _attempt_from_url(live_server, url):
    from course.core.extensions import db
    from quizzes.models import QuizAttempt

    attempt_id = int(url.rstrip("/").rsplit("/", 1)[1])
    with live_server.app.app_context():
        attempt = db.session.get(QuizAttempt, attempt_id)
        questions = attempt.questions
        db.session.remove()
    return questions


def _answer(page, questions, right: int):
    """Click the answers: the first `right` questions right, the rest wrong."""
    for index, question in enumerate(questions):
        fieldset = page.locator(f"#question-{index + 1}")
        options = [option_id for option_id, _ in question["options"]]
        wanted = question["correct"] if index < right else [next(o for o in options if o not in question["correct"])]
        for option_id in wanted:
            fieldset.locator("label.option").nth(options.index(option_id)).click()


def test_fail_read_feedback_retake_and_pass(live_server, page):
    from tests.factories import make_user

    with live_server.app.app_context():
        make_user(email="quiz@example.org")
    base = live_server.url
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill("quiz@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.goto(base + "/courses/sample-course")
    page.get_by_role("link", name="Read “The first thing”").click()
    page.get_by_role("link", name="Back to the course page").or_(page.get_by_role("link", name="Sample Course on Depression Care")).first.click()
    page.get_by_role("link", name="Take the quiz").click()
    expect(page.get_by_text("70% correct")).to_be_visible()
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_role("heading", name="Quiz attempt 1")).to_be_visible()
    _answer(page, _attempt_from_url(live_server, page.url), right=0)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 1: not passed")
    expect(page.get_by_test_id("score")).to_contain_text("0 of 3")
    expect(page.locator(".rationale")).to_have_count(0)
    expect(page.get_by_text("Not right")).to_have_count(3)
    expect(page.locator(".tag.correct")).to_have_count(0)

    page.get_by_role("button", name="Retake the quiz with new questions").click()
    expect(page.get_by_role("heading", name="Quiz attempt 2")).to_be_visible()
    _answer(page, _attempt_from_url(live_server, page.url), right=3)
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 2: passed")
    page.get_by_role("link", name="Back to the course").click()
    expect(page.get_by_test_id("objective-first-objective")).to_contain_text("Quiz passed (best score 100%)")
