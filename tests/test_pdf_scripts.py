"""Certificate and transcript PDFs print names in any script: each character in a font that has it."""
import io
import unicodedata

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.ttfonts import TTFont

from credits.typeset import FACES, FONT_DIR
from tests.factories import make_certificate, make_user, sign_in

# Each name, and whether it is written right to left. pypdf reads right-to-left text back in
# logical order only when the page draws it in display order, so reading the name back checks
# the order too.
NAMES = [
    ("Zoë Ñúñez 李", False),  # Latin with marks, and a Chinese character after it
    ("Ελένη Παπαδοπούλου", False),  # Greek
    ("Анна Кузнецова", False),  # Cyrillic
    ("王小明", False),  # Chinese
    ("山田 はなこ", False),  # Japanese kanji and hiragana
    ("김민준", False),  # Korean
    ("فاطمة حسن", True),  # Arabic
    ("נועה כהן", True),  # Hebrew
]


def _font_files() -> dict[str, TTFont]:
    """Base font name -> the vendored font, parsed independently of the app's registry."""
    fonts = {}
    for regular, bold in FACES:
        for name, filename in filter(None, (regular, bold)):
            fonts[name] = TTFont(f"check-{name}", str(FONT_DIR / filename))
    return fonts


FONT_FILES = _font_files()


def drawn_runs(data: bytes) -> list[tuple[str, str]]:
    """(text, base font name without its subset tag) for every piece of text the PDF shows."""
    pieces = []

    def visit(text, cm, tm, font, size):
        if text and font is not None:
            pieces.append((text, str(font["/BaseFont"]).lstrip("/").split("+")[-1]))

    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=visit)
    return pieces


def read_back(data: bytes) -> str:
    """The PDF's text, compatibility-normalised (Arabic joining forms become letters again)."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return unicodedata.normalize("NFKC", text)


def assert_every_character_has_a_glyph(data: bytes, name: str) -> None:
    for text, font_name in drawn_runs(data):
        font = FONT_FILES[font_name]
        for character in text:
            if character in name and not character.isspace():
                assert ord(character) in font.face.charWidths, (character, font_name)


@pytest.mark.parametrize("name,right_to_left", NAMES)
def test_certificate_pdf_prints_and_reads_back_the_name(client, name, right_to_left):
    """Each character drawn in a font that has its glyph, and the name read back as typed."""
    user = make_user(email="learner@example.org", name=name, profession="nurse")
    certificate = make_certificate(user, approval_id="ancc")
    sign_in(client, "learner@example.org")
    data = client.get(f"/certificates/{certificate.id}.pdf").data
    assert name in read_back(data)
    assert_every_character_has_a_glyph(data, name)


def test_transcript_pdf_prints_every_script(client):
    name = "Zoë Ñúñez 李 김민준"
    user = make_user(email="learner@example.org", name=name, profession="nurse")
    make_certificate(user, approval_id="ancc")
    sign_in(client, "learner@example.org")
    data = client.get("/transcript.pdf").data
    assert name in read_back(data)
    assert_every_character_has_a_glyph(data, name)
    fonts_used = {font for _, font in drawn_runs(data)}
    assert {"DejaVuSans", "DroidSansFallback", "NanumGothic"} <= fonts_used
