"""Test images built on the spot: photos with metadata, bombs, polyglots, fakes."""

from __future__ import annotations

import io
import struct
import zlib

import pillow_heif
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112
# A Display P3-like profile stand-in: any valid ICC profile proves it is dropped.
SECRET_COMMENT = b"Petra Patient 19121212-1212"


def jpeg(
    size: tuple[int, int] = (640, 480),
    *,
    gps: bool = False,
    orientation: int | None = None,
    colour: tuple[int, int, int] = (200, 40, 40),
) -> bytes:
    """A JPEG photo, optionally with GPS EXIF, an orientation tag and a comment."""
    im = Image.new("RGB", size, colour)
    # A distinct top-left corner, to see where rotation puts it.
    im.paste((0, 0, 255), (0, 0, size[0] // 4, size[1] // 4))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (59.0, 19.0, 48.0), 3: "E", 4: (18.0, 4.0, 5.0)}
    if orientation is not None:
        exif[ORIENTATION] = orientation
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=exif.tobytes(), comment=SECRET_COMMENT, quality=90)
    return buf.getvalue()


def png(size: tuple[int, int] = (300, 200), *, alpha: bool = False) -> bytes:
    im = Image.new("RGBA" if alpha else "RGB", size, (10, 120, 10, 128) if alpha else (10, 120, 10))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def other(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    """The same small picture in another format (WEBP, GIF, HEIF, ...)."""
    if fmt == "HEIF":
        pillow_heif.register_heif_opener()
    im = Image.new("RGB", size, (30, 30, 200))
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return buf.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A real, valid 1-bit PNG of ``width`` × ``height`` zeros: a few hundred
    kilobytes compressed, ``width * height`` pixels decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    chunks = _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def zip_file() -> bytes:
    """A small ZIP archive (stored), as appended to a JPEG in a polyglot."""
    import zipfile  # noqa: PLC0415 - only this builder needs it

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("payload.txt", "hidden payload " * 20)
    return buf.getvalue()


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
TEXT = b"This is not a photo at all, just text renamed to look like one.\n" * 4


def markers(data: bytes) -> list[int]:
    """The JPEG marker codes before the image data (SOS), in order."""
    assert data[:2] == b"\xff\xd8"
    out: list[int] = []
    i = 2
    while i < len(data):
        assert data[i] == 0xFF
        marker = data[i + 1]
        out.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        i += 2 + length
    return out
