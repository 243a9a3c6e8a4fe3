"""In a real Chromium: a learning system's page shows the course in an iframe; the learner launches,
completes the profile, reads, passes a quiz, and the platform receives the score.

Both sites run over HTTPS (a self-signed certificate made here; Chromium ignores its errors),
because a cross-site iframe gets only `SameSite=None; Secure` cookies. The tool is at
127.0.0.1 and the platform at localhost: two different sites.
"""
import datetime as dt
import ipaddress
import json
import os
import threading
from html import escape
from urllib.parse import urlencode

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask, request
from playwright.sync_api import expect
from werkzeug.serving import make_server

from course import create_app
from course.core.extensions import db, limiter
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, REQUIRE_ALL
from tests.factories import app_settings
from quizzes.models import QuizAttempt
from tests.lti_platform import MockPlatform

pytestmark = pytest.mark.browser


def self_signed_certificate(directory) -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def serve(app, host: str, certificate):
    server = make_server(host, 0, app, threaded=True, ssl_context=certificate)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def platform_app(platform: MockPlatform, tool_url: str, scores: list) -> Flask:
    """The learning system: a course page framing the tool, its OIDC endpoint, JWKS, token and score endpoints."""
    app = Flask("mock_platform")

    @app.get("/course")
    def course_page():
        login = tool_url + "/lti/login?" + urlencode({
            "iss": platform.issuer, "login_hint": "hint-1", "client_id": platform.client_id,
            "target_link_uri": tool_url + "/courses/sample-course", "lti_deployment_id": platform.deployment_id})
        return (f'<!doctype html><title>Nursing CE</title><h1>Nursing CE in the LMS</h1>'
                f'<iframe title="CE course" src="{escape(login)}" width="1000" height="800"></iframe>')

    @app.get("/auth")
    def authorize():
        claims = platform.claims(request.args["nonce"], target=tool_url + "/courses/sample-course")
        token = platform.sign(claims)
        return (f'<!doctype html><form id="f" method="post" action="{escape(request.args["redirect_uri"])}">'
                f'<input type="hidden" name="id_token" value="{token}">'
                f'<input type="hidden" name="state" value="{escape(request.args["state"])}"></form>'
                f'<script>document.getElementById("f").submit()</script>')

    @app.get("/jwks")
    def jwks():
        return platform.jwks()

    @app.post("/token")
    def token():
        return {"access_token": "platform-token", "expires_in": 3600}

    @app.post("/api/lti/courses/7/line_items/42/scores")
    def score():
        scores.append({"type": request.content_type, "body": json.loads(request.get_data())})
        return "", 200

    @app.get("/gradebook")
    def gradebook():
        rows = "".join(f"<li>{s['body']['scoreGiven']} of {s['body']['scoreMaximum']} ({s['type']})</li>"
                       for s in scores)
        return f"<!doctype html><title>Gradebook</title><ul id=scores>{rows}</ul>"

    return app


@pytest.fixture
def sites(tmp_path, content_dir, monkeypatch):
    certificate = self_signed_certificate(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])  # the tool trusts the platform's certificate
    tool = create_app(app_settings(
        TESTING=False, SECRET_KEY="browser-test-key", CONTENT_DIR=str(content_dir),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'lti-live.sqlite3'}",
        LTI_PRIVATE_KEY_FILE=str(tmp_path / "lti" / "key.pem"), LTI_RETIRED_KEYS_DIR=str(tmp_path / "lti" / "old"),
    ))
    tool_server, tool_thread = serve(tool, "127.0.0.1", certificate)
    tool_url = f"https://127.0.0.1:{tool_server.server_port}"
    tool.config.update(BASE_URL=tool_url, SERVER_NAME=f"127.0.0.1:{tool_server.server_port}",
                       PREFERRED_URL_SCHEME="https")
    scores: list = []
    platform = MockPlatform(issuer="https://localhost:0")
    lms_server, lms_thread = serve(platform_app(platform, tool_url, scores), "localhost", certificate)
    platform.issuer = platform.origin = f"https://localhost:{lms_server.server_port}"
    platform.lineitem = f"{platform.issuer}/api/lti/courses/7/line_items/42"
    with tool.app_context():
        db.create_all()
        limiter.reset()
        platform.register()
        db.session.remove()
    yield tool, platform, scores
    for server, thread in ((tool_server, tool_thread), (lms_server, lms_thread)):
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
    with tool.app_context():
        db.engine.dispose()


@pytest.fixture
def https_page():
    if not os.path.exists(CHROMIUM):
        if REQUIRE_ALL:
            pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium); CE_REQUIRE_ALL=1 forbids skipping")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=[*CHROMIUM_ARGS, "--ignore-certificate-errors"])
        context = browser.new_context(ignore_https_errors=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def test_the_course_runs_inside_the_platforms_iframe_and_the_score_reaches_its_gradebook(sites, https_page):
    tool, platform, scores = sites
    page = https_page
    page.goto(platform.issuer + "/course")
    frame = page.frame_locator("iframe[title='CE course']")
    expect(frame.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(frame.get_by_label("First name")).to_have_value("Lee")
    frame.get_by_label("Name on certificates").fill("Lee Okafor")
    frame.get_by_label("Profession").select_option("nurse")
    frame.get_by_role("button", name="Save profile").click()

    expect(frame.get_by_role("heading", name="Sample Course on Depression Care")).to_be_visible()
    frame.get_by_role("link", name="Read “The first thing”").click()
    expect(frame.get_by_role("heading", name="The first thing", level=1)).to_be_visible()
    frame.get_by_role("link", name="Back to the course page").or_(
        frame.get_by_role("link", name="Sample Course on Depression Care")).first.click()
    frame.get_by_role("link", name="Take the quiz").click()
    frame.get_by_role("button", name="Start the quiz").click()
    expect(frame.get_by_role("heading", name="Quiz attempt 1")).to_be_visible()

    with tool.app_context():
        attempt = db.session.query(QuizAttempt).one()
        questions = attempt.questions
        db.session.remove()
    for index, question in enumerate(questions):
        options = [option_id for option_id, _ in question["options"]]
        for option_id in question["correct"]:
            frame.locator(f"#question-{index + 1}").locator("label.option").nth(options.index(option_id)).click()
    frame.get_by_role("button", name="Submit answers").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Attempt 1: passed")

    page.goto(platform.issuer + "/gradebook")
    expect(page.locator("#scores li")).to_have_text(["1.0 of 2.0 (application/vnd.ims.lis.v1.score+json)"])
