"""Administrators' pages: learner search and record, roles, revoking and reissuing, the completion report,
the dashboard and the audit trail; every action audited."""
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert, select

from accounts.audit import AuditEntry, record_audit
from course.core.operator import host, os_user
from staff.admin.charts import grouped_bar_chart, nice_step
from staff.admin.dashboard import last_months
from course.core.extensions import db
from accounts.models import User
from credits.models import Certificate
from tests.factories import (
    complete_course, make_attempt, make_certificate, make_user, post_form, sign_in, sign_in_as, submit_evaluation,
)


def audit_entries(action: str | None = None) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


# --- Learner search -----------------------------------------------------------------------


@pytest.fixture
def searchable(app) -> dict[str, User]:
    return {
        "zoe": make_user(email="zoe.nguyen@example.org", name="Zoë Nguyen", licences=[("NY", "RN-778899")]),
        "omar": make_user(email="omar@clinic.example", name="Omar Haddad", board_ids=[("ABIM", "ABIM-424242")]),
        "percent": make_user(email="odd@example.org", name="Per 100% Cent"),
        "nunez": make_user(email="ZOE.NUNEZ@Example.org", name="Zoë Ñúñez 李"),
    }


@pytest.mark.parametrize(("query", "expected"), [
    ("nguyen", {"zoe"}),  # part of the name, any case
    ("ÑÚÑEZ", {"nunez"}),  # capitals and accents do not matter, on SQLite as on PostgreSQL
    ("nunez", {"nunez"}),
    ("ZOË", {"zoe", "nunez"}),
    ("zoe", {"zoe", "nunez"}),
    ("李", {"nunez"}),
    ("ｚｏｅ.ｎｕｎｅｚ", {"nunez"}),  # full-width letters, folded by NFKD
    ("ZOE.NGUYEN@EXAMPLE", {"zoe"}),  # the email
    ("rn-7788", {"zoe"}),  # a licence number
    ("424242", {"omar"}),  # a board ID
    ("clinic.example", {"omar"}),
    ("100%", {"percent"}),  # LIKE wildcards are searched for literally
    ("%", {"percent"}),
    ("_", set()),
    ("nobody", set()),
])
def test_search_by_name_email_licence_or_board_id(client, searchable, query, expected):
    sign_in_as(client, "admin", email="admin@example.org")
    response = client.get("/admin/learners", query_string={"q": query})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for key, user in searchable.items():
        assert (f'href="/admin/learners/{user.id}"' in page) is (key in expected), key
    if not expected:
        assert "No account matches" in page


def test_search_finds_a_learner_by_a_changed_name(client):
    user = make_user(email="pat@example.org", name="Pat Example")
    user.name = "Ðorđe Ñoño"
    db.session.commit()
    sign_in_as(client, "admin", email="admin@example.org")
    page = client.get("/admin/learners", query_string={"q": "NONO"}).get_data(as_text=True)
    assert f'href="/admin/learners/{user.id}"' in page


def test_search_results_are_paginated_and_show_licences(client):
    sign_in_as(client, "admin", email="admin@example.org", name="Zed Admin")
    db.session.execute(insert(User), [
        {"email": f"bulk{n:03d}@example.org", "name": f"Bulk {n:03d}", "password_hash": "x", "role": "learner"}
        for n in range(60)
    ])
    make_user(email="licensed@example.org", name="Bulk Licensed", licences=[("NY", "111"), ("CA", "222")])
    first = client.get("/admin/learners?q=bulk")
    assert "61 accounts; showing 1–50" in text_of(first)
    assert "Bulk 049" in text_of(first) and "Bulk 050" not in text_of(first)
    assert 'href="/admin/learners?page=2&amp;q=bulk"' in first.get_data(as_text=True)
    second = text_of(client.get("/admin/learners?q=bulk&page=2"))
    assert "Bulk 050" in second and "Bulk Licensed" in second and "Page 2 of 2" in second
    assert re.search(r"(CA 222; NY 111|NY 111; CA 222)", second)


# --- Learner record -----------------------------------------------------------------------


