"""WCAG 2.2 AA: axe-core finds no violations on the learner pages; a quiz can be done by keyboard."""
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.factories import make_user

pytestmark = pytest.mark.browser

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]},
           "resultTypes": ["violations"]}


def assert_accessible(page, what: str):
    results = Axe().run(page, options=WCAG_AA)
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]
    assert violations == [], f"{what}: {violations}"


def sign_in(page, base, email="a11y@example.org"):
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()


def answer_by_keyboard(page, questions, right: int):
    """Tab to each question's options and choose with the keyboard only."""
    for index, question in enumerate(questions):
        options = [option_id for option_id, _ in question["options"]]
        wanted = question["correct"] if index < right else [next(o for o in options if o not in question["correct"])]
        inputs = page.locator(f"#question-{index + 1} input")
        for option_id in wanted:
            inputs.nth(options.index(option_id)).focus()
            page.keyboard.press("Space")


def test_learner_pages_have_no_axe_violations(live_server, page):
    base = live_server.url
    with live_server.app.app_context():
        make_user(email="a11y@example.org", profession="nurse", licences=[("NY", "RN-1")])
    for path in ("/", "/register", "/sign-in", "/forgot-password", "/courses/sample-course", "/no-such-page"):
        page.goto(base + path)
        assert_accessible(page, path)
    page.goto(base + "/register")
    page.get_by_role("button", name="Create account").click()
    assert_accessible(page, "register with errors")

    sign_in(page, base)
    for path in ("/profile", "/account/password", "/courses/sample-course",
                 "/courses/sample-course/objectives/first-objective/quiz",
                 "/courses/sample-course/references"):
        page.goto(base + path)
        assert_accessible(page, path)
    for module in ("introduction", "first-objective", "second-objective"):
        page.goto(f"{base}/courses/sample-course/modules/{module}")
        assert_accessible(page, module)


def test_quiz_in_each_state_by_keyboard_only_with_no_axe_violations(live_server, page):
    from tests.test_browser import _attempt_from_url

    base = live_server.url
    with live_server.app.app_context():
        make_user(email="a11y@example.org")
    sign_in(page, base)
    page.goto(base + "/courses/sample-course/modules/first-objective")
    page.goto(base + "/courses/sample-course/objectives/first-objective/quiz")
    assert_accessible(page, "quiz intro")

    page.get_by_role("button", name="Start the quiz").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Quiz attempt 1")).to_be_visible()
    assert_accessible(page, "quiz attempt")

    page.get_by_role("button", name="Submit answers").focus()
    page.keyboard.press("Enter")  # nothing chosen: the form comes back with errors
    expect(page.get_by_role("alert")).to_contain_text("choose an answer")
    assert_accessible(page, "quiz attempt with errors")

    answer_by_keyboard(page, _attempt_from_url(live_server, page.url), right=0)
    page.get_by_role("button", name="Submit answers").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 1: not passed")
    assert_accessible(page, "failed results")

    page.get_by_role("button", name="Retake the quiz with new questions").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Quiz attempt 2")).to_be_visible()
    answer_by_keyboard(page, _attempt_from_url(live_server, page.url), right=3)
    page.get_by_role("button", name="Submit answers").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Attempt 2: passed")
    assert_accessible(page, "passed results")


def test_credit_pages_have_no_axe_violations(live_server, page):
    from datetime import UTC, datetime

    from tests.factories import complete_course

    base = live_server.url
    live_server.app.config["CLOCK"] = lambda: datetime(2025, 7, 29, 16, 0, tzinfo=UTC)
    with live_server.app.app_context():
        user = make_user(email="a11y@example.org", profession="nurse", licences=[("AL", "RN-1"), ("KY", "RN-2")])
        complete_course(user)
    sign_in(page, base)
    page.goto(base + "/courses/sample-course/evaluation")
    assert_accessible(page, "evaluation form")
    page.get_by_role("button", name=re.compile("Submit")).click()
    assert_accessible(page, "evaluation form with errors")
    for fieldset in page.locator("fieldset").all():
        radios = fieldset.locator("input[type=radio]")
        if radios.count():
            radios.first.check()
    for number_input in page.locator("input[type=number]").all():
        number_input.fill("60")
    page.get_by_role("button", name=re.compile("Submit")).click()
    page.goto(base + "/courses/sample-course/credit")
    assert_accessible(page, "claim page")
    page.locator("form", has=page.locator("input[name='ancc-csrf_token']")).get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/certificates/\d+$"))
    assert_accessible(page, "certificate")
    verify_link = page.locator("a[href*='/verify/']").first.get_attribute("href")
    page.goto(base + "/transcript")
    assert_accessible(page, "transcript")
    page.goto(verify_link if verify_link.startswith("http") else base + verify_link)
    assert_accessible(page, "verify page")


def chromium_groups(page) -> dict[str, str]:
    """Accessible name -> description of every group in Chromium's own accessibility tree."""
    cdp = page.context.new_cdp_session(page)
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    cdp.detach()
    return {
        " ".join(node["name"]["value"].split()): " ".join(node.get("description", {}).get("value", "").split())
        for node in nodes if node.get("role", {}).get("value") == "group" and node.get("name", {}).get("value")
    }


def test_each_question_group_is_named_by_its_stem_for_screen_readers(live_server, page):
    from tests.test_browser import _attempt_from_url

    base = live_server.url
    with live_server.app.app_context():
        make_user(email="a11y@example.org")
    sign_in(page, base)
    page.goto(base + "/courses/sample-course/modules/first-objective")
    page.goto(base + "/courses/sample-course/objectives/first-objective/quiz")
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_role("heading", name="Quiz attempt 1")).to_be_visible()
    questions = _attempt_from_url(live_server, page.url)
    groups = chromium_groups(page)
    for number, question in enumerate(questions, start=1):
        stem = " ".join(re.sub("<[^>]+>", " ", question["stem_html"]).split())
        choose_all = " (choose all that apply)" if question["type"] == "multiple" else ""
        assert f"Question {number}{choose_all} {stem}" in groups, groups
        group = page.get_by_role("group", name=f"Question {number}{choose_all} {stem}")
        expect(group.get_by_role("checkbox" if choose_all else "radio")).to_have_count(len(question["options"]))

    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("alert")).to_contain_text("choose an answer")
    groups = chromium_groups(page)
    assert [description for description in groups.values() if description] == [
        f"Question {number}: choose an answer." for number in range(1, len(questions) + 1)
    ], groups
