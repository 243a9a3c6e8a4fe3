"""Certificate and transcript PDFs, drawn with ReportLab's canvas.

Text goes through `credits.typeset`, which picks a font per character (Latin, Greek, Cyrillic,
Arabic, Hebrew, Chinese, Japanese, Korean), embeds it as a subset and sets right-to-left
names in display order, so any name a learner types prints and can be read back as text.
"""
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import segno
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfgen.canvas import Canvas

from course.core.filters import format_amount, long_date

from . import typeset
from .models import Certificate

INK = (0.1, 0.1, 0.12)
MUTED = (0.3, 0.3, 0.33)
WARNING = (0.6, 0.05, 0.05)
STATUS_NOTICE = {
    "revoked": "REVOKED: this certificate is no longer valid.",
    "superseded": "SUPERSEDED: this certificate was replaced by a corrected one.",
}


class _Page:
    """A canvas with a cursor moving down the page, writing centred or left-aligned wrapped text."""

    def __init__(self, canvas: Canvas, width: float, height: float, margin: float):
        self.canvas = canvas
        self.width, self.height, self.margin = width, height, margin
        self.y = height - margin

    @property
    def text_width(self) -> float:
        return self.width - 2 * self.margin

    def text(self, value: str, *, size: float = 11, bold: bool = False, centred: bool = False,
             colour=INK, leading: float | None = None, after: float = 0, width: float | None = None) -> None:
        leading = leading or size * 1.3
        self.canvas.setFillColorRGB(*colour)
        for line in typeset.wrap(value, size, width or self.text_width, bold):
            self.y -= leading
            typeset.draw(self.canvas, self.width / 2 if centred else self.margin, self.y, line, size, bold, centred)
        self.y -= after

    def space(self, points: float) -> None:
        self.y -= points


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """A QR code for `url`, `size` points square with its lower-left corner at (x, y), linked to `url`."""
    matrix = segno.make(url, error="m").matrix
    modules = len(matrix)
    module = size / modules
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * module
        column = 0
        while column < modules:  # one rectangle per run of dark modules
            if row[column]:
                start = column
                while column < modules and row[column]:
                    column += 1
                path.rect(x + start * module, top, (column - start) * module, module)
            else:
                column += 1
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.linkURL(url, (x, y, x + size, y + size), relative=0)


def credit_line(certificate: Certificate) -> str:
    return f"{format_amount(certificate.amount)} {certificate.unit}"


def licence_line(certificate: Certificate) -> str:
    """The licence a state approval's credit was claimed for: "CA RN 12345"."""
    return " ".join(part for part in (certificate.licence_state, certificate.licence_type, certificate.licence_number) if part)


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    """The certificate as a one-page landscape PDF."""
    buffer = io.BytesIO()
    width, height = landscape(letter)
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=1)
    canvas.setTitle(f"Certificate: {certificate.course_title}")
    canvas.setAuthor(certificate.provider_name)
    canvas.setSubject(credit_line(certificate))
    canvas.setStrokeColorRGB(*MUTED)
    canvas.setLineWidth(1.5)
    canvas.rect(24, 24, width - 48, height - 48)

    page = _Page(canvas, width, height, margin=54)
    page.text(certificate.provider_name, size=13, bold=True, centred=True)
    page.text(", ".join(certificate.address_lines), size=9.5, centred=True, colour=MUTED, after=10)
    if certificate.status in STATUS_NOTICE:
        page.text(STATUS_NOTICE[certificate.status], size=12, bold=True, centred=True, colour=WARNING, after=4)
    page.text("Certificate of Completion", size=24, bold=True, centred=True, after=8)
    page.text("This certifies that", size=11, centred=True, colour=MUTED)
    page.text(certificate.learner_name, size=22, bold=True, centred=True, after=4)
    page.text("has completed the continuing education activity", size=11, centred=True, colour=MUTED)
    page.text(certificate.course_title, size=15, bold=True, centred=True, after=6)
    page.text(f"Format: {certificate.course_format}", size=10.5, centred=True)
    page.text(f"Completion date: {long_date(certificate.completion_date)}", size=10.5, centred=True, after=10)
    page.text(f"Credit awarded: {credit_line(certificate)}", size=13, bold=True, centred=True)
    if certificate.pharmacology_hours is not None:
        page.text(
            f"Pharmacology hours: {format_amount(certificate.pharmacology_hours)} (included in the credit above)",
            size=10.5, centred=True,
        )
    page.text(f"Accrediting or approving body: {certificate.approval_body}", size=10, centred=True)
    if certificate.approval_number:
        page.text(f"Provider or approval number: {certificate.approval_number}", size=10, centred=True)
    if certificate.licence_number:
        page.text(f"Licence: {licence_line(certificate)}", size=10, centred=True)
    if certificate.course_level:
        page.text(f"Course level: {certificate.course_level}", size=10, centred=True)
    page.space(8)
    for paragraph in certificate.statement.split("\n\n"):
        page.text(paragraph, size=9, colour=MUTED, leading=11.5, after=3)

    bottom, qr_size = 40, 84
    verify_line = f"Verify at: {verify_url}"
    canvas.setFillColorRGB(*INK)
    typeset.draw(canvas, page.margin, bottom + 40, f"Verification code: {certificate.code}", 9)
    line_end = page.margin + typeset.draw(canvas, page.margin, bottom + 26, verify_line, 9)
    canvas.linkURL(verify_url, (page.margin, bottom + 22, line_end, bottom + 34), relative=0)
    typeset.draw(canvas, page.margin, bottom + 12, f"Issued: {long_date(certificate.issued_at)}", 9)
    _draw_qr(canvas, verify_url, width - page.margin - qr_size, bottom, qr_size)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def transcript_pdf(
    learner_name: str, certificates: Sequence[Certificate], totals: Sequence[tuple[str, Decimal]],
    generated_on: date, verify_url_for,
) -> bytes:
    """The learner's transcript: each certificate, then total credit per unit. `verify_url_for(code)` gives each URL."""
    buffer = io.BytesIO()
    width, height = letter
    canvas = Canvas(buffer, pagesize=letter, pageCompression=1)
    canvas.setTitle(f"Transcript: {learner_name}")
    page = _Page(canvas, width, height, margin=54)

    def new_page_if_below(points: float) -> None:
        if page.y - points < page.margin:
            canvas.showPage()
            page.y = height - page.margin

    page.text("Continuing education transcript", size=18, bold=True)
    page.text(learner_name, size=13, bold=True)
    page.text(f"Generated on {long_date(generated_on)}", size=9.5, colour=MUTED, after=12)
    if not certificates:
        page.text("No certificates yet.", size=11)
    for certificate in certificates:
        new_page_if_below(90)
        page.text(f"{long_date(certificate.completion_date)}: {certificate.course_title}", size=11, bold=True)
        status = "" if certificate.status == "valid" else f" ({certificate.status.upper()}, not counted in the totals)"
        page.text(f"{credit_line(certificate)}{status}", size=10.5)
        number = f", No. {certificate.approval_number}" if certificate.approval_number else ""
        page.text(f"{certificate.approval_body}{number}", size=9.5, colour=MUTED)
        page.text(f"Verification: {verify_url_for(certificate.code)}", size=8.5, colour=MUTED, after=10)
    new_page_if_below(40 + 16 * len(totals))
    page.text("Totals by unit of credit", size=13, bold=True, after=2)
    for unit, amount in totals:
        page.text(f"{unit}: {format_amount(amount)}", size=11)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