def test_a_learners_record_shows_profile_progress_attempts_evaluation_and_certificates(client):
    learner = make_user(email="rec@example.org", name="Rhea Record", profession="nurse",
                        licences=[("KY", "RN-5")], board_ids=[("ABIM", "77")], birth_month=4, birth_day=9)
    make_attempt(learner, "first-objective", score=2, total=3, submitted_at=datetime(2025, 7, 29, tzinfo=UTC))
    complete_course(learner)
    submit_evaluation(learner)
    certificate = make_certificate(learner, approval_id="ancc")
    sign_in_as(client, "admin")
    response = client.get(f"/admin/learners/{learner.id}")
    page = text_of(response)
    for expected in ("rec@example.org", "Nurse", "KY RN-5", "ABIM 77", "4/9 (month/day)",
                     "Sample Course on Depression Care", "Completed 2025-07-29 15:00 UTC", "Evaluation Submitted",
                     "first-objective 1", "2 of 3 (67%) Not passed", "1 contact hour ancc Valid"):
        assert expected in page, expected
    html = response.get_data(as_text=True)
    assert f'href="/verify/{certificate.code}"' in html
    assert f'href="/admin/certificates/{certificate.id}"' in html
    assert client.get("/admin/learners/999999").status_code == 404


# --- Roles --------------------------------------------------------------------------------


def test_an_administrator_changes_a_role_and_it_is_audited(client):
    learner = make_user(email="promote@example.org", name="Pro Mote")
    admin = sign_in_as(client, "admin")
    response = post_form(client, f"/admin/learners/{learner.id}/role", {"role": "instructor"},
                         form_url=f"/admin/learners/{learner.id}")
    assert response.status_code == 303
    assert "Pro Mote&#39;s role is now instructor." in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, learner.id).role == "instructor"
    (entry,) = audit_entries("role_change")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "user", str(learner.id))
    assert entry.details == {"email": "promote@example.org", "from": "learner", "to": "instructor", "via": "web"}

    again = post_form(client, f"/admin/learners/{learner.id}/role", {"role": "instructor"},
                      form_url=f"/admin/learners/{learner.id}")
    assert again.status_code == 303
    assert len(audit_entries("role_change")) == 1  # nothing changed, nothing recorded

    promoted = client.application.test_client()
    sign_in(promoted, "promote@example.org")
    assert promoted.get("/instructor/content").status_code == 200


def test_an_administrator_cannot_demote_themselves(client):
    admin = sign_in_as(client, "admin")
    url = f"/admin/learners/{admin.id}"
    assert "You cannot remove your own administrator role" in client.get(url).get_data(as_text=True)
    response = post_form(client, f"{url}/role", {"role": "learner"}, form_url=url)
    assert response.status_code == 409
    assert "You cannot remove your own administrator role: ask another administrator" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == "admin"
    assert audit_entries() == []


def test_an_unknown_role_is_refused(client):
    learner = make_user()
    sign_in_as(client, "admin")
    url = f"/admin/learners/{learner.id}"
    assert post_form(client, f"{url}/role", {"role": "superuser"}, form_url=url).status_code == 422
    assert audit_entries() == []


def test_create_admin_from_the_command_line_is_audited(runner):
    existing = make_user(email="later-admin@example.org")
    assert runner.invoke(args=["users", "create-admin", "later-admin@example.org"]).exit_code == 0
    assert runner.invoke(args=["users", "create-admin", "new-admin@example.org", "--name", "New Admin",
                               "--password", "correct horse battery"]).exit_code == 0
    promoted, created = audit_entries("role_change")
    assert (promoted.actor_id, promoted.target_id) == (None, str(existing.id))
    operator = {"via": "command line", "os_user": os_user(), "host": host()}
    assert promoted.details == {"email": "later-admin@example.org", "from": "learner", "to": "admin", **operator}
    assert created.details == {"email": "new-admin@example.org", "from": None, "to": "admin", **operator}


# --- Revoking and reissuing ---------------------------------------------------------------


def verify_status(client, code: str) -> str:
    return text_of(client.get(f"/verify/{code}"))


