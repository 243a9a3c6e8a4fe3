"""Baking: the credential carried inside a PNG badge image (Open Badges 3.0, "Baking", PNG).

The signed credential JSON goes, uncompressed, in one iTXt chunk keyed `openbadgecredential`,
placed right after IHDR; extracting reads it back. The image itself is the certificate's
verification QR code, so a printed badge still leads to the verify page.
"""
import io
import struct
import zlib

import segno

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadgecredential"


class NotABadge(ValueError):
    """A file that is not a PNG, or a PNG without an Open Badges credential."""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _chunks(png: bytes):
    if not png.startswith(PNG_SIGNATURE):
        raise NotABadge("This file is not a PNG image.")
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(png):
        (length,) = struct.unpack(">I", png[position:position + 4])
        kind = png[position + 4:position + 8]
        data = png[position + 8:position + 8 + length]
        if len(data) != length:
            break
        yield kind, data, position + 12 + length
        position += 12 + length


def bake(png: bytes, credential_json: str) -> bytes:
    """`png` with the credential in an iTXt chunk after IHDR (an earlier credential chunk is replaced)."""
    out = bytearray(PNG_SIGNATURE)
    itxt = _chunk(b"iTXt", KEYWORD + b"\0\0\0" + b"\0" + b"\0" + credential_json.encode("utf-8"))
    for kind, data, _end in _chunks(png):
        if kind == b"iTXt" and data.startswith(KEYWORD + b"\0"):
            continue
        out += _chunk(kind, data)
        if kind == b"IHDR":
            out += itxt
    return bytes(out)


def extract(png: bytes) -> str:
    """The credential text baked into `png`; raises NotABadge if there is none."""
    for kind, data, _end in _chunks(png):
        if kind != b"iTXt":
            continue
        keyword, _, rest = data.partition(b"\0")
        if keyword != KEYWORD or len(rest) < 2:
            continue
        compressed, rest = rest[0], rest[2:]  # compression flag, then method
        _language, _, rest = rest.partition(b"\0")
        _translated, _, text = rest.partition(b"\0")
        return (zlib.decompress(text) if compressed else text).decode("utf-8")
    raise NotABadge("This PNG image carries no Open Badges credential (no iTXt chunk openbadgecredential).")


def badge_png(verify_url: str, credential_json: str) -> bytes:
    """The badge image: the verify URL's QR code with the credential baked in."""
    buffer = io.BytesIO()
    segno.make(verify_url, error="m").save(buffer, kind="png", scale=8, border=4)
    return bake(buffer.getvalue(), credential_json)
