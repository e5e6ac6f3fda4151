"""What an uploaded file is, by its first bytes (never its name or declared type).

Pure. Only the four photo formats phones produce are accepted; everything
else (GIF, SVG, PDF, a text file renamed ``.jpg``, ...) is ``None`` and the
upload is refused with 415 ``unsupported_type``.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["ACCEPTED", "SNIFF_BYTES", "Kind", "sniff"]

Kind = Literal["image/jpeg", "image/png", "image/webp", "image/heic"]
ACCEPTED: tuple[Kind, ...] = ("image/jpeg", "image/png", "image/webp", "image/heic")

# The longest signature read: an ISO BMFF 'ftyp' box with a few compatible brands.
SNIFF_BYTES = 64

_PNG = b"\x89PNG\r\n\x1a\n"
# HEIF still images (ISO/IEC 23008-12): the major or a compatible brand of the
# 'ftyp' box. AVIF ('avif') is not among them: not accepted.
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"})


def _heif(head: bytes) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    size = int.from_bytes(head[0:4], "big")
    end = min(size, len(head)) if size >= 16 else 16
    brands = [head[8:12]] + [head[i : i + 4] for i in range(16, end - 3, 4)]
    return not _HEIF_BRANDS.isdisjoint(brands)


def sniff(head: bytes) -> Kind | None:
    """The accepted type whose signature ``head`` starts with, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(_PNG):
        return "image/png"
    if len(head) >= 12 and head[0:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if _heif(head):
        return "image/heic"
    return None
