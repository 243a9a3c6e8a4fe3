"""Learner support by administrators: profile corrections, certificate corrections, quiz attempts,
completions by hand, deactivation and deletion, password-reset emails; every action audited."""
import re

from sqlalchemy import select

from accounts.audit import AuditEntry
from accounts.models import User
from course.core.extensions import db
from credits.models import Certificate
from tests.factories import make_certificate, make_moc_learner, make_user, post_form, sign_in, sign_in_as


def audit_entries(action: str | None = None) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def profile_form(user: User, **changes) -> dict:
    """The profile form as the page fills it for `user`, with `changes` applied."""
    data = {
        "first_name": user.first_name, "last_name": user.last_name, "name": user.name,
        "profession": user.profession or "", "birth_month": user.birth_month or "", "birth_day": user.birth_day or "",
        "nabp_eprofile_id": user.nabp_eprofile_id or "",
    }
    for index, licence in enumerate(user.licences):
        data[f"licences-{index}-state"], data[f"licences-{index}-number"] = licence.state, licence.number
    for index, entry in enumerate(user.board_ids):
        data[f"board_ids-{index}-board"], data[f"board_ids-{index}-number"] = entry.board, entry.number
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- Point 7: correcting a learner's profile ----------------------------------------------


def test_an_administrator_corrects_a_profile_with_a_reason_audited_before_and_after(client):
    learner = make_user(email="typo@example.org", name="Jon Smiht", licences=[("NY", "123")])
    admin = sign_in_as(client, "admin")
    url = f"/admin/learners/{learner.id}/profile"
    assert 'value="Jon Smiht"' in client.get(url).get_data(as_text=True)

    refused = post_form(client, url, profile_form(learner, name="Jon Smith", last_name="Smith"))
    assert refused.status_code == 422 and "Give the reason for correcting the profile." in text_of(refused)
    db.session.expire_all()
    assert db.session.get(User, learner.id).name == "Jon Smiht" and not audit_entries("profile_edit")

    response = post_form(client, url, profile_form(
        learner, name="Jon Smith", last_name="Smith", profession="nurse", **{"licences-0-number": "124"},
        **{"board_ids-0-board": "ABIM", "board_ids-0-number": "654321"}, reason="Ticket 88: licence card shown"))
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/learners/{learner.id}"
    db.session.expire_all()
    corrected = db.session.get(User, learner.id)
    assert (corrected.name, corrected.last_name, corrected.profession) == ("Jon Smith", "Smith", "nurse")
    assert [(lic.state, lic.number) for lic in corrected.licences] == [("NY", "124")]
    (entry,) = audit_entries("profile_edit")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "user", str(learner.id))
    assert entry.details == {"email": "typo@example.org", "reason": "Ticket 88: licence card shown", "via": "web",
                             "changes": {
                                 "name": {"from": "Jon Smiht", "to": "Jon Smith"},
                                 "last_name": {"from": "Smiht", "to": "Smith"},
                                 "profession": {"from": "physician", "to": "nurse"},
                                 "licences": {"from": "NY 123", "to": "NY 124"},
                                 "board_ids": {"from": "", "to": "ABIM 654321"}}}
    history = text_of(client.get(url))
    assert "Name on certificates Jon Smiht Jon Smith Ticket 88: licence card shown" in history
    assert "Licences NY 123 NY 124" in history

    again = post_form(client, url, profile_form(corrected, reason="Checking"))
    assert again.status_code == 303
    assert "Nothing in the profile changed" in text_of(client.get(again.headers["Location"]))
    assert len(audit_entries("profile_edit")) == 1


def test_a_learners_own_name_change_is_audited_and_other_changes_are_not(client):
    learner = make_user(email="self@example.org", name="Ann Lee")
    sign_in(client, learner.email)
    assert post_form(client, "/profile", profile_form(learner, profession="nurse")).status_code == 302
    assert not audit_entries("name_change")
    assert post_form(client, "/profile", profile_form(learner, name="Ann Lee-Park", last_name="Lee-Park",
                                                      profession="nurse")).status_code == 302
    (entry,) = audit_entries("name_change")
    assert (entry.actor_id, entry.target_id) == (learner.id, str(learner.id))
    assert entry.details["changes"] == {"name": {"from": "Ann Lee", "to": "Ann Lee-Park"},
                                        "last_name": {"from": "Lee", "to": "Lee-Park"}}


def test_reissue_offers_itself_when_the_profile_differs_and_warns_when_nothing_does(client):
    learner = make_moc_learner(email="moc@example.org", name="Mary Smyth", board_id="111111")
    moc = make_certificate(learner, approval_id="moc-abim", moc_board="ABIM", moc_board_id="111111",
                           moc_birth_month=3, moc_birth_day=14)
    sign_in_as(client, "admin")
    page = client.get(f"/admin/certificates/{moc.id}").get_data(as_text=True)
    assert 'data-testid="nothing-changed"' in page and 'data-testid="differences"' not in page
    assert "Certificates that differ from the profile" not in text_of(client.get(f"/admin/learners/{learner.id}"))

    url = f"/admin/learners/{learner.id}/profile"
    post_form(client, url, profile_form(learner, name="Mary Smith", **{"board_ids-0-number": "222222"},
                                        reason="Board ID typo"))
    record = text_of(client.get(f"/admin/learners/{learner.id}"))
    assert "Certificates that differ from the profile" in record
    assert "Name printed “Mary Smyth”, profile “Mary Smith”; ABIM ID reported “111111”, profile “222222”" in record
    page = text_of(client.get(f"/admin/certificates/{moc.id}"))
    assert "Name printed Mary Smyth Mary Smith" in page and "ABIM ID reported 111111 222222" in page

    response = post_form(client, f"/admin/certificates/{moc.id}/reissue", {}, form_url=f"/admin/certificates/{moc.id}")
    assert response.status_code == 303
    db.session.expire_all()
    replacement = db.session.get(Certificate, moc.id).superseded_by
    assert (replacement.learner_name, replacement.moc_board_id) == ("Mary Smith", "222222")
    (entry,) = audit_entries("certificate_reissue")
    assert entry.details["moc_changes"] == {"moc_board_id": {"from": "111111", "to": "222222"}}
    after = client.get(response.headers["Location"])
    assert 'data-testid="nothing-changed"' in after.get_data(as_text=True)
    assert "Nothing the certificate printed or reported differed" not in text_of(after)


def test_a_reissue_that_changes_nothing_says_so_on_the_web_and_the_command_line(client, runner):
    learner = make_user(name="Same Name")
    first, second = make_certificate(learner), make_certificate(learner, approval_id="ipce")
    sign_in_as(client, "admin")
    url = f"/admin/certificates/{first.id}"
    response = post_form(client, f"{url}/reissue", {}, form_url=url, follow_redirects=True)
    assert "Nothing the certificate printed or reported differed from the profile" in text_of(response)
    result = runner.invoke(args=["credits", "reissue", second.code])
    assert result.exit_code == 0
    assert "Warning: Nothing the certificate printed or reported differed" in result.stderr
