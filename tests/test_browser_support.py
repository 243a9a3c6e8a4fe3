"""In a real Chromium: an administrator corrects a learner's name with a reason, sees that the certificate
now differs from the profile and reissues it; the learner-support pages have no axe-core violations."""
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from course.core.extensions import db
from tests.factories import complete_course, make_certificate, make_user, submit_evaluation
from tests.test_accessibility import assert_accessible
from tests.test_browser_admin import sign_in_as_admin

pytestmark = pytest.mark.browser

TODAY = datetime(2025, 9, 15, 12, tzinfo=UTC)


def seed(app) -> dict[str, int]:
    with app.app_context():
        make_user(email="admin@example.org", name="Ada Admin", role="admin")
        nurse = make_user(email="nia@example.org", name="Nia Nurze", profession="nurse",
                          licences=[("NY", "RN", "RN-1")])
        complete_course(nurse)
        submit_evaluation(nurse, answers={"objective-first-objective": "Agree", "time-spent": 60,
                                          "change": "Ask about sleep"})
        certificate = make_certificate(nurse, approval_id="ancc")
        db.session.commit()
        return {"nurse": nurse.id, "certificate": certificate.id}


def test_an_administrator_corrects_a_name_with_a_reason_and_reissues(live_server, page):
    base = live_server.url
    live_server.app.config["CLOCK"] = lambda: TODAY
    ids = seed(live_server.app)
    sign_in_as_admin(page, base)
    page.goto(f"{base}/admin/learners/{ids['nurse']}")
    page.get_by_role("link", name="Correct the profile").click()
    assert_accessible(page, "profile correction form")

    page.get_by_label("Name on certificates").fill("Nia Nurse")
    page.get_by_label("Last name").fill("Nurse")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("Give the reason for correcting the profile.")).to_be_visible()
    assert_accessible(page, "profile correction without a reason")

    page.get_by_label("Reason for the correction", exact=False).fill("Typo at registration, ticket 12")
    page.get_by_role("button", name="Save the correction").click()
    expect(page.get_by_text("Nia Nurse's profile is corrected")).to_be_visible()
    differences = page.get_by_role("region", name="Certificates that differ from the profile")
    expect(differences).to_contain_text("Name printed “Nia Nurze”, profile “Nia Nurse”")
    assert_accessible(page, "learner record with support forms")

    differences.get_by_role("link").click()
    expect(page.get_by_test_id("differences")).to_contain_text("Nia Nurze")
    page.get_by_role("button", name="Reissue under the learner's current name").click()
    expect(page.get_by_test_id("certificate-status")).to_have_text("Valid")
    expect(page.get_by_test_id("nothing-changed")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Nia Nurse")

    page.goto(f"{base}/admin/learners/{ids['nurse']}/profile")
    expect(page.get_by_role("table", name="Profile corrections", exact=False)).to_contain_text(
        "Typo at registration, ticket 12")


def test_the_learner_reports_page_filters_and_is_accessible(live_server, page):
    base = live_server.url
    live_server.app.config["CLOCK"] = lambda: TODAY
    seed(live_server.app)
    sign_in_as_admin(page, base)
    page.goto(base + "/admin/")
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Learner reports").click()
    page.get_by_label("Report", exact=True).select_option(label="Free-text evaluation answers")
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_test_id("report-preview")).to_contain_text("Ask about sleep")
    assert_accessible(page, "learner reports")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download XLSX").click()
    assert download_info.value.suggested_filename == "evaluation-comments-2025-09-15.xlsx"
