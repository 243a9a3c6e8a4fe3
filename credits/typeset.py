"""Text in any script the names learners type, for the PDFs: a font chosen per character, bidi order.

Each character is set in the first font of `FACES` that has a glyph for it: DejaVu Sans (Latin,
Greek, Cyrillic, Arabic, Hebrew and more), then Droid Sans Fallback (Chinese and Japanese), then
NanumGothic (Korean). All three are TrueType files in credits/fonts/ (licences in its LICENSE)
and are embedded as subsets. A line holding right-to-left letters is reshaped (Arabic joining
forms) and put in display order (the Unicode bidirectional algorithm) before it is drawn, so a
reader sees it as written and a text extractor reads the letters back. The fonts are parsed
once per process, each only when a character needs it (a Latin name never loads the CJK fonts).
"""
from functools import cache
from pathlib import Path

import arabic_reshaper
from bidi import get_display
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path(__file__).parent / "fonts"
FACES = (  # (regular, bold) font names and their files, in order of preference
    (("DejaVuSans", "DejaVuSans.ttf"), ("DejaVuSans-Bold", "DejaVuSans-Bold.ttf")),
    (("DroidSansFallback", "DroidSansFallbackFull.ttf"), None),
    (("NanumGothic", "NanumGothic.ttf"), None),
)
RIGHT_TO_LEFT = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF))


@cache
def _face(index: int) -> tuple[TTFont, TTFont]:
    """(regular, bold) of FACES[index], registered with ReportLab; a face without a bold uses its regular."""
    regular, bold = FACES[index]
    pair = []
    for name, filename in (regular, bold or regular):
        try:
            font = pdfmetrics.getFont(name)
        except KeyError:
            font = TTFont(name, str(FONT_DIR / filename))
            pdfmetrics.registerFont(font)
        pair.append(font)
    return pair[0], pair[1]


def _font_for(character: str, bold: bool) -> str:
    code = ord(character)
    for index in range(len(FACES)):
        pair = _face(index)
        if code in pair[0].face.charWidths:
            return pair[1 if bold else 0].fontName
    return _face(0)[1 if bold else 0].fontName


def runs(text: str, bold: bool = False) -> list[tuple[str, str]]:
    """`text` cut into (font name, text) runs, each character in the first font that has it.

    Spaces and other characters every font has stay in the run they follow.
    """
    result: list[tuple[str, str]] = []
    for character in text:
        font = _font_for(character, bold)
        if result and (font == result[-1][0] or character.isspace()):
            result[-1] = (result[-1][0], result[-1][1] + character)
        else:
            result.append((font, character))
    return result


def _is_right_to_left(text: str) -> bool:
    return any(low <= ord(c) <= high for c in text for low, high in RIGHT_TO_LEFT)


def display_order(line: str) -> str:
    """A line as it is drawn left to right: Arabic letters in their joining forms, bidi reordered."""
    if not _is_right_to_left(line):
        return line
    return get_display(arabic_reshaper.reshape(line))


def string_width(text: str, size: float, bold: bool = False) -> float:
    return sum(pdfmetrics.stringWidth(part, font, size) for font, part in runs(text, bold))


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """`text` broken at spaces into lines no wider than `width` (a longer word keeps a line to itself)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and string_width(candidate, size, bold) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def draw(canvas: Canvas, x: float, y: float, line: str, size: float, bold: bool = False, centred: bool = False) -> float:
    """Draw one line (logical order) starting at `x`, or centred on `x`; returns its width."""
    shown = display_order(line)
    width = string_width(shown, size, bold)
    text = canvas.beginText(x - width / 2 if centred else x, y)
    for font, part in runs(shown, bold):
        text.setFont(font, size)
        text.textOut(part)
    canvas.drawText(text)
    return width
