"""The request's cheap paths: the signed-in user read on the worker's kept connection, pages
read without a transaction, and the CSRF token signed once per session rather than per page."""
import time

from sqlalchemy import update

from accounts.models import User
from course.core.extensions import db
from credits.models import Certificate
from tests.factories import csrf_token, make_certificate, make_user, sign_in

PROFILE_FORM = {"name": "Kim Nurse", "first_name": "Kim", "last_name": "Nurse", "profession": "nurse",
                "licences-0-state": "", "licences-0-number": "", "birth_month": "", "birth_day": "",
                "nabp_eprofile_id": "", "submit": "Save profile"}


def test_the_csrf_token_is_signed_once_and_again_after_half_its_time_limit(app, client, monkeypatch):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    started = time.time()
    monkeypatch.setattr(time, "time", lambda: started)
    first = csrf_token(client, "/profile")
    monkeypatch.setattr(time, "time", lambda: started + 5)  # signing now would stamp a different time
    assert csrf_token(client, "/profile") == first == csrf_token(client, "/transcript")

    half = app.config["WTF_CSRF_TIME_LIMIT"] / 2
    monkeypatch.setattr(time, "time", lambda: started + half + 1)
    second = csrf_token(client, "/profile")
    assert second != first
    assert csrf_token(client, "/profile") == second
    # The earlier token is still within its time limit, so a form rendered with it still posts.
    response = client.post("/profile", data={"csrf_token": first, **PROFILE_FORM})
    assert response.status_code == 302


def test_a_token_from_another_session_is_refused(app, monkeypatch):
    make_user(email="kim@example.org")
    make_user(email="lee@example.org")
    kim, lee = app.test_client(), app.test_client()
    sign_in(kim, "kim@example.org")
    sign_in(lee, "lee@example.org")
    kims = csrf_token(kim, "/profile")
    assert csrf_token(kim, "/profile") == kims
    response = lee.post("/profile", data={"csrf_token": kims, **PROFILE_FORM})
    assert response.status_code == 400


def test_a_new_session_gets_a_new_token(app, client):
    make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    before = csrf_token(client, "/profile")
    client.post("/sign-out", data={"csrf_token": before})
    sign_in(client, "kim@example.org")
    assert csrf_token(client, "/profile") != before


def test_pages_read_what_was_just_committed_elsewhere(app, client):
    """Reads run in autocommit on the kept connection: no snapshot outlives its statement."""
    user = make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    assert "You have no certificates yet" in client.get("/transcript").get_data(as_text=True)
    certificate = make_certificate(user, approval_id="ancc")
    page = client.get("/transcript").get_data(as_text=True)
    assert "You have no certificates yet" not in page and "Valid" in page
    db.session.execute(update(Certificate).where(Certificate.id == certificate.id).values(
        status="revoked", revoked_reason="test", revoked_at=certificate.issued_at))
    db.session.commit()
    assert "Revoked" in client.get("/transcript").get_data(as_text=True)


def test_a_role_change_applies_on_the_next_request(app, client):
    user = make_user(email="kim@example.org")
    sign_in(client, "kim@example.org")
    assert client.get("/admin/").status_code == 403
    db.session.execute(update(User).where(User.id == user.id).values(role="admin"))
    db.session.commit()
    assert client.get("/admin/").status_code == 200
    assert 'href="/admin/"' in client.get("/transcript").get_data(as_text=True)
