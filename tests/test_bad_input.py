"""Input no form expects gets a 4xx with a reason, never a 500: profile rows past their limit,
JSON and files where form text belongs, huge page numbers and dates, names that are not one line."""
import io
import json
import unicodedata

import pytest
from sqlalchemy import func, select

from accounts.audit import AuditEntry
from accounts.models import User
from course.core.extensions import db
from course.core.reference import BOARDS, US_STATES
from tests.factories import csrf_token, make_user, post_form, sign_in, sign_in_as

PROFILE = {"first_name": "Pat", "last_name": "Example", "name": "Pat Example", "profession": "physician",
           "birth_month": "", "birth_day": ""}


def signed_in(client, **profile):
    user = make_user(email="pat@example.org", **profile)
    sign_in(client, "pat@example.org")
    return user


# --- 9. Profile rows ---------------------------------------------------------------------


def test_profile_with_every_board_and_twenty_licences_still_opens(client):
    licences = [(state, f"LIC-{index}") for index, state in enumerate(sorted(US_STATES)[:20])]
    signed_in(client, board_ids=[(board, "123456") for board in BOARDS], licences=licences)
    assert client.get("/profile").status_code == 200
    data = {**PROFILE, "add_licence": "Add another licence"}
    for index, (state, number) in enumerate(licences):
        data |= {f"licences-{index}-state": state, f"licences-{index}-licence_type": "RN",
                 f"licences-{index}-number": number}
    response = post_form(client, "/profile", data)
    assert response.status_code == 422
    assert "You can list at most 20 licences." in response.get_data(as_text=True)
    data = {**PROFILE, "add_board": "Add another board ID"}
    for index, board in enumerate(BOARDS):
        data |= {f"board_ids-{index}-board": board, f"board_ids-{index}-number": "123456"}
    response = post_form(client, "/profile", data)
    assert response.status_code == 422
    assert "all 5 are listed" in response.get_data(as_text=True)


def test_profile_row_indices_that_are_not_ascii_digits_are_ignored(client):
    user = signed_in(client)
    data = {**PROFILE, "submit": "Save profile", "licences-²-state": "NY", "licences-²-number": "RN-1",
            "licences-0-state": "CA", "licences-0-licence_type": "RN", "licences-0-number": "A-1", "board_ids-99999999999999-board": "ABIM",
            "board_ids-99999999999999-number": "123456"}
    assert post_form(client, "/profile", data).status_code == 302
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert [(lic.state, lic.number) for lic in stored.licences] == [("CA", "A-1")]
    assert [(b.board, b.number) for b in stored.board_ids] == [("ABIM", "123456")]


# --- 10. Only form encodings; control characters however they arrive ----------------------


@pytest.mark.parametrize("value", [5, {"a": 1}, ["Pat", "Example"], "Pat\u0000Example"])
def test_json_bodies_are_refused_on_form_routes(client, value):
    signed_in(client)
    token = csrf_token(client, "/profile")
    response = client.post("/profile", data=json.dumps({**PROFILE, "name": value, "submit": "Save profile"}),
                           content_type="application/json", headers={"X-CSRFToken": token})
    assert response.status_code == 415
    assert "takes only what its form on the page sends" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(User.name)) == "Pat Example"


def test_other_body_types_are_refused_before_any_form_reads_them(client):
    token = csrf_token(client, "/sign-in")
    for content_type in ("text/plain", "application/xml", "application/octet-stream"):
        response = client.post("/sign-in", data=f"csrf_token={token}&email=a@example.org&password=x",
                               content_type=content_type, headers={"X-CSRFToken": token})
        assert response.status_code == 415, content_type


