"""Certificate PDFs, rendered once and kept (CertificateDocument) until what they print changes.

`certificate_document` is the exception to "functions flush, the caller commits": it stores a
newly rendered PDF in a short write transaction of its own (course.database.write_transaction),
so a download holds SQLite's write lock only for the insert, never while it renders.

A kept PDF is used only while the code that draws certificates is unchanged (LAYOUT_VERSION),
so a change to how certificates look reaches every certificate at its next download.
"""
import hashlib
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import and_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from course.database import write_transaction

from . import formats, pdf
from .models import Certificate, CertificateDocument
from .pdf import certificate_pdf

LAYOUT_VERSION = hashlib.sha256(b"".join(Path(m.__file__).read_bytes() for m in (pdf, formats))).hexdigest()[:16]

# INSERT ... ON CONFLICT DO UPDATE, for each database the app runs on.
_UPSERT_INSERT = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class KeptDocument(NamedTuple):
    verify_url: str
    pdf: bytes


# A download runs this on every request; built once (see course/database.py: prebuilt statements).
_CERTIFICATE_WITH_KEPT_PDF = (
    select(Certificate, CertificateDocument.verify_url, CertificateDocument.pdf)
    .outerjoin(CertificateDocument, and_(
        CertificateDocument.certificate_id == Certificate.id,
        CertificateDocument.status == Certificate.status,
        CertificateDocument.layout == bindparam("layout"),
    ))
    .where(Certificate.id == bindparam("certificate_id"), Certificate.user_id == bindparam("user_id"))
)


def learner_certificate_with_document(
    session: Session, certificate_id: int, user_id: int
) -> tuple[Certificate, KeptDocument | None] | None:
    """The learner's certificate and, in the same query, the PDF kept for its current status
    and the current layout, if there is one; None if the learner has no such certificate."""
    row = session.execute(
        _CERTIFICATE_WITH_KEPT_PDF, {"certificate_id": certificate_id, "user_id": user_id, "layout": LAYOUT_VERSION}
    ).first()
    if row is None:
        return None
    certificate, verify_url, kept_pdf = row
    return certificate, (KeptDocument(verify_url, kept_pdf) if kept_pdf is not None else None)


def certificate_document(session: Session, certificate: Certificate, verify_url: str, kept: KeptDocument | None) -> bytes:
    """The certificate's PDF printing `verify_url`: the kept one (from
    `learner_certificate_with_document`) if it printed that URL, else a new one, which is kept instead.

    Commits the session, and so expires its objects, when it renders.
    """
    if kept is not None and kept.verify_url == verify_url:
        return kept.pdf
    drawn = certificate_pdf(certificate, verify_url)
    # Read before write_transaction expires `certificate`: the row records the status drawn.
    document = {"certificate_id": certificate.id, "status": certificate.status, "verify_url": verify_url,
                "layout": LAYOUT_VERSION, "pdf": drawn}
    with write_transaction(session):
        _store(session, document)
    return drawn


def _store(session: Session, document: dict) -> None:
    """Insert the certificate's document, or replace it if another request stored one meanwhile.

    Whichever write lands last wins, and that is safe: a row only ever holds a PDF together with
    the status and URL it was rendered for, so one rendered before a revocation is not served after it.
    """
    insert = _UPSERT_INSERT[session.get_bind().dialect.name](CertificateDocument).values(**document)
    replaced = ("status", "verify_url", "layout", "pdf", "created_at")
    session.execute(insert.on_conflict_do_update(
        index_elements=[CertificateDocument.certificate_id],
        set_={column: insert.excluded[column] for column in replaced},
    ))
