"""Every administrators' route and export, read from the URL map, is for administrators only."""
import pytest
from flask import url_for

from course.core.extensions import db
from accounts.models import User
from reports.models import ReportRecord
from tests.factories import csrf_token, make_certificate, make_report_batch, make_user, sign_in
from tests.routes import blueprint_rules


ADMIN_RULES = blueprint_rules("admin")
# Every URL argument an admin route may take; a route with a new one fails
# test_every_admin_route_argument_has_a_sample_value until it is added here and in sample_values.
URL_ARGUMENTS = {"user_id", "certificate_id", "regulator", "batch_id", "record_id", "name"}


@pytest.fixture
def sample_values(app) -> dict:
    """Real rows for the routes' arguments, so an administrator gets the page and not a 404."""
    learner = make_user(email="private-learner@example.org", name="Private Person")
    certificate = make_certificate(learner)
    batch = make_report_batch("pars")
    record = db.session.query(ReportRecord).filter_by(batch_id=batch.id).one()
    return {"user_id": learner.id, "certificate_id": certificate.id, "regulator": "pars", "batch_id": batch.id,
            "record_id": record.id, "name": "pars.txt"}


def request_rule(client, rule, method: str, values: dict, signed_in: bool):
    """GET, or send a form with a valid CSRF token, so only the role check can refuse it."""
    with client.application.test_request_context():
        url = url_for(rule.endpoint, **{name: values[name] for name in rule.arguments})
    if method == "GET":
        return client.get(url)
    token = csrf_token(client, "/profile" if signed_in else "/sign-in")
    return client.open(url, method=method, data={"csrf_token": token})


def test_the_admin_blueprint_has_its_routes():
    assert {r.endpoint for r in ADMIN_RULES} >= {
        "admin.dashboard", "admin.learners", "admin.learner", "admin.change_user_role", "admin.certificate",
        "admin.revoke_certificate", "admin.reissue_certificate", "admin.completions", "admin.audit",
        "admin.export_completions", "admin.export_evaluations", "admin.reporting", "admin.make_report_batch",
        "admin.report_batch", "admin.report_batch_file", "admin.report_submit", "admin.report_record_outcome",
    }


@pytest.mark.parametrize("rule", ADMIN_RULES, ids=str)
def test_every_admin_route_argument_has_a_sample_value(rule):
    assert rule.arguments <= URL_ARGUMENTS


@pytest.mark.parametrize("rule", ADMIN_RULES, ids=str)
@pytest.mark.parametrize(("role", "allowed"), [
    ("anonymous", False), ("learner", False), ("instructor", False), ("admin", True),
])
def test_admin_routes_are_for_administrators_only(client, sample_values, rule, role, allowed):
    if role != "anonymous":
        sign_in(client, make_user(role=role).email)
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        response = request_rule(client, rule, method, sample_values, signed_in=role != "anonymous")
        body = response.get_data(as_text=True) if response.mimetype.startswith("text/") else ""
        if role == "anonymous":
            assert response.status_code == 302, method
            assert response.headers["Location"].startswith("/sign-in?next="), method
        elif not allowed:
            assert response.status_code == 403, method
            assert "private-learner@example.org" not in body and "Private Person" not in body
            assert "Content-Disposition" not in response.headers
        elif method == "GET":
            assert response.status_code == 200, method
        else:
            assert response.status_code != 403 and "/sign-in" not in response.headers.get("Location", ""), method
    if not allowed:  # refused requests change nothing
        db.session.expire_all()
        assert db.session.get(User, sample_values["user_id"]).role == "learner"


@pytest.mark.parametrize(("role", "shown"), [("learner", False), ("instructor", False), ("admin", True)])
def test_the_admin_link_shows_for_administrators_only(client, role, shown):
    sign_in(client, make_user(role=role).email)
    page = client.get("/").get_data(as_text=True)
    assert ('href="/admin/"' in page) is shown
