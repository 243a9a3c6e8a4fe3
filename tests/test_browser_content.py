"""In a real Chromium: an instructor previews a draft of the content and publishes it."""
import shutil

import pytest
from playwright.sync_api import expect

from course.content.publishing import folder_hash
from tests.factories import make_user
from tests.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser


def test_an_instructor_previews_the_draft_then_publishes_it(live_server, page, content_dir):
    base = live_server.url
    with live_server.app.app_context():
        make_user(email="ines@example.org", name="Ines Instructor", role="instructor")
    draft = content_dir.with_name("content-draft")
    shutil.copytree(content_dir, draft)
    module = draft / "sample-course" / "modules" / "introduction.md"
    module.write_text(module.read_text().replace("Response means", "Draft wording says"))

    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill("ines@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Instructor", exact=True).click()
    page.get_by_role("link", name="draft", exact=True).click()
    expect(page.get_by_test_id("draft-hash")).to_have_text(folder_hash(draft))
    assert_accessible(page, "draft page")

    page.get_by_role("link", name="Module 1: Introduction").click()
    expect(page.get_by_text("Draft wording says")).to_be_visible()
    page.goto(base + "/instructor/courses/sample-course/modules/introduction")
    expect(page.get_by_text("Draft wording says")).to_have_count(0)

    page.goto(base + "/instructor/draft")
    page.get_by_role("button", name="Publish the draft").click()
    expect(page.get_by_role("status")).to_contain_text("Published: content hash")
    expect(page.locator("#publications")).to_contain_text("Ines Instructor")
    expect(page.locator("#publications")).to_contain_text(folder_hash(draft))
    page.goto(base + "/instructor/courses/sample-course/modules/introduction")
    expect(page.get_by_text("Draft wording says")).to_be_visible()
