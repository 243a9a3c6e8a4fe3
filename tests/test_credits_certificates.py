"""Certificates: what they say (HTML and PDF), who may see them, verification, freezing, reissue, transcript."""
import io
import re
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from accounts.users import ProfileData, update_profile
from course.content.store import current_catalogue
from course.core.extensions import db
from accounts.models import User
from credits import certificates
from credits.errors import CertificateNotValid
from credits.models import Certificate
from tests.factories import build_certificate, complete_course, make_user, post_claim, sign_in, submit_evaluation

UNICODE_NAME = "Zoë Łukasiewicz-Nguyễn"
ISSUED_AT = datetime(2025, 8, 1, 14, 30, tzinfo=UTC)


@pytest.fixture
def app_config(app_config):
    """A frozen clock: certificates are issued, and transcripts generated, on August 1, 2025."""
    return {**app_config, "CLOCK": lambda: ISSUED_AT}


def pdf_text(data: bytes) -> str:
    """The PDF's text with runs of whitespace folded, so wrapped lines read as one."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def nurse(client, email="zoe@example.org", name=UNICODE_NAME, completed_at=datetime(2025, 7, 29, 16, 0, tzinfo=UTC)):
    user = make_user(email=email, name=name, profession="nurse", licences=[("AL", "AL-98765"), ("KY", "KY-4321")],
                     board_ids=[("ABIM", "ABIM-555")], birth_month=3, birth_day=14)
    complete_course(user, completed_at=completed_at)
    submit_evaluation(user)
    sign_in(client, email)
    return user


def claimed(client, approval_id: str, **fields) -> Certificate:
    response = post_claim(client, approval_id, **fields)
    assert response.status_code == 303, response.get_data(as_text=True)
    certificate_id = int(response.headers["Location"].rsplit("/", 1)[1])
    db.session.expire_all()
    return db.session.get(Certificate, certificate_id)


def test_certificate_pdf_carries_every_required_element(client):
    nurse(client)
    ancc = claimed(client, "ancc")
    response = client.get(f"/certificates/{ancc.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f"attachment; filename=certificate-sample-course-ancc-{ancc.id}.pdf"
    text = pdf_text(response.data)
    for expected in [
        UNICODE_NAME,
        "Sample Course on Depression Care",
        "Format: Enduring material (online self-study)",
        "Sample CE Provider", "1 Test Street", "Springfield, IL 62701",
        "Completion date: July 29, 2025",
        "Credit awarded: 1 contact hour",
        "Pharmacology hours: 1",
        "The provider is accredited by the ANCC.",
        "American Nurses Credentialing Center (ANCC)",
        f"Verification code: {ancc.code}",
        f"http://localhost/verify/{ancc.code}",
        "Issued: August 1, 2025",
    ]:
        assert expected in text, expected

    alabama = claimed(client, "nursing-al")
    text = pdf_text(client.get(f"/certificates/{alabama.id}.pdf").data)
    assert "Credit awarded: 1.2 contact hours (Alabama)" in text
    assert "Alabama Board of Nursing" in text
    assert "Provider or approval number: ABNP0000" in text
    assert "Approved as a provider of nursing education by the Alabama Board of Nursing." in text
    assert "Pharmacology hours" not in text


def test_certificate_page_shows_the_same_facts_and_a_qr_code(client):
    nurse(client)
    ancc = claimed(client, "ancc")
    page = client.get(f"/certificates/{ancc.id}").get_data(as_text=True)
    for expected in [UNICODE_NAME, "Sample Course on Depression Care", "Enduring material (online self-study)",
                     "Sample CE Provider", "1 Test Street", "July 29, 2025", "1 contact hour", "Pharmacology hours",
                     "The provider is accredited by the ANCC.", "American Nurses Credentialing Center (ANCC)",
                     ancc.code, f"http://localhost/verify/{ancc.code}", 'alt="QR code for the verification page"']:
        assert expected in page, expected
    assert 'src="data:image/svg+xml' in page


def test_verification_codes_are_long_random_and_unique(client):
    codes = {certificates.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", code) for code in codes)  # 24 bytes = 192 bits
    nurse(client)
    first, second = claimed(client, "ancc"), claimed(client, "ipce")
    assert first.code != second.code
    assert str(first.id) not in (first.code[:3], first.code[-3:])


def test_another_learner_cannot_see_a_certificate(client):
    nurse(client)
    ancc = claimed(client, "ancc")
    client.post("/sign-out", data={"csrf_token": _token(client)})
    assert client.get(f"/certificates/{ancc.id}").status_code == 302  # signed out: sent to sign in
    make_user(email="other@example.org", profession="nurse")
    sign_in(client, "other@example.org")
    assert client.get(f"/certificates/{ancc.id}").status_code == 404
    assert client.get(f"/certificates/{ancc.id}.pdf").status_code == 404
    assert UNICODE_NAME not in client.get("/transcript").get_data(as_text=True)


def test_verify_page_works_signed_out_and_shows_nothing_else_about_the_learner(client):
    nurse(client)
    ancc = claimed(client, "ancc")
    client.post("/sign-out", data={"csrf_token": _token(client)})
    response = client.get(f"/verify/{ancc.code}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for expected in ["Valid", UNICODE_NAME, "Sample Course on Depression Care", "1 contact hour", "July 29, 2025",
                     "American Nurses Credentialing Center (ANCC)"]:
        assert expected in page, expected
    for private in ["zoe@example.org", "AL-98765", "KY-4321", "ABIM-555", "/certificates/", "March"]:
        assert private not in page, private
    assert not re.search(r"\bNurse\b", page)  # the profession is not shown either
    altered = ancc.code[:-1] + ("y" if ancc.code.endswith("x") else "x")
    assert client.get(f"/verify/{altered}").status_code == 404
    assert client.get("/verify/not a code").status_code == 404


def test_revoked_certificate_says_so(client):
    nurse(client)
    ancc = claimed(client, "ancc")
    certificates.revoke_certificate(db.session, ancc, reason="Completion recorded in error", now=ISSUED_AT)
    db.session.commit()
    page = client.get(f"/verify/{ancc.code}").get_data(as_text=True)
    assert "Revoked:" in page and "is not valid" in page
    assert "Completion recorded in error" not in page
    assert "REVOKED" in pdf_text(client.get(f"/certificates/{ancc.id}.pdf").data)
    with pytest.raises(CertificateNotValid):
        certificates.revoke_certificate(db.session, ancc, reason="again", now=ISSUED_AT)
    # A revoked certificate is not issued again by claiming again.
    assert post_claim(client, "ancc").headers["Location"].endswith(f"/certificates/{ancc.id}")


def test_the_pdf_is_drawn_when_issued_and_a_download_only_sends_it(client, monkeypatch):
    nurse(client)
    ancc = claimed(client, "ancc")
    stored = ancc.document.pdf
    assert f"http://localhost/verify/{ancc.code}" in pdf_text(stored)

    def no_drawing(*args):
        raise AssertionError("a download drew a PDF")

    monkeypatch.setattr(certificates, "certificate_pdf", no_drawing)
    response = client.get(f"/certificates/{ancc.id}.pdf")
    assert response.status_code == 200 and response.data == stored


def test_certificate_is_frozen_at_issue(client, content_dir):
    user = nurse(client)
    ancc = claimed(client, "ancc")
    before = pdf_text(client.get(f"/certificates/{ancc.id}.pdf").data)

    provider_yaml = content_dir / "provider.yaml"
    provider_yaml.write_text(provider_yaml.read_text().replace(
        "The provider is accredited by the ANCC.", "A completely rewritten ANCC statement."))
    course_yaml = content_dir / "sample-course" / "course.yaml"
    course_yaml.write_text(course_yaml.read_text().replace("pharmacology_hours: 1", "pharmacology_hours: 0.5"))
    user = db.session.get(User, user.id)
    update_profile(db.session, user, ProfileData(
        name="Zoe Renamed", first_name="Zoe", last_name="Renamed", profession="nurse", licences=[("AL", "RN", "AL-98765")], board_ids=[],
        birth_month=None, birth_day=None))
    db.session.commit()
    assert current_catalogue().provider.approvals["ancc"].statement == "A completely rewritten ANCC statement."
    assert "including 0.5 pharmacology hour(s)" in client.get("/courses/sample-course").get_data(as_text=True)

    after = pdf_text(client.get(f"/certificates/{ancc.id}.pdf").data)
    assert after == before
    assert UNICODE_NAME in after and "The provider is accredited by the ANCC." in after
    assert "Pharmacology hours: 1" in after
    page = client.get(f"/verify/{ancc.code}").get_data(as_text=True)
    assert UNICODE_NAME in page and "Zoe Renamed" not in page


def test_reissue_after_a_name_correction_keeps_the_history(client):
    user = nurse(client, name="Zoe Lukasiewicz")
    original = claimed(client, "ancc")
    user = db.session.get(User, user.id)
    user.name = UNICODE_NAME
    replacement = certificates.reissue_certificate(db.session, original, learner_name=user.name, now=ISSUED_AT)
    db.session.commit()

    db.session.expire_all()
    original = db.session.get(Certificate, original.id)
    assert original.status == "superseded"
    assert original.superseded_by.id == replacement.id
    assert replacement.supersedes.id == original.id
    assert replacement.code != original.code
    assert (replacement.learner_name, original.learner_name) == (UNICODE_NAME, "Zoe Lukasiewicz")
    for column in ("course_title", "completion_date", "amount", "unit", "statement", "approval_body", "pharmacology_hours"):
        assert getattr(replacement, column) == getattr(original, column)

    old_page = client.get(f"/verify/{original.code}").get_data(as_text=True)
    assert "Superseded:" in old_page
    assert f'href="/verify/{replacement.code}"' in old_page
    new_page = client.get(f"/verify/{replacement.code}").get_data(as_text=True)
    assert "Valid:" in new_page and UNICODE_NAME in new_page
    # The claim page and a repeated claim lead to the replacement, not the superseded one.
    assert post_claim(client, "ancc").headers["Location"].endswith(f"/certificates/{replacement.id}")
    with pytest.raises(CertificateNotValid):
        certificates.reissue_certificate(db.session, original, learner_name="Anyone", now=ISSUED_AT)
    assert len(db.session.scalars(select(Certificate)).all()) == 2


def test_transcript_totals_per_unit_and_pdf(client):
    user = make_user(email="doc@example.org", name=UNICODE_NAME, profession="physician",
                     board_ids=[("ABIM", "ABIM-1")], birth_month=1, birth_day=2)
    complete_course(user)
    submit_evaluation(user)
    sign_in(client, "doc@example.org")
    claimed(client, "ama-pra", amount="0.75", attested=True)
    claimed(client, "ipce")
    claimed(client, "moc-abim", moc_consent=True)  # MOC points follow the 0.75 AMA PRA credit claimed
    # Credit from another course, and a revoked certificate, which counts for nothing.
    earlier = _other_course_certificate(user, "IPCE credit", "1.5", date(2025, 3, 1))
    revoked = _other_course_certificate(user, "AMA PRA Category 1 Credit™", "2", date(2025, 4, 1), code="r" * 32)
    db.session.add_all([earlier, revoked])
    db.session.flush()
    certificates.revoke_certificate(db.session, revoked, reason="test", now=ISSUED_AT)
    db.session.commit()

    page = client.get("/transcript").get_data(as_text=True)
    totals = page[page.index('data-testid="totals"'):]
    assert re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", totals) == [
        ("IPCE credit", "2.5"), ("AMA PRA Category 1 Credit™", "0.75"), ("ABIM MOC point", "0.75")]
    assert page.count("/certificates/") == 5

    response = client.get("/transcript.pdf")
    assert response.headers["Content-Disposition"] == "attachment; filename=transcript-2025-08-01.pdf"
    text = pdf_text(response.data)
    for expected in [UNICODE_NAME, "Generated on August 1, 2025", "Sample Course on Depression Care", "An Earlier Course",
                     "0.75 AMA PRA Category 1 Credit™", "REVOKED, not counted in the totals",
                     "Totals by unit of credit", "IPCE credit: 2.5", "ABIM MOC point: 0.75"]:
        assert expected in text, expected


def test_course_page_links_to_evaluation_claim_and_certificates_after_completion(client):
    user = make_user(email="kim@example.org", profession="nurse")
    sign_in(client, "kim@example.org")
    section = _credit_section(client)
    assert "after passing every quiz and submitting the course evaluation" in section
    complete_course(user)
    section = _credit_section(client)
    assert 'href="/courses/sample-course/evaluation"' in section and "(required before claiming credit)" in section
    assert 'href="/courses/sample-course/credit"' in section
    submit_evaluation(user)
    certificate = claimed(client, "ancc")
    section = _credit_section(client)
    assert "(submitted)" in section
    assert f'href="/certificates/{certificate.id}"' in section
    client.post("/sign-out", data={"csrf_token": _token(client)})
    assert 'data-testid="credit-section"' not in client.get("/courses/sample-course").get_data(as_text=True)


def _credit_section(client) -> str:
    page = client.get("/courses/sample-course").get_data(as_text=True)
    section = page[page.index('data-testid="credit-section"'):]
    return section[:section.index("</section>")]


def _other_course_certificate(user, unit, amount, completed_on, code=None) -> Certificate:
    return build_certificate(
        user, approval_id=f"approval-{unit[:4].lower()}", course_slug="an-earlier-course", code=code,
        course_title="An Earlier Course", course_format="Webinar", completed_on=completed_on, amount=amount,
        unit=unit, approval_body="Some body", statement="Some statement.", issued_at=ISSUED_AT,
    )


def _token(client):
    from tests.factories import csrf_token
    return csrf_token(client, "/profile")


def test_administrators_revoke_and_reissue_from_the_command_line(client, runner):
    user = nurse(client, name="Zoe Lukasiewicz")
    ancc, ipce = claimed(client, "ancc"), claimed(client, "ipce")
    user = db.session.get(User, user.id)
    user.name = UNICODE_NAME
    db.session.commit()

    result = runner.invoke(args=["credits", "reissue", ancc.code])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    replacement = db.session.get(Certificate, ancc.id).superseded_by
    assert replacement.learner_name == UNICODE_NAME
    assert f"as {replacement.code}" in result.output

    result = runner.invoke(args=["credits", "revoke", ipce.code, "--reason", "Claimed in error"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    revoked = db.session.get(Certificate, ipce.id)
    assert (revoked.status, revoked.revoked_reason) == ("revoked", "Claimed in error")

    result = runner.invoke(args=["credits", "revoke", ipce.code, "--reason", "again"])
    assert result.exit_code == 1 and "Only a valid certificate can be revoked; this one is revoked." in result.output
    result = runner.invoke(args=["credits", "reissue", "no-such-code-at-all"])
    assert result.exit_code == 1 and "No certificate has that verification code." in result.output


def test_verify_page_is_rate_limited(client, app):
    app.config["VERIFY_RATE_LIMIT"] = "3 per minute"
    responses = [client.get("/verify/" + "A" * 32) for _ in range(4)]
    assert [response.status_code for response in responses] == [404, 404, 404, 429]
    assert responses[-1].headers["Retry-After"] == "60"
    assert not any(name.startswith("X-RateLimit") for name in responses[0].headers.keys())
