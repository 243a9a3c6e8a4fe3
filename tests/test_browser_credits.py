"""In a real Chromium: a nurse licensed in two states completes the course, evaluates it, claims credit,
downloads the certificate and opens its verify link."""
import io
import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func, select

from course.content.loader import load_catalogue
from course.core.extensions import db
from credits.models import Certificate
from tests.factories import make_user

pytestmark = pytest.mark.browser

NAME = "Zoë Łukasiewicz-Nguyễn"
# The day the course is completed: both state approvals (Alabama to July 29, 2025, Kentucky to
# December 31, 2025) still hold.
COMPLETION_DAY = datetime(2025, 7, 29, 15, 0, tzinfo=UTC)


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def pass_quiz(page, base, course, objective_id):
    """Read the objective's module, start its quiz and tick the right answers (the test knows the bank)."""
    page.goto(f"{base}/courses/{course.slug}/modules/{course.module_for_objective(objective_id).id}")
    page.goto(f"{base}/courses/{course.slug}/objectives/{objective_id}/quiz")
    page.get_by_role("button", name="Start the quiz").click()
    questions = {plain(q.stem_html): q for q in course.banks[objective_id].questions}
    for fieldset in page.locator("fieldset.question").all():
        question = questions[" ".join(fieldset.locator(".stem").inner_text().split())]
        for option_id, option_html in question.options:
            if option_id in question.correct:
                fieldset.get_by_label(plain(option_html), exact=True).check()
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("passed")


def test_nurse_in_two_states_completes_evaluates_claims_downloads_and_verifies(live_server, page, content_dir, tmp_path):
    base = live_server.url
    live_server.app.config["CLOCK"] = lambda: COMPLETION_DAY
    with live_server.app.app_context():
        make_user(email="zoe@example.org", name=NAME, profession="nurse", licences=[("AL", "RN-1"), ("KY", "RN-2")])
    course = load_catalogue(content_dir).courses["sample-course"]

    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill("zoe@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{base}/courses/sample-course")
    expect(page.get_by_test_id("credit-section")).to_contain_text("after passing every quiz")
    for objective in course.objectives:
        pass_quiz(page, base, course, objective.id)

    page.goto(f"{base}/courses/sample-course")
    page.get_by_test_id("credit-section").get_by_role("link", name="Course evaluation").click()
    page.get_by_role("group", name="I can describe the first thing.").get_by_label("Agree", exact=True).check()
    page.get_by_label("Minutes spent on this course").fill("50")
    page.get_by_role("group", name="Do you intend to change your practice?").get_by_label("I plan a change").check()
    page.get_by_role("button", name="Submit the evaluation").click()

    expect(page.get_by_role("heading", name="Claim credit")).to_be_visible()
    offered = page.locator("section[data-approval-id]")
    expect(offered).to_have_count(4)  # ANCC, Alabama, Kentucky and IPCE
    page.get_by_role("button", name="Claim 1.2 contact hours (Alabama)", exact=True).click()
    expect(page.get_by_test_id("certificate-credit")).to_have_text("1.2 contact hours (Alabama)")
    page.goto(f"{base}/courses/sample-course/credit")
    page.get_by_role("button", name="Claim 1 contact hour", exact=True).click()
    expect(page.get_by_test_id("certificate-name")).to_have_text(NAME)
    code = page.get_by_test_id("verification-code").inner_text()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the certificate (PDF)").click()
    download = download_info.value
    assert re.fullmatch(r"certificate-sample-course-ancc-\d+\.pdf", download.suggested_filename)
    pdf_path = tmp_path / download.suggested_filename
    download.save_as(pdf_path)
    text = " ".join(PdfReader(io.BytesIO(pdf_path.read_bytes())).pages[0].extract_text().split())
    assert NAME in text and "Credit awarded: 1 contact hour" in text and "Pharmacology hours: 1" in text
    assert f"Verification code: {code}" in text

    page.get_by_role("link", name=f"{base}/verify/{code}").click()
    expect(page.get_by_role("heading", name="Certificate verification")).to_be_visible()
    expect(page.get_by_test_id("verify-status")).to_contain_text("Valid")
    expect(page.locator("main")).to_contain_text(NAME)

    page.get_by_role("link", name="Transcript").click()
    expect(page.get_by_test_id("totals")).to_contain_text("contact hour")
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2