def test_revoking_needs_a_reason_then_shows_on_the_verify_page_and_transcript(client):
    learner = make_user(email="rev@example.org", name="Rev Learner", profession="nurse")
    certificate = make_certificate(learner, approval_id="ancc")
    admin = sign_in_as(client, "admin")
    url = f"/admin/certificates/{certificate.id}"

    blank = post_form(client, f"{url}/revoke", {"reason": "   "}, form_url=url)
    assert blank.status_code == 422
    assert "Give the reason for revoking the certificate." in blank.get_data(as_text=True)
    assert "Valid:" in verify_status(client, certificate.code)

    response = post_form(client, f"{url}/revoke", {"reason": "Completion recorded in error"}, form_url=url)
    assert response.status_code == 303
    assert "Revoked:" in verify_status(client, certificate.code)
    assert "Completion recorded in error" not in verify_status(client, certificate.code)
    (entry,) = audit_entries("certificate_revoke")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "certificate", str(certificate.id))
    assert entry.details == {"code": certificate.code, "reason": "Completion recorded in error", "via": "web"}
    page = text_of(client.get(url))
    assert "Status Revoked" in page and "Reason Completion recorded in error" in page

    twice = post_form(client, f"{url}/revoke", {"reason": "again"}, form_url=f"/admin/learners/{learner.id}")
    assert twice.status_code == 409
    assert "Only a valid certificate can be revoked; this one is revoked." in text_of(twice)
    assert len(audit_entries("certificate_revoke")) == 1

    learner_client = client.application.test_client()
    sign_in(learner_client, "rev@example.org")
    assert "Revoked" in text_of(learner_client.get("/transcript"))


def test_reissue_uses_the_learners_current_name_and_shows_on_the_verify_page(client):
    learner = make_user(email="name@example.org", name="Old Name")
    original = make_certificate(learner)
    learner.name = "Corrected Name"
    db.session.commit()
    admin = sign_in_as(client, "admin")
    url = f"/admin/certificates/{original.id}"
    assert "under the learner's current profile name, Corrected Name" in text_of(client.get(url))

    response = post_form(client, f"{url}/reissue", {}, form_url=url)
    assert response.status_code == 303
    db.session.expire_all()
    replacement = db.session.scalar(select(Certificate).where(Certificate.supersedes_id == original.id))
    assert response.headers["Location"] == f"/admin/certificates/{replacement.id}"
    assert replacement.learner_name == "Corrected Name" and replacement.code != original.code
    old_page = client.get(f"/verify/{original.code}").get_data(as_text=True)
    assert "Superseded:" in old_page and f'href="/verify/{replacement.code}"' in old_page
    assert "Valid:" in verify_status(client, replacement.code)
    assert "Corrected Name" in verify_status(client, replacement.code)

    (entry,) = audit_entries("certificate_reissue")
    assert (entry.actor_id, entry.target_id) == (admin.id, str(original.id))
    assert entry.details == {"code": original.code, "replacement_id": replacement.id,
                             "replacement_code": replacement.code, "old_name": "Old Name",
                             "new_name": "Corrected Name", "via": "web"}
    history = text_of(client.get(f"/admin/certificates/{replacement.id}"))
    assert "Old Name Superseded" in history and "Corrected Name Valid (this one)" in history
    assert "Certificate reissued by Ada Admin" in history

    refused = post_form(client, f"{url}/reissue", {}, form_url=url)
    assert refused.status_code == 409
    assert len(audit_entries("certificate_reissue")) == 1


def test_revoke_and_reissue_from_the_command_line_are_audited(runner):
    learner = make_user(name="Cli Learner")
    first, second = make_certificate(learner), make_certificate(learner, approval_id="ipce")
    assert runner.invoke(args=["credits", "revoke", first.code, "--reason", "Duplicate"]).exit_code == 0
    result = runner.invoke(args=["credits", "reissue", second.code])
    assert result.exit_code == 0 and "to Cli Learner as" in result.output
    revoke, reissue = audit_entries()
    assert (revoke.action, revoke.actor_id, revoke.details["reason"], revoke.details["via"]) == (
        "certificate_revoke", None, "Duplicate", "command line")
    assert (reissue.action, reissue.actor_id, reissue.details["via"]) == ("certificate_reissue", None, "command line")
    assert runner.invoke(args=["credits", "revoke", first.code, "--reason", "again"]).exit_code == 1
    assert len(audit_entries()) == 2


# --- Completion report page ---------------------------------------------------------------


