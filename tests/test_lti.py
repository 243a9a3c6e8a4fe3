"""LTI 1.3: a mock platform launches learners into the course and receives their scores."""
import json
from datetime import timedelta

import jwt
import pytest
import responses
from jwcrypto.jwk import JWK
from sqlalchemy import func, select

from accounts.models import User
from course.core.clock import utcnow
from course.core.extensions import db
from lti.accounts import role_from_launch
from lti.models import LtiAccount, LtiScoreOutbox, LtiUsedNonce
from lti.scores import send_due
from quizzes.models import QuizAttempt
from tests.factories import csrf_token, make_user, post_form, quiz_answers
from tests.lti_platform import ADMINISTRATOR, INSTRUCTOR, LEARNER, MockPlatform, new_key

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
EVALUATION = {"item-objective-first-objective": "Agree", "item-time-spent": "60", "item-intent": "I plan a change"}


@pytest.fixture
def platform(app):
    platform = MockPlatform()
    platform.register()
    return platform


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def complete_profile(client, next_path):
    response = post_form(client, f"/profile?next={next_path}", {
        "first_name": "Lee", "last_name": "Okafor", "name": "Lee Okafor", "profession": "nurse",
        "licences-0-state": "AL", "licences-0-number": "RN-1"}, form_url="/profile")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def pass_quiz(client, objective_id):
    assert client.get(f"/courses/sample-course/modules/{objective_id}").status_code == 200
    started = client.post(f"/courses/sample-course/objectives/{objective_id}/quiz",
                          data={"csrf_token": csrf_token(client, "/profile")})
    attempt = db.session.get(QuizAttempt, int(started.headers["Location"].rsplit("/", 1)[1]))
    submitted = client.post(f"/quiz/attempts/{attempt.id}",
                            data={"csrf_token": csrf_token(client, "/profile"), **quiz_answers(attempt)})
    assert submitted.status_code == 302
    submitted.close()  # as a WSGI server does once the response is sent: queued scores go now


