"""In a real Chromium: the profile form saves when a learner presses Enter in a field."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from accounts.models import Licence
from course.core.extensions import db
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_enter_in_a_licence_field_saves_the_profile(live_server, page):
    with live_server.app.app_context():
        make_user(email="kim@example.org", name="Kim Nurse", profession="nurse")
        db.session.remove()
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill("kim@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + "/profile")
    page.get_by_label("Licence 1 state").select_option("CA")
    page.get_by_label("Licence 1 type").select_option("RN")
    page.get_by_label("Licence 1 number").fill("RN 612345")
    page.get_by_label("Licence 1 number").press("Enter")
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    # Saved, not a blank row added: the page shows the licence and one empty row to add another.
    expect(page.get_by_label("Licence 2 state")).to_have_value("")
    expect(page.get_by_label("Licence 3 state")).to_have_count(0)
    with live_server.app.app_context():
        licences = db.session.scalars(select(Licence)).all()
        assert [(lic.state, lic.type, lic.number) for lic in licences] == [("CA", "RN", "RN 612345")]
        db.session.remove()


def test_add_another_licence_still_adds_a_row(live_server, page):
    with live_server.app.app_context():
        make_user(email="lee@example.org", name="Lee Nurse", profession="nurse")
        db.session.remove()
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill("lee@example.org")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + "/profile")
    page.get_by_role("button", name="Add another licence").click()
    expect(page.get_by_label("Licence 2 state")).to_be_visible()
    expect(page.get_by_text("Your profile is saved.")).to_have_count(0)