def test_the_completion_report_filters_counts_and_pages(client):
    physician = make_user(email="doc@example.org", name="Doc Tor", profession="physician", licences=[("NY", "1")])
    nurse = make_user(email="nurse@example.org", name="Nur Se", profession="nurse", licences=[("CA", "2")])
    make_certificate(physician, approval_id="ama-pra", amount="0.75", completed_on=date(2025, 7, 29))
    make_certificate(physician, approval_id="ipce", completed_on=date(2025, 8, 2))
    make_certificate(nurse, approval_id="ancc", completed_on=date(2025, 8, 3))
    make_certificate(nurse, approval_id="ipce", completed_on=date(2025, 9, 1), status="revoked")
    sign_in_as(client, "admin")

    everything = text_of(client.get("/admin/completions"))
    assert "4 certificates match: 3 valid, 1 revoked, 0 superseded" in everything
    assert "ipce IPCE credit 1 1" in everything  # the revoked one is not counted in the totals
    assert "ama-pra AMA PRA Category 1 Credit™ 1 0.75" in everything

    august = client.get("/admin/completions?since=2025-08-01&until=2025-08-31")
    assert "2 certificates match" in text_of(august)
    assert "Doc Tor" in text_of(august) and "Nur Se" in text_of(august)
    nurses = text_of(client.get("/admin/completions?profession=nurse&state=CA"))
    assert "2 certificates match: 1 valid, 1 revoked" in nurses and "Doc Tor" not in nurses
    assert "1 certificate match" in text_of(client.get("/admin/completions?body=ama-pra&course=sample-course"))
    assert "No certificate matches" in text_of(client.get("/admin/completions?course=other-course"))

    bad = client.get("/admin/completions?since=2025-09-01&until=2025-08-01")
    assert bad.status_code == 400
    assert "The end date must not be before the start date." in bad.get_data(as_text=True)
    assert client.get("/admin/completions?since=not-a-date").status_code == 400


def test_the_completion_report_pages_through_many_certificates(client):
    learner = make_user(email="many@example.org", name="Many Certs")
    for day in range(1, 31):
        for approval_id in ("ama-pra", "ipce"):
            make_certificate(learner, approval_id=approval_id, completed_on=date(2025, 8, day),
                             status="valid" if day == 30 else "superseded")
    sign_in_as(client, "admin")
    first = text_of(client.get("/admin/completions"))
    assert "60 certificates; showing 1–50" in first and "Page 1 of 2" in first
    assert "2025-08-30" not in first
    second = text_of(client.get("/admin/completions?page=2"))
    assert "2025-08-30" in second and "2025-08-01" not in second


# --- Dashboard ----------------------------------------------------------------------------


def test_the_dashboard_draws_activity_pass_rates_and_evaluation_summaries(client):
    client.application.config["CLOCK"] = lambda: datetime(2025, 9, 15, tzinfo=UTC)
    learners = [make_user(email=f"dash{n}@example.org") for n in range(3)]
    for learner, rating in zip(learners, ("Agree", "Strongly agree", "Agree"), strict=True):
        complete_course(learner, completed_at=datetime(2025, 8, 20, tzinfo=UTC))
        submit_evaluation(learner, answers={"objective-first-objective": rating, "intent": "I plan a change"})
    make_certificate(learners[0], approval_id="ama-pra", completed_on=date(2025, 8, 20))
    make_certificate(learners[1], approval_id="ama-pra", completed_on=date(2025, 7, 2))
    make_certificate(learners[1], approval_id="ipce", completed_on=date(2025, 7, 2), status="revoked")
    for learner, passed in ((learners[0], True), (learners[0], True), (learners[1], False), (learners[1], True)):
        make_attempt(learner, "first-objective", score=3 if passed else 1, total=3)
    sign_in_as(client, "admin")
    response = client.get("/admin/")
    html = response.get_data(as_text=True)
    page = text_of(response)

    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and 'role="img"' in html
    assert '<title id="activity-chart-title">' in html and '<desc id="activity-chart-desc">' in html
    assert "style=" not in html and "<script" not in html  # the CSP forbids both
    assert "<title>Aug 2025, Courses completed: 3</title>" in html
    assert "Oct 2024 0 0 0" in page and "Aug 2025 0 3 1" in page and "Jul 2025 0 0 1" in page
    assert "Accreditation Council for Continuing Medical Education (ACCME) (ama-pra) 0 0 0 0 0 0 0 0 0 1 1 0 2" in page
    assert "Describe the first thing. 4 3 75% 2 2 100%" in page
    assert "Describe the second thing. 0 0 — 0 0 —" in page
    assert "3 evaluations submitted." in page
    assert "4. Agree 2 67% 5. Strongly agree 1 33%" in page
    assert "Mean rating: 4.33 on a scale from 1 (Strongly disagree) to 5 (Strongly agree)" in page
    assert "I plan a change 3 100%" in page


