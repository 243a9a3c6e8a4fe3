"""Accounts through the HTTP client: register, sign in and out, profile."""
from sqlalchemy import select

from accounts.passwords import verify_password
from accounts.users import is_safe_redirect
from course.core.extensions import db
from accounts.models import Licence, User
from tests.factories import DEFAULT_PASSWORD, csrf_token, make_user, post_form, sign_in


def register(client, **overrides):
    data = {"first_name": "Zoë", "last_name": "Łukasiewicz-Nguyễn", "email": "zoe@example.org", "password": DEFAULT_PASSWORD}
    data.update(overrides)
    return post_form(client, "/register", data)


def test_register_creates_account_and_mails_its_owner(client, outbox):
    response = register(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/register/check-your-email")
    user = db.session.scalar(select(User))
    assert user.name == "Zoë Łukasiewicz-Nguyễn"
    assert user.role == "learner"
    assert user.password_hash.startswith("$argon2id$")
    assert DEFAULT_PASSWORD not in user.password_hash
    assert [(m.to, m.subject) for m in outbox] == [("zoe@example.org", "Your account is ready")]
    assert "http://localhost/sign-in" in outbox[0].body
    assert "Check your email" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/profile").status_code == 302
    sign_in(client, "zoe@example.org")
    assert client.get("/profile").status_code == 200


def _answer(response) -> tuple:
    cookies = sorted(c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie"))
    return response.status_code, response.headers.get("Location"), response.get_data(as_text=True), cookies


def test_registering_a_taken_email_answers_as_a_new_one_and_mails_the_owner(app, outbox):
    """Nothing in the answer tells whether the address has an account: the owner is told by email."""
    make_user(email="Sam@Example.org")
    new, taken = app.test_client(), app.test_client()
    first = _answer(register(new, email="new@example.org"))
    second = _answer(register(taken, email="sAM@example.ORG", password="another long phrase"))
    assert first == second
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 2
    assert [m.to for m in outbox] == ["new@example.org", "sam@example.org"]
    assert outbox[1].subject == "Someone tried to create an account with your email"
    assert "http://localhost/forgot-password" in outbox[1].body
    taken_user = db.session.scalar(select(User).where(User.email == "sam@example.org"))
    assert verify_password(taken_user.password_hash, DEFAULT_PASSWORD)


def test_weak_password_is_refused_with_reason(client):
    response = register(client, password="short")
    assert response.status_code == 422
    assert "at least 8 characters" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None


def test_password_containing_email_is_refused(client):
    response = register(client, email="rosalind@example.org", password="rosalind1999")
    assert response.status_code == 422
    assert "must not contain your email" in response.get_data(as_text=True)


def test_invalid_email_is_refused(client):
    response = register(client, email="not-an-email")
    assert response.status_code == 422
    assert "valid email" in response.get_data(as_text=True)


def test_missing_csrf_token_is_400_with_message(client):
    response = client.post("/register", data={"first_name": "A", "last_name": "B", "email": "a@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None


def test_sign_in_and_sign_out(client):
    make_user(email="kim@example.org")
    response = post_form(client, "/sign-in", {"email": "KIM@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    token = csrf_token(client, "/profile")
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(client):
    make_user(email="kim@example.org")
    wrong_password = post_form(client, "/sign-in", {"email": "kim@example.org", "password": "not the password"})
    unknown_email = post_form(client, "/sign-in", {"email": "nobody@example.org", "password": "not the password"})
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert "do not match an account" in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


def test_sign_in_is_rate_limited(client, app):
    make_user(email="kim@example.org")
    token = csrf_token(client, "/sign-in")
    statuses = [
        client.post("/sign-in", data={"csrf_token": token, "email": "kim@example.org", "password": "guess"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    response = client.post("/sign-in", data={"csrf_token": token, "email": "kim@example.org", "password": DEFAULT_PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_next_redirects_only_within_the_site(client):
    make_user(email="kim@example.org")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = post_form(
            client, f"/sign-in?next={target}", {"email": "kim@example.org", "password": DEFAULT_PASSWORD},
            form_url="/sign-in",
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/", target
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/profile")})
    response = post_form(
        client, "/sign-in?next=/profile", {"email": "kim@example.org", "password": DEFAULT_PASSWORD}, form_url="/sign-in"
    )
    assert response.headers["Location"] == "/profile"


def test_is_safe_redirect():
    assert is_safe_redirect("/courses/x?y=1")
    for bad in (None, "", "http://x", "//x", "/\\x", "x", "/\x00x"):
        assert not is_safe_redirect(bad)


def profile_form(**overrides):
    data = {
        "first_name": "Kim", "last_name": "Nurse", "name": "Kim Nurse", "profession": "nurse",
        "licences-0-state": "NY", "licences-0-licence_type": "RN", "licences-0-number": "RN-12345",
        "licences-1-state": "AL", "licences-1-licence_type": "LPN", "licences-1-number": "1-234567",
        "board_ids-0-board": "", "board_ids-0-number": "",
        "birth_month": "4", "birth_day": "30",
        "submit": "Save profile",
    }
    data.update(overrides)
    return data


def test_profile_saves_profession_licences_and_identifiers(client):
    user = make_user(email="kim@example.org", profession=None)
    sign_in(client, "kim@example.org")
    response = post_form(client, "/profile", profile_form(**{"board_ids-0-board": "ABIM", "board_ids-0-number": "123456"}))
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.profession == "nurse"
    assert sorted((lic.state, lic.number) for lic in user.licences) == [("AL", "1-234567"), ("NY", "RN-12345")]
    assert [(b.board, b.number) for b in user.board_ids] == [("ABIM", "123456")]
    assert (user.birth_month, user.birth_day) == (4, 30)
    page = client.get("/profile").get_data(as_text=True)
    assert "RN-12345" in page and 'value="30"' in page


def test_profile_edit_removes_a_licence(client):
    user = make_user(email="kim@example.org", profession="nurse", licences=[("NY", "A1"), ("AL", "B2")])
    sign_in(client, "kim@example.org")
    response = post_form(client, "/profile", profile_form(**{
        "licences-0-state": "NY", "licences-0-licence_type": "RN", "licences-0-number": "A1", "licences-1-state": "", "licences-1-number": "",
    }))
    assert response.status_code == 302
    db.session.expire_all()
    assert [(lic.state, lic.number) for lic in db.session.get(User, user.id).licences] == [("NY", "A1")]


def test_profile_with_bad_licence_data_is_refused_and_nothing_is_lost(client):
    user = make_user(email="kim@example.org", profession="nurse", licences=[("NY", "A1")])
    sign_in(client, "kim@example.org")
    cases = [
        ({"licences-1-state": "ZZ"}, "Choose a state from the list"),
        ({"licences-1-state": "", "licences-1-number": "12345"}, "Choose the state that issued"),
        ({"licences-1-state": "CA", "licences-1-number": ""}, "Enter the licence number"),
        ({"licences-1-number": "<script>"}, "letters, digits"),
        ({"licences-1-state": "NY", "licences-1-number": "RN-12345", "licences-0-number": "RN-12345"}, "listed twice"),
        ({"birth_month": "13"}, "month from 1 to 12"),
        ({"birth_month": "2", "birth_day": "30"}, "at most 29 days"),
        ({"birth_month": "abc"}, "Not a valid integer"),
        ({"profession": "astronaut"}, "Not a valid choice"),
        ({"board_ids-0-board": "ABIM", "board_ids-0-number": ""}, "Enter the board ID"),
    ]
    for overrides, message in cases:
        response = post_form(client, "/profile", profile_form(**overrides))
        body = response.get_data(as_text=True)
        assert response.status_code == 422, overrides
        assert message in body, (overrides, message)
    db.session.expire_all()
    assert [(lic.state, lic.number) for lic in db.session.get(User, user.id).licences] == [("NY", "A1")]
    assert db.session.scalar(select(db.func.count()).select_from(Licence)) == 1


def test_profile_add_licence_button_adds_a_row_without_saving(client):
    make_user(email="kim@example.org", profession="nurse", licences=[("NY", "A1")])
    sign_in(client, "kim@example.org")
    data = profile_form(**{"add_licence": "Add another licence"})
    data.pop("submit")
    response = post_form(client, "/profile", data)
    assert response.status_code == 200
    assert 'name="licences-2-state"' in response.get_data(as_text=True)


def test_profile_requires_sign_in(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert "/sign-in?next=%2Fprofile" in response.headers["Location"]


def test_create_admin_command(runner, app):
    result = runner.invoke(args=["users", "create-admin", "Boss@Example.org", "--name", "Boss", "--password", DEFAULT_PASSWORD])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "boss@example.org"))
    assert user.role == "admin"
    learner = make_user(email="later@example.org")
    result = runner.invoke(args=["users", "create-admin", "later@example.org"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.get(User, learner.id).role == "admin"
