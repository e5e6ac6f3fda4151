"""Decode, check and re-encode one photo: pure CPU work, no I/O.

Hardening (docs/security.md "Photo attachments"):

- the decoder is chosen by the sniffed content (:mod:`.sniff`), never by the
  name or the declared type, and Pillow may use that one plugin only;
- the size is read from the header and refused before any pixel is decoded
  when it is over :data:`MAX_PIXELS` (a 20,000 × 20,000 PNG of zeros is a few
  kilobytes on the wire and 1.2 GB decoded); Pillow's own bomb check is
  turned into an error as well;
- a truncated or corrupt file is refused (``LOAD_TRUNCATED_IMAGES`` stays off);
- the pixels are turned upright (EXIF orientation), converted to sRGB when
  the file carries a colour profile, and written into a *fresh* file: no EXIF,
  GPS, XMP, ICC, comments or trailing bytes (a ZIP appended to a JPEG) survive.

The output is JPEG, or PNG for a photo with transparency; at most
:data:`MAX_SIDE` pixels on the long side, and a thumbnail of at most
:data:`THUMB_SIDE`.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Final, Literal

import pillow_heif
from PIL import Image, ImageCms, ImageOps

from .sniff import Kind

__all__ = [
    "MAX_PIXELS",
    "MAX_SIDE",
    "THUMB_SIDE",
    "InvalidImage",
    "Photo",
    "reencode",
]

# 40 megapixels: above every phone camera's default (12–24 MP; 48 MP modes
# are opt-in RAW), and 160 MB of RGBA at most per decode.
MAX_PIXELS: Final = 40_000_000
# The stored photo's long side: more detail than any screen shows a chat photo
# with, and a bounded size in the database (~1–3 MB as JPEG).
MAX_SIDE: Final = 4096
# The thumbnail's long side (PROTOCOL.md: at most 320 px).
THUMB_SIDE: Final = 320
JPEG_QUALITY: Final = 85
THUMB_QUALITY: Final = 80

OutType = Literal["image/jpeg", "image/png"]

_PLUGIN: Final[dict[Kind, str]] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
}
_SRGB = ImageCms.createProfile("sRGB")

pillow_heif.register_heif_opener()
# A header Pillow itself finds too large is an error, never a warning that
# lets the decode go on (our own, lower, limit is checked first anyway).
warnings.simplefilter("error", Image.DecompressionBombWarning)


class InvalidImage(ValueError):
    """The file is not a usable image of its kind (message says why; no content)."""


@dataclass(frozen=True, slots=True)
class Photo:
    """A re-encoded photo and its thumbnail."""

    data: bytes
    content_type: OutType
    width: int
    height: int
    sha256: str
    thumb: bytes
    thumb_type: OutType


def _open(data: bytes, kind: Kind) -> Image.Image:
    """The image with only its header read, or InvalidImage."""
    try:
        im = Image.open(io.BytesIO(data), formats=[_PLUGIN[kind]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidImage("the image has too many pixels") from None
    except Exception as exc:  # Pillow raises many kinds for a bad header
        if isinstance(exc, MemoryError):
            raise
        raise InvalidImage("the file is not a readable image") from None
    width, height = im.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        im.close()
        raise InvalidImage("the image has too many pixels")
    return im


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info


def _to_srgb(im: Image.Image, mode: str) -> Image.Image:
    """``im`` in ``mode`` (RGB or RGBA), its colours moved to sRGB when it
    carries an ICC profile (iPhones shoot Display P3); the profile is dropped
    either way."""
    icc = im.info.get("icc_profile")
    if isinstance(icc, bytes) and icc and im.mode in ("RGB", "RGBA"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(im, source, _SRGB, outputMode=im.mode)
        except (ImageCms.PyCMSError, OSError, ValueError):
            converted = None  # an unusable profile: keep the pixels as they are
        if converted is not None:
            im = converted
    return im.convert(mode)


def _encode(im: Image.Image, out: OutType, quality: int) -> bytes:
    buf = io.BytesIO()
    if out == "image/jpeg":
        im.save(buf, format="JPEG", quality=quality)
    else:
        im.save(buf, format="PNG")
    return buf.getvalue()


def _clean(im: Image.Image) -> Image.Image:
    """The same pixels with no metadata at all (info, EXIF, ICC, text chunks)."""
    fresh = Image.new(im.mode, im.size)
    fresh.paste(im)
    return fresh


def reencode(data: bytes, kind: Kind) -> Photo:
    """The photo ``data`` (sniffed as ``kind``) re-encoded; InvalidImage if it
    cannot be. CPU-bound: run it on a worker thread."""
    with _open(data, kind) as im:
        try:
            im.load()
            upright = ImageOps.exif_transpose(im)
            alpha = _has_alpha(upright)
            rgb = _to_srgb(upright, "RGBA" if alpha else "RGB")
        except Exception as exc:  # truncated data, a corrupt stream, a bad EXIF block
            if isinstance(exc, MemoryError):
                raise
            raise InvalidImage("the image data is damaged or incomplete") from None
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    photo = _clean(rgb)
    out: OutType = "image/png" if alpha else "image/jpeg"
    encoded = _encode(photo, out, JPEG_QUALITY)
    thumb = photo.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return Photo(
        data=encoded,
        content_type=out,
        width=photo.width,
        height=photo.height,
        sha256=hashlib.sha256(encoded).hexdigest(),
        thumb=_encode(thumb, out, THUMB_QUALITY),
        thumb_type=out,
    )