def test_chart_geometry():
    assert [nice_step(n) for n in (0, 3, 4, 5, 9, 17, 45, 120, 999)] == [1, 1, 1, 2, 5, 5, 20, 50, 500]
    chart = grouped_bar_chart([("Jan", "2026"), ("Feb", "2026")], [("A", [0, 4]), ("B", [2, 1])],
                              width=200, height=100)
    assert [tick.value for tick in chart.ticks] == [0, 1, 2, 3, 4]
    tallest = max(chart.bars, key=lambda bar: bar.value)
    assert (tallest.y, tallest.y + tallest.height) == (chart.top, chart.bottom)
    assert [bar.title for bar in chart.bars] == ["Jan 2026, A: 0", "Jan 2026, B: 2", "Feb 2026, A: 4", "Feb 2026, B: 1"]
    assert all(chart.left <= bar.x and bar.x + bar.width <= chart.right for bar in chart.bars)
    assert last_months(date(2026, 2, 10), 3) == ["2025-12", "2026-01", "2026-02"]


# --- Audit trail page ---------------------------------------------------------------------


def test_the_audit_trail_filters_by_action_actor_and_date(client):
    admin = sign_in_as(client, "admin", name="Ada Admin")
    other = make_user(role="admin", email="bo@example.org", name="Bo Admin")
    record_audit(db.session, admin, "export", target_type="report", target_id="completions",
                 details={"filters": {"course": "sample-course"}, "via": "web"}, now=datetime(2025, 8, 1, 9, tzinfo=UTC))
    record_audit(db.session, other, "role_change", target_type="user", target_id=admin.id,
                 details={"from": "learner", "to": "admin", "via": "web"}, now=datetime(2025, 8, 2, 23, tzinfo=UTC))
    record_audit(db.session, None, "certificate_revoke", target_type="certificate", target_id=7,
                 details={"reason": "Duplicate", "via": "command line"}, now=datetime(2025, 8, 3, tzinfo=UTC))
    db.session.commit()

    def rows(query: str = "") -> list[str]:
        html = client.get(f"/admin/audit{query}").get_data(as_text=True)
        return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)[1:]]

    everything = rows()
    assert [row.split(" UTC ")[1].split(" ")[0] for row in everything] == ["Certificate", "Role", "Export"]
    assert (f"The command line ({os_user()}@{host()}) Certificate 7 (no longer exists) reason Duplicate "
            f"via command line os user {os_user()} host {host()}") in everything[0]
    assert "Bo Admin Ada Admin (" in everything[1]
    assert "Ada Admin Report: completions filters course: sample-course via web" in everything[2]
    assert len(rows("?action=export")) == 1
    assert len(rows(f"?actor={other.id}")) == 1
    assert "The command line" in rows("?actor=command-line")[0] and len(rows("?actor=command-line")) == 1
    assert len(rows("?since=2025-08-02&until=2025-08-02")) == 1  # the whole UTC day, 23:00 included
    assert len(rows("?since=2025-08-02")) == 2
    assert client.get("/admin/audit?actor=999").status_code == 400


def test_the_audit_trail_names_targets_and_command_line_operators(client, runner):
    learner = make_user(email="zoe@example.org", name="Zoë Ñúñez", profession="nurse")
    certificate = make_certificate(learner, approval_id="ancc")
    assert runner.invoke(args=["credits", "revoke", "--reason", "Duplicate", "--", certificate.code]).exit_code == 0
    assert runner.invoke(args=["users", "create-admin", "zoe@example.org"]).exit_code == 0
    sign_in_as(client, "admin", email="admin@example.org", name="Ada Admin")
    page = client.get("/admin/audit")
    text = text_of(page)
    assert f"The command line ({os_user()}@{host()})" in text
    assert "Certificate of Zoë Ñúñez (zoe@example.org): Sample Course on Depression Care, " \
           "American Nurses Credentialing Center (ANCC)" in text
    assert "Role change The command line" in text and "Zoë Ñúñez (zoe@example.org) email" in text
    assert "Account " not in text
    assert "from —" in text or "from learner" in text
    assert "None" not in text


def test_an_empty_value_in_the_audit_details_reads_as_a_dash(client):
    admin = sign_in_as(client, "admin", email="admin@example.org", name="Ada Admin")
    record_audit(db.session, admin, "role_change", target_type="user", target_id=admin.id,
                 details={"from": None, "to": "admin", "via": "web"})
    db.session.commit()
    text = text_of(client.get("/admin/audit"))
    assert "from —" in text and "None" not in text
