"""In a real Chromium: an administrator filters the completion report and downloads the CSV; the
administrators' pages have no axe-core violations."""
import csv
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from course.core.extensions import db
from tests.factories import make_certificate
from tests.factories import complete_course, make_user, submit_evaluation
from tests.test_accessibility import assert_accessible

pytestmark = pytest.mark.browser

TODAY = datetime(2025, 9, 15, 12, tzinfo=UTC)


def seed(app) -> dict[str, int]:
    """An administrator, a nurse and a physician with certificates in July and August 2025."""
    with app.app_context():
        make_user(email="admin@example.org", name="Ada Admin", role="admin")
        nurse = make_user(email="nia@example.org", name="Nia Nurse", profession="nurse", licences=[("NY", "RN-1")])
        physician = make_user(email="doc@example.org", name="Doc Tor", profession="physician", licences=[("CA", "A-9")])
        for learner in (nurse, physician):
            complete_course(learner)
            submit_evaluation(learner)
        july = make_certificate(nurse, approval_id="ancc", completed_on=date(2025, 7, 29))
        make_certificate(nurse, approval_id="ipce", completed_on=date(2025, 8, 12))
        make_certificate(physician, approval_id="ama-pra", completed_on=date(2025, 7, 30), amount="0.5")
        db.session.commit()
        return {"nurse": nurse.id, "certificate": july.id}


def sign_in_as_admin(page, base):
    page.goto(base + "/sign-in")
    page.get_by_label("Email").fill("admin@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()


def test_an_administrator_filters_the_completion_report_and_downloads_the_csv(live_server, page, tmp_path):
    base = live_server.url
    live_server.app.config["CLOCK"] = lambda: TODAY
    seed(live_server.app)
    sign_in_as_admin(page, base)

    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Completion report").click()
    expect(page.get_by_test_id("status-counts")).to_contain_text("3 certificates match")
    page.get_by_label("From").fill("2025-07-01")
    page.get_by_label("To (inclusive)").fill("2025-07-31")
    page.get_by_label("Profession", exact=True).select_option("nurse")
    page.get_by_label("Licence state").select_option("NY")
    page.get_by_role("button", name="Show the report").click()
    expect(page.get_by_test_id("status-counts")).to_contain_text("1 certificate match")
    expect(page.get_by_test_id("completion-rows").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("credit-totals")).to_contain_text("contact hour")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download Completions (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "completions-2025-09-15.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert [(row["learner"], row["email"], row["licences"], row["credit_type"], row["completion_date"],
             row["evaluation_submitted"], row["status"]) for row in rows] == [
        ("Nia Nurse", "nia@example.org", "NY RN-1", "ancc", "2025-07-29", "yes", "valid"),
    ]

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Audit trail").click()
    entries = page.get_by_test_id("audit-entries")
    expect(entries).to_contain_text("Export")
    expect(entries).to_contain_text("since: 2025-07-01, until: 2025-07-31, profession: nurse, state: NY")


def test_administrators_pages_have_no_axe_violations(live_server, page):
    base = live_server.url
    live_server.app.config["CLOCK"] = lambda: TODAY
    ids = seed(live_server.app)
    sign_in_as_admin(page, base)
    for path in ("/admin/", "/admin/learners", "/admin/learners?q=nurse", f"/admin/learners/{ids['nurse']}",
                 f"/admin/certificates/{ids['certificate']}", "/admin/completions", "/admin/audit", "/admin/lti"):
        page.goto(base + path)
        assert_accessible(page, path)
    page.goto(f"{base}/admin/certificates/{ids['certificate']}")
    page.get_by_label("Reason for revoking", exact=False).fill("   ")  # passes the browser's check, not the server's
    page.get_by_role("button", name="Revoke the certificate").click()
    expect(page.get_by_text("Give the reason for revoking the certificate.")).to_be_visible()
    assert_accessible(page, "revoke without a reason")