def test_login_launch_read_pass_and_the_score_is_posted(client, platform, mock):
    platform.serve(mock)
    response = platform.login_and_launch(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/profile?next=/courses/sample-course"  # profile first
    user = db.session.scalar(select(User).join(LtiAccount, LtiAccount.user_id == User.id)
                             .where(LtiAccount.subject == "lms-user-1"))
    assert user.role == "learner" and user.email.endswith("@lti.invalid") and user.profession is None
    assert complete_profile(client, "/courses/sample-course").headers["Location"] == "/courses/sample-course"

    pass_quiz(client, "first-objective")
    first = platform.score_calls(mock)
    assert len(first) == 1
    request = first[0].request
    assert request.headers["Content-Type"] == SCORE_TYPE
    assert request.headers["Authorization"] == "Bearer platform-token"
    body = json.loads(request.body)
    assert body["userId"] == "lms-user-1" and body["scoreGiven"] == 1 and body["scoreMaximum"] == 2
    assert (body["activityProgress"], body["gradingProgress"]) == ("InProgress", "Pending")
    assert body["timestamp"].endswith("+00:00")

    pass_quiz(client, "second-objective")
    response = post_form(client, "/courses/sample-course/evaluation", EVALUATION)
    response.close()
    scores = [json.loads(call.request.body) for call in platform.score_calls(mock)]
    assert response.status_code == 303, response.get_data(as_text=True)
    assert [(s["scoreGiven"], s["activityProgress"], s["gradingProgress"]) for s in scores] == [
        (1, "InProgress", "Pending"), (2, "InProgress", "Pending"), (2, "Completed", "FullyGraded")]
    assert db.session.scalar(select(func.count()).select_from(LtiScoreOutbox).where(
        LtiScoreOutbox.status != "sent")) == 0


def test_a_second_launch_goes_straight_to_the_course_as_the_same_user(client, platform, mock):
    platform.serve(mock)
    platform.login_and_launch(client)
    complete_profile(client, "/courses/sample-course")
    again = platform.login_and_launch(client)
    assert again.headers["Location"] == "/courses/sample-course"
    assert db.session.scalar(select(func.count()).select_from(LtiAccount)) == 1


def test_accounts_are_linked_by_issuer_and_subject_never_by_email(client, platform, mock):
    platform.serve(mock)
    existing = make_user(email="lee@hospital.example")
    platform.login_and_launch(client)
    account = db.session.scalar(select(LtiAccount))
    assert account.user_id != existing.id and account.platform_email == "lee@hospital.example"
    other_issuer = MockPlatform(issuer="https://other-lms.example.org")
    other_issuer.register()
    other_issuer.serve(mock)
    platform_client = client.application.test_client()
    other_issuer.login_and_launch(platform_client)  # same subject, another issuer: another person
    assert db.session.scalar(select(func.count()).select_from(LtiAccount)) == 2


@pytest.mark.parametrize(("roles", "expected"), [
    ([LEARNER], "learner"),
    ([INSTRUCTOR], "instructor"),
    (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"], "instructor"),
    ([ADMINISTRATOR, "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], "learner"),
    ([ADMINISTRATOR, INSTRUCTOR], "instructor"),
])
def test_roles_map_to_ours_and_never_to_administrator(roles, expected):
    assert role_from_launch(roles) == expected


def test_an_lms_administrator_launch_makes_no_administrator(client, platform, mock):
    platform.serve(mock)
    platform.login_and_launch(client, roles=[ADMINISTRATOR, INSTRUCTOR])
    assert db.session.scalar(select(User.role).join(LtiAccount, LtiAccount.user_id == User.id)) == "instructor"


def test_a_replayed_launch_is_refused(client, platform, mock):
    platform.serve(mock)
    state, nonce = platform.login(client)
    cookies = {cookie.key: cookie.value for cookie in client._cookies.values()}
    token = platform.sign(platform.claims(nonce))
    assert platform.launch(client, state, token).status_code == 303
    replay = client.application.test_client()  # the browser's cookies as they were before the launch
    for name, value in cookies.items():
        replay.set_cookie(name, value)
    response = platform.launch(replay, state, token)
    assert response.status_code == 400
    assert "already used" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LtiUsedNonce)) == 1


@pytest.mark.parametrize(("change", "message"), [
    ({"aud": "someone-else"}, "not registered"),
    ({"aud": ["tool-client-1", "another-tool"], "azp": "another-tool"}, "not registered"),
    ({"aud": ["tool-client-1", "another-tool"]}, "authorised party"),
    ({"exp": -420}, "expired"),
    ({"iat": 3600}, "dated in the future"),
    ({"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "unknown-deployment"}, "is not recognised"),
    ({"https://purl.imsglobal.org/spec/lti/claim/version": "1.1"}, "1.3.0"),
    ({"https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiSubmissionReviewRequest"}, "not"),
    ({"iss": "https://unregistered.example.org"}, "not registered"),
])
def test_bad_launches_are_refused_with_a_clear_message(client, platform, mock, change, message):
    platform.serve(mock)
    state, nonce = platform.login(client)
    body = platform.claims(nonce)
    for name, value in change.items():
        body[name] = body[name] + value if name in ("exp", "iat") else value
    response = platform.launch(client, state, platform.sign(body))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(LtiAccount)) == 0


def test_a_bad_signature_is_refused(client, platform, mock):
    platform.serve(mock)
    state, nonce = platform.login(client)
    forger = new_key()
    forged = platform.sign(platform.claims(nonce), key=JWK(**{**json.loads(forger.export(private_key=True)),
                                                             "kid": platform.key.get("kid")}))
    response = platform.launch(client, state, forged)
    assert response.status_code == 400
    assert "signature does not match" in response.get_data(as_text=True)


def test_an_unknown_kid_fetches_the_platforms_keys_again(app, client, platform, mock):
    platform.serve(mock)
    platform.login_and_launch(client)
    fetches = lambda: sum(1 for call in mock.calls if call.request.url.endswith("/jwks"))  # noqa: E731
    assert fetches() == 1
    platform.login_and_launch(client.application.test_client())
    assert fetches() == 1  # cached
    platform.key = new_key()  # the platform rotates its key
    platform.published.append(platform.key)
    app.config["CLOCK"] = lambda: utcnow() + timedelta(minutes=2)
    assert platform.login_and_launch(client.application.test_client()).status_code == 303
    assert fetches() == 2


def test_a_launch_without_the_login_cookies_offers_a_new_window(app, client, platform, mock):
    platform.serve(mock)
    state, nonce = platform.login(client)
    cookieless = app.test_client(use_cookies=False)
    response = platform.launch(cookieless, state, platform.sign(platform.claims(nonce)))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "State not found" not in page
    assert "Open the course in a new window" in page and 'target="_blank"' in page
    assert "lti1p3_new_window=1" in page and "login_hint=hint-1" in page
    assert "frame-ancestors https://lms.example.edu" in response.headers["Content-Security-Policy"]


def test_the_tool_jwks_publishes_its_key_and_keeps_a_rotated_one(app, client, runner):
    first = client.get("/lti/jwks").get_json()["keys"]
    assert len(first) == 1 and first[0]["alg"] == "RS256" and "d" not in first[0]
    result = runner.invoke(args=["lti", "rotate-key"])
    assert result.exit_code == 0, result.output
    after = client.get("/lti/jwks").get_json()["keys"]
    assert [key["kid"] for key in after][1:] == [first[0]["kid"]] and after[0]["kid"] != first[0]["kid"]


def test_outbox_retries_a_failed_post_and_never_posts_an_event_twice(app, client, platform, mock):
    platform.serve(mock)
    platform.score_status = 503
    platform.login_and_launch(client)
    complete_profile(client, "/courses/sample-course")
    pass_quiz(client, "first-objective")
    row = db.session.scalar(select(LtiScoreOutbox))
    assert (row.status, row.attempts) == ("pending", 1) and "503" in row.last_error
    assert send_due(db.session, app.config, utcnow()).sent == 0  # not due yet: it waits before trying again
    platform.score_status = 200
    later = utcnow() + timedelta(minutes=5)
    assert send_due(db.session, app.config, later).sent == 1
    assert send_due(db.session, app.config, later + timedelta(hours=2)).sent == 0
    db.session.refresh(row)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert len(platform.score_calls(mock)) == 2  # one failed, one delivered
    pass_quiz(client, "first-objective")  # passing the same objective again is not a new event
    assert db.session.scalar(select(func.count()).select_from(LtiScoreOutbox)) == 1
    assert len(platform.score_calls(mock)) == 2


def test_a_platform_that_stays_down_is_given_up_after_the_last_attempt(app, client, platform, mock):
    platform.serve(mock)
    platform.score_status = 500
    platform.login_and_launch(client)
    complete_profile(client, "/courses/sample-course")
    pass_quiz(client, "first-objective")
    moment = utcnow()
    for _ in range(10):
        moment += timedelta(hours=2)
        send_due(db.session, app.config, moment)
    row = db.session.scalar(select(LtiScoreOutbox))
    assert (row.status, row.attempts) == ("failed", 8)


def test_deep_linking_answers_with_a_response_signed_by_the_tool(client, platform, mock):
    platform.serve(mock)
    response = platform.login_and_launch(client, roles=[INSTRUCTOR], message_type="LtiDeepLinkingRequest")
    assert response.status_code == 303 and response.headers["Location"] == "/lti/deep-link"
    page = client.get("/lti/deep-link").get_data(as_text=True)
    assert "Sample Course on Depression Care" in page
    answer = post_form(client, "/lti/deep-link", {"item": "sample-course/first-objective"})
    html = answer.get_data(as_text=True)
    assert f'action="{platform.issuer}/deep_links"' in html
    assert f"form-action 'self' {platform.issuer}" in answer.headers["Content-Security-Policy"]
    token = html.split('name="JWT" value="')[1].split('"')[0]
    keys = {key["kid"]: key for key in client.get("/lti/jwks").get_json()["keys"]}
    kid = jwt.get_unverified_header(token)["kid"]
    public = JWK(**keys[kid]).export_to_pem()
    claims = jwt.decode(token, public, algorithms=["RS256"], audience=platform.issuer)
    assert claims["iss"] == platform.client_id
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == platform.deployment_id
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-42"
    [item] = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == "http://localhost/courses/sample-course/modules/first-objective"
    assert item["lineItem"]["scoreMaximum"] == 2


def test_a_learner_cannot_deep_link(client, platform, mock):
    platform.serve(mock)
    response = platform.login_and_launch(client, roles=[LEARNER], message_type="LtiDeepLinkingRequest")
    assert response.status_code == 403


def test_frame_ancestors_name_the_launching_platform_only(app, platform, mock):
    other = MockPlatform(issuer="https://moodle.example.org", client_id="moodle-client",
                         origin="https://moodle-frames.example.org")
    other.register()
    for lms in (platform, other):
        lms.serve(mock)
    first, second = app.test_client(), app.test_client()
    platform.login_and_launch(first)
    other.login_and_launch(second)
    first_policy = first.get("/courses/sample-course").headers["Content-Security-Policy"]
    second_policy = second.get("/courses/sample-course").headers["Content-Security-Policy"]
    assert "frame-ancestors https://lms.example.edu;" in first_policy
    assert "frame-ancestors https://moodle-frames.example.org;" in second_policy
    assert "X-Frame-Options" not in first.get("/courses/sample-course").headers
    plain = app.test_client().get("/courses/sample-course")
    assert "frame-ancestors 'none'" in plain.headers["Content-Security-Policy"]
    assert plain.headers["X-Frame-Options"] == "DENY"


def test_lti_sessions_get_a_samesite_none_secure_cookie_over_https(app, platform, mock):
    platform.serve(mock)
    browser = app.test_client()
    state, nonce = platform.login(browser, base_url="https://localhost")
    response = platform.launch(browser, state, platform.sign(platform.claims(nonce)), base_url="https://localhost")
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "SameSite=None" in cookie and "Secure" in cookie
    ordinary = app.test_client().get("/sign-in", base_url="https://localhost")
    plain_cookie = next(v for v in ordinary.headers.getlist("Set-Cookie") if v.startswith("session="))
    assert "SameSite=Lax" in plain_cookie


def test_register_from_the_command_line_with_several_client_ids(runner):
    base = ["lti", "register", "--name", "Canvas", "--issuer", "https://canvas.instructure.com",
            "--auth-login-url", "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "--auth-token-url", "https://sso.canvaslms.com/login/oauth2/token",
            "--key-set-url", "https://sso.canvaslms.com/api/lti/security/jwks",
            "--frame-origin", "https://school.instructure.com"]
    first = runner.invoke(args=[*base, "--client-id", "10000000000001", "--deployment-id", "1:abc"])
    second = runner.invoke(args=[*base, "--client-id", "10000000000002", "--deployment-id", "2:def",
                                 "--deployment-id", "3:ghi"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    listed = runner.invoke(args=["lti", "platforms"]).output
    assert "10000000000001" in listed and "2:def,3:ghi" in listed
    bad = runner.invoke(args=["lti", "register", "--name", "X", "--issuer", "ftp://x", "--client-id", "c",
                              "--auth-login-url", "http://lms.example.org/auth", "--auth-token-url", "https://x/t",
                              "--key-set-url", "https://x/k", "--deployment-id", "d"])
    assert bad.exit_code != 0 and "https://" in bad.output


def test_register_in_the_admin_pages(client):
    from tests.factories import sign_in_as

    sign_in_as(client, "admin")
    page = client.get("/admin/lti").get_data(as_text=True)
    assert "http://localhost/lti/login" in page and "http://localhost/lti/jwks" in page
    response = post_form(client, "/admin/lti/platforms", {
        "name": "Moodle", "issuer": "https://moodle.example.org", "client_id": "abc123",
        "auth_login_url": "https://moodle.example.org/mod/lti/auth.php",
        "auth_token_url": "https://moodle.example.org/mod/lti/token.php",
        "key_set_url": "https://moodle.example.org/mod/lti/certs.php", "deployment_ids": "4\n5"},
        form_url="/admin/lti")
    assert response.status_code == 303
    page = client.get("/admin/lti").get_data(as_text=True)
    assert "abc123" in page and "4, 5" in page
    refused = post_form(client, "/admin/lti/platforms", {
        "name": "Bad", "issuer": "not a url", "client_id": "x", "auth_login_url": "x", "auth_token_url": "x",
        "key_set_url": "x", "deployment_ids": "1"}, form_url="/admin/lti")
    assert refused.status_code == 422 and "Enter an https:// address." in refused.get_data(as_text=True)


def test_a_placed_module_link_opens_that_module(client, platform, mock):
    platform.serve(mock)
    platform.login_and_launch(client)
    complete_profile(client, "/courses/sample-course")
    again = platform.login_and_launch(client, target="http://localhost/courses/sample-course/modules/first-objective")
    assert again.headers["Location"] == "/courses/sample-course/modules/first-objective"
    elsewhere = platform.login_and_launch(client, target="http://localhost/courses/no-such-course")
    assert elsewhere.headers["Location"] == "/"


def test_a_login_for_a_link_on_another_site_or_an_unregistered_platform_is_refused(client, platform):
    response = client.get("/lti/login", query_string={
        "iss": platform.issuer, "login_hint": "h", "client_id": platform.client_id,
        "target_link_uri": "https://evil.example.com/courses/sample-course"})
    assert response.status_code == 400 and "is not on this site" in response.get_data(as_text=True)
    response = client.get("/lti/login", query_string={
        "iss": "https://unknown.example.org", "login_hint": "h", "client_id": "x",
        "target_link_uri": "http://localhost/courses/sample-course"})
    assert response.status_code == 400 and "is not registered" in response.get_data(as_text=True)


@pytest.mark.parametrize("change", [{"aud": 5}, {"aud": {"client": 1}}, {"nonce": "n" * 300}, {"sub": ["x"]}])
def test_claims_of_the_wrong_type_are_refused_not_an_error(client, platform, mock, change):
    platform.serve(mock)
    state, nonce = platform.login(client)
    body = {**platform.claims(nonce), **change}
    response = platform.launch(client, state, platform.sign(body))
    assert response.status_code == 400
