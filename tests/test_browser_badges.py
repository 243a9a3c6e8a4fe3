"""In a real Chromium: a learner downloads a certificate's Open Badge and its badge image, and anyone
checks them on the credential verification page; a tampered copy is refused."""
import json

import pytest
from playwright.sync_api import expect

from course.core.extensions import db
from tests.factories import make_certificate, make_user

pytestmark = pytest.mark.browser

NAME = "Zoë Łukasiewicz-Nguyễn"


def test_learner_downloads_the_open_badge_and_it_verifies_on_the_site(live_server, page, tmp_path):
    base = live_server.url
    with live_server.app.app_context():
        user = make_user(email="zoe@example.org", name=NAME, profession="nurse")
        certificate_id = make_certificate(user, approval_id="ancc").id
        db.session.remove()

    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill("zoe@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base}/certificates/{certificate_id}")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as Open Badge (.json)").click()
    badge = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(badge)
    assert badge.name == f"open-badge-sample-course-ancc-{certificate_id}.json"
    credential = json.loads(badge.read_text(encoding="utf-8"))
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    with page.expect_download() as image_info:
        page.get_by_role("link", name="Download the badge image (.png)").click()
    image = tmp_path / image_info.value.suggested_filename
    image_info.value.save_as(image)

    page.get_by_role("link", name="the credential verification page").click()
    expect(page.get_by_role("heading", name="Verify an Open Badge credential")).to_be_visible()
    for upload in (badge, image):
        page.get_by_label("Or choose the credential file (.json) or badge image (.png)").set_input_files(upload)
        page.get_by_role("button", name="Verify the credential").click()
        expect(page.get_by_test_id("badge-result")).to_contain_text("Cryptographically verified.")
        expect(page.get_by_test_id("badge-result")).to_contain_text(NAME)

    credential["credentialSubject"]["creditsEarned"] = 2
    page.get_by_label("Paste the credential (JSON)").fill(json.dumps(credential))
    page.get_by_role("button", name="Verify the credential").click()
    expect(page.get_by_test_id("badge-result")).to_contain_text("Not verified. Bad signature")
