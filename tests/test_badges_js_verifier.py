"""An independent implementation agrees: Digital Bazaar's JavaScript stack verifies what the app issues.

tests/js_verifier/verify.mjs runs @digitalbazaar/vc with the eddsa-rdfc-2022 cryptosuite, the
app's bundled contexts and what the app publishes (key document, status list), offline; `make
test` installs it with `npm ci`.
"""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from course.core.clock import now
from course.core.extensions import db
from credits import administration
from credits.models import Certificate
from tests.factories import complete_course, make_user, post_claim, sign_in, submit_evaluation

VERIFIER = Path(__file__).resolve().parent / "js_verifier"


@pytest.fixture(scope="module")
def node():
    executable = shutil.which("node")
    if executable is None or not (VERIFIER / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.fail("The JavaScript verifier is not installed: run `make test`, or `npm ci` in tests/js_verifier.")
    return executable


def js_verify(node, client, credential: dict, tmp_path: Path) -> dict:
    """Fetch what the issuer publishes, as a third party would, and run the JavaScript verifier on `credential`."""
    (tmp_path / "issuer.json").write_bytes(client.get("/issuer").data)
    (tmp_path / "status-0.json").write_bytes(client.get("/credentials/status/0").data)
    (tmp_path / "credential.json").write_text(json.dumps(credential, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([node, str(VERIFIER / "verify.mjs"), str(tmp_path / "credential.json"), str(tmp_path)],
                         capture_output=True, text=True, timeout=120, check=False)
    outcome = json.loads(run.stdout)
    assert (run.returncode == 0) == outcome["verified"], run.stderr
    return outcome


@pytest.fixture
def issued(client):
    user = make_user(email="zoe@example.org", name="Zoë Łukasiewicz", profession="nurse", licences=[("AL", "AL-98765")])
    complete_course(user)
    submit_evaluation(user)
    sign_in(client, "zoe@example.org")
    response = post_claim(client, "nursing-al")
    certificate_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return db.session.get(Certificate, certificate_id), json.loads(client.get(f"/certificates/{certificate_id}.json").data)


def test_javascript_verifier_accepts_an_issued_credential(node, client, issued, tmp_path):
    _certificate, credential = issued
    assert js_verify(node, client, credential, tmp_path) == {"verified": True, "error": None}


@pytest.mark.parametrize("tamper", ["name", "credit"])
def test_javascript_verifier_rejects_a_copy_with_one_character_changed(node, client, issued, tmp_path, tamper):
    _certificate, credential = issued
    subject = credential["credentialSubject"]
    if tamper == "name":
        name = subject["identifier"][0]
        assert name["identityHash"] == "Zoë Łukasiewicz"
        name["identityHash"] = "Zoë Łukasiewicx"
    else:
        assert subject["creditsEarned"] == 1.2
        subject["creditsEarned"] = 1.3
    outcome = js_verify(node, client, credential, tmp_path)
    assert not outcome["verified"]
    assert "Invalid signature" in outcome["error"]


def test_javascript_verifier_rejects_a_term_no_context_defines(node, client, issued, tmp_path):
    _certificate, credential = issued
    credential["continuingEducationHours"] = 40
    outcome = js_verify(node, client, credential, tmp_path)
    assert not outcome["verified"]
    assert "Safe mode validation error" in outcome["error"]  # an undefined term is refused, not dropped


def test_javascript_verifier_sees_a_revocation_in_the_status_list(node, client, issued, tmp_path):
    certificate, credential = issued
    administration.revoke(db.session, certificate, reason="Issued in error", actor=None, via="test", now=now())
    db.session.commit()
    outcome = js_verify(node, client, credential, tmp_path)
    assert not outcome["verified"]
    assert "revoked" in outcome["error"]


def test_javascript_verifier_refuses_a_network_fetch(node, client, issued, tmp_path):
    _certificate, credential = issued
    credential["@context"].append("https://example.org/contexts/extra.json")
    outcome = js_verify(node, client, credential, tmp_path)
    assert not outcome["verified"]
    assert "Refusing to fetch https://example.org/contexts/extra.json" in outcome["error"]