def test_control_characters_in_multipart_parts_names_and_filenames_are_refused(client):
    signed_in(client)
    token = csrf_token(client, "/profile")
    sent = [
        {"csrf_token": token, **PROFILE, "name": "Pat\u0000Example"},
        {"csrf_token": token, **PROFILE, "na\u0000me": "Pat"},
    ]
    for data in sent:
        response = client.post("/profile", data=data, content_type="multipart/form-data")
        assert response.status_code == 400 and "control characters" in response.get_data(as_text=True)
    response = client.post("/admin/reporting/batches/1/result-file", content_type="multipart/form-data",
                           data={"csrf_token": token, "result_file": (io.BytesIO(b"row"), "res\u0001ult.csv")})
    assert response.status_code == 400 and "control characters" in response.get_data(as_text=True)


def test_control_characters_in_query_parameter_names_are_refused(client):
    assert client.get("/?x\u0000y=1").status_code == 400


# --- 11. A file where text is expected ---------------------------------------------------------


def test_a_file_part_where_text_is_expected_is_refused(client):
    user = signed_in(client)
    token = csrf_token(client, "/profile")
    response = client.post("/profile", content_type="multipart/form-data", data={
        "csrf_token": token, **PROFILE, "name": (io.BytesIO(b"Mallory"), "name.txt"), "submit": "Save profile"})
    assert response.status_code == 400
    assert "A file was sent where text was expected (name)" in response.get_data(as_text=True)
    response = client.post("/sign-in", content_type="multipart/form-data", data={
        "csrf_token": token, "email": (io.BytesIO(b"x"), "e.txt"), "password": "x"})
    assert response.status_code in (400, 302)
    db.session.expire_all()
    assert db.session.get(User, user.id).name == "Pat Example"


# --- 12. Huge page numbers and dates ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/learners?q=&page=99999999999999999999", "/admin/audit?page=99999999999999999999",
                                  "/admin/completions?page=99999999999999999999", "/admin/learners?page=-5"])
def test_huge_page_numbers_give_an_empty_page(client, path):
    sign_in_as(client, "admin")
    response = client.get(path)
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/admin/audit?until=9999-12-31", "/admin/audit?since=0001-01-01",
                                  "/admin/completions?until=9999-12-31"])
def test_dates_out_of_range_are_refused_with_a_message(client, path):
    sign_in_as(client, "admin")
    response = client.get(path)
    assert response.status_code == 400
    assert "Enter a date between 1900 and 2999." in response.get_data(as_text=True)


def test_export_with_a_date_out_of_range_is_refused_before_it_is_audited(client):
    sign_in_as(client, "admin")
    token = csrf_token(client, "/admin/completions")
    for name in ("evaluations", "completions"):
        response = client.post(f"/admin/exports/{name}.csv?until=9999-12-31", data={"csrf_token": token})
        assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_export_command_refuses_a_date_out_of_range(runner):
    result = runner.invoke(args=["reports", "evaluations", "--until", "9999-12-31"])
    assert result.exit_code == 2
    assert "Enter a date between 1900 and 2999." in result.output
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


# --- 14. Names are one line of printable text, NFC ----------------------------------------


@pytest.mark.parametrize("field", ["name", "first_name", "last_name"])
@pytest.mark.parametrize("bad", ["Pat\nCredit awarded", "Pat\r\nExample", "Pat\tExample", "Pat\u202eelpmaxE",
                                 "Pat\u2066Example", "Pat\u200bExample", "Pat\ufeffExample", "Pat\u2028Example"])
def test_names_must_be_one_printable_line(client, field, bad):
    signed_in(client)
    response = post_form(client, "/profile", {**PROFILE, field: bad, "submit": "Save profile"})
    assert response.status_code == 422
    assert "Use one line of printable characters" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(select(getattr(User, field))) == {"name": "Pat Example", "first_name": "Pat",
                                                                 "last_name": "Example"}[field]


def test_names_are_stored_nfc_normalised(client, outbox):
    decomposed = "Zoe\u0301 Nguye\u0302\u0303n"
    response = post_form(client, "/register", {"first_name": "Zoe\u0301", "last_name": "Nguye\u0302\u0303n",
                                               "email": "zoe@example.org", "password": "a long enough passphrase"})
    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.name == unicodedata.normalize("NFC", decomposed) == "Zoé Nguyễn"
    assert user.first_name == "Zoé"
