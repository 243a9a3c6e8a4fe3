"""Certificate PDFs are rendered once and kept, until the status or verify URL they print changes."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select

from course.audit import VIA_COMMAND_LINE
from course.extensions import db
from credits import administration, documents
from credits.documents import certificate_document, learner_certificate_with_document
from credits.models import Certificate, CertificateDocument
from credits.pdf import certificate_pdf
from tests.admin_data import make_certificate
from tests.factories import make_user, sign_in
from tests.test_credits_certificates import pdf_text


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """The verify URLs of the certificate PDFs rendered, in order."""
    rendered = []

    def counting_certificate_pdf(certificate, verify_url):
        rendered.append(verify_url)
        return certificate_pdf(certificate, verify_url)

    monkeypatch.setattr(documents, "certificate_pdf", counting_certificate_pdf)
    return rendered


@pytest.fixture
def certificate(client) -> Certificate:
    """A certificate of the learner signed in on `client`."""
    user = make_user(email="holder@example.org", profession="nurse")
    certificate = make_certificate(user, approval_id="ancc")
    sign_in(client, user.email)
    return certificate


def stored_document(certificate_id: int) -> CertificateDocument | None:
    db.session.expire_all()
    return db.session.get(CertificateDocument, certificate_id)


def test_the_first_download_is_kept_and_served_again_without_rendering(client, certificate, renders):
    url = f"/certificates/{certificate.id}.pdf"
    first = client.get(url)
    assert first.status_code == 200
    assert renders == [f"http://localhost/verify/{certificate.code}"]
    document = stored_document(certificate.id)
    assert (document.status, document.verify_url, document.pdf) == ("valid", renders[0], first.data)

    second = client.get(url)
    assert second.status_code == 200
    assert second.data == first.data
    assert second.headers["Content-Disposition"] == first.headers["Content-Disposition"]
    assert len(renders) == 1


def test_a_kept_pdf_is_read_with_its_certificate_in_one_query(client, certificate, selects):
    url = f"/certificates/{certificate.id}.pdf"
    client.get(url)
    selects.clear()
    assert client.get(url).status_code == 200
    assert len(selects) == 2  # the signed-in user; the certificate with its kept PDF
    assert "certificate_documents" in selects[1]


def test_a_revoked_certificate_is_rendered_again_with_the_notice(client, certificate, renders):
    assert "REVOKED" not in pdf_text(client.get(f"/certificates/{certificate.id}.pdf").data)
    administration.revoke(db.session, db.session.get(Certificate, certificate.id), reason="Claimed in error",
                          actor=None, via=VIA_COMMAND_LINE, now=datetime(2025, 8, 2, tzinfo=UTC))
    db.session.commit()

    text = pdf_text(client.get(f"/certificates/{certificate.id}.pdf").data)
    assert "REVOKED: this certificate is no longer valid." in text
    assert len(renders) == 2
    assert stored_document(certificate.id).status == "revoked"


def test_another_scheme_or_host_gets_its_own_verify_url(client, certificate, renders):
    """The verify URL printed is the request's own (url_for with _external), so the kept PDF follows it."""
    url = f"/certificates/{certificate.id}.pdf"
    client.get(url)
    elsewhere = client.get(url, base_url="https://localhost")
    assert f"https://localhost/verify/{certificate.code}" in pdf_text(elsewhere.data)
    assert stored_document(certificate.id).verify_url == f"https://localhost/verify/{certificate.code}"
    assert f"http://localhost/verify/{certificate.code}" in pdf_text(client.get(url).data)
    assert len(renders) == 3
    assert db.session.scalar(select(func.count()).select_from(CertificateDocument)) == 1


def test_a_change_to_the_certificate_drawing_code_draws_kept_pdfs_again(client, certificate, renders, monkeypatch):
    url = f"/certificates/{certificate.id}.pdf"
    client.get(url)
    client.get(url)
    assert len(renders) == 1
    monkeypatch.setattr(documents, "LAYOUT_VERSION", "a-newer-layout")
    client.get(url)
    client.get(url)
    assert len(renders) == 2
    assert stored_document(certificate.id).layout == "a-newer-layout"


def test_a_document_stored_by_another_request_meanwhile_is_replaced(app, certificate, monkeypatch):
    """Two first downloads at once: the one that stores second updates the row instead of failing."""
    verify_url = f"https://ce.example.org/verify/{certificate.code}"

    def render_while_another_request_stores(certificate, verify_url):
        with db.engine.begin() as connection:
            connection.execute(insert(CertificateDocument).values(
                certificate_id=certificate.id, status="valid", verify_url="http://other/verify", layout="x",
                pdf=b"other"))
        return certificate_pdf(certificate, verify_url)

    monkeypatch.setattr(documents, "certificate_pdf", render_while_another_request_stores)
    certificate, kept = learner_certificate_with_document(db.session, certificate.id, certificate.user_id)
    assert kept is None
    pdf = certificate_document(db.session, certificate, verify_url, kept)
    assert verify_url in pdf_text(pdf)
    document = stored_document(certificate.id)
    assert (document.verify_url, document.pdf) == (verify_url, pdf)
