"""What a learner clicks, in a real Chromium."""
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_register_sign_in_read_modules_and_see_progress(live_server, page):
    base = live_server.url
    page.goto(base + "/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Full name, as it should appear on certificates").fill("Zoë Łukasiewicz-Nguyễn")
    page.get_by_label("Email").fill("zoe@example.org")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("zoe@example.org")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Sample Course on Depression Care").click()
    expect(page.get_by_test_id("modules-read")).to_have_text("0 of 3")
    page.get_by_role("link", name="The first thing").click()
    expect(page.get_by_role("heading", name="The first thing", level=1)).to_be_visible()
    expect(page.locator("table")).to_be_visible()
    page.locator("a[href=\"#ref-2\"]").first.click()
    expect(page).to_have_url(re.compile(r"#ref-2$"))

    page.get_by_role("link", name=re.compile("^Next: The second thing")).click()
    expect(page.get_by_role("heading", name="The second thing", level=1)).to_be_visible()
    page.get_by_role("link", name="Back to the course page").click()
    expect(page.get_by_test_id("modules-read")).to_have_text("2 of 3")
    expect(page.locator(".objectives .status.done")).to_have_count(2)
