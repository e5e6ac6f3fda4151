"""The pure core of photo handling: sniffing by content and the hardened re-encode."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image, ImageCms

from chatserver.attachments.image import MAX_SIDE, THUMB_SIDE, InvalidImage, reencode
from chatserver.attachments.sniff import sniff
from tests.attachments import images

GPS_IFD = images.GPS_IFD


def _open(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (images.jpeg(), "image/jpeg"),
        (images.png(), "image/png"),
        (images.other("WEBP"), "image/webp"),
        (images.other("HEIF"), "image/heic"),
        (images.other("GIF"), None),
        (images.SVG, None),
        (images.TEXT, None),
        (b"", None),
        (b"RIFF\x00\x00\x00\x00AVI ", None),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif0", None),
    ],
    ids=["jpeg", "png", "webp", "heic", "gif", "svg", "text", "empty", "avi", "avif"],
)
def test_sniff_by_content(data: bytes, kind: str | None) -> None:
    """Only JPEG, PNG, WebP and HEIC signatures are recognised; GIF, SVG, text, AVIF are not."""
    assert sniff(data[:64]) == kind


def test_heif_brand_found_among_compatible_brands() -> None:
    """A HEIF file whose major brand is unknown but lists 'heic' as compatible is HEIC."""
    head = b"\x00\x00\x00\x18ftypXXXX\x00\x00\x00\x00heic"
    assert sniff(head) == "image/heic"


def test_gps_exif_and_comment_removed() -> None:
    """A JPEG with GPS EXIF and a comment comes back with no EXIF, APP1 or COM marker."""
    original = images.jpeg(gps=True)
    assert GPS_IFD in _open(original).getexif()
    photo = reencode(original, "image/jpeg")
    out = _open(photo.data)
    assert dict(out.getexif()) == {}
    assert 0xE1 not in images.markers(photo.data)  # APP1 (EXIF, XMP)
    assert 0xFE not in images.markers(photo.data)  # COM
    assert images.SECRET_COMMENT not in photo.data
    assert b"PhoneMaker" not in photo.data
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 640, 480)
    assert len(photo.sha256) == 64


def test_zip_appended_to_jpeg_is_dropped() -> None:
    """A JPEG+ZIP polyglot comes out as a plain JPEG ending at its EOI marker."""
    polyglot = images.jpeg() + images.zip_file()
    photo = reencode(polyglot, "image/jpeg")
    assert photo.data.endswith(b"\xff\xd9")
    assert b"PK\x03\x04" not in photo.data
    assert b"payload.txt" not in photo.data


def test_orientation_applied_then_dropped() -> None:
    """EXIF orientation 6 (rotate 90° clockwise) turns the pixels upright; no tag remains."""
    photo = reencode(images.jpeg((400, 200), orientation=6), "image/jpeg")
    assert (photo.width, photo.height) == (200, 400)
    out = _open(photo.data)
    assert dict(out.getexif()) == {}
    # The blue top-left corner of the sideways original is now top-right.
    r, _, b = out.convert("RGB").getpixel((190, 10))  # type: ignore[misc]
    assert b > 200
    assert r < 60


def test_icc_profile_dropped_and_converted() -> None:
    """A photo with an ICC profile is converted to sRGB and written without the profile."""
    im = Image.new("RGB", (50, 50), (120, 130, 140))
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buf = io.BytesIO()
    im.save(buf, format="PNG", icc_profile=icc)
    photo = reencode(buf.getvalue(), "image/png")
    out = _open(photo.data)
    assert "icc_profile" not in out.info
    assert 0xE2 not in images.markers(photo.data)  # APP2 (ICC)


def test_unusable_icc_profile_ignored() -> None:
    """A broken ICC profile does not refuse the photo: the pixels stay, the profile goes."""
    im = Image.new("RGB", (40, 30), (120, 130, 140))
    buf = io.BytesIO()
    im.save(buf, format="JPEG", icc_profile=b"not really an ICC profile" * 8)
    photo = reencode(buf.getvalue(), "image/jpeg")
    out = _open(photo.data)
    assert "icc_profile" not in out.info
    assert out.size == (40, 30)


def test_truncated_jpeg_refused() -> None:
    """Half a JPEG is refused as damaged."""
    data = images.jpeg()
    with pytest.raises(InvalidImage, match="damaged or incomplete"):
        reencode(data[: len(data) // 2], "image/jpeg")


def test_png_bomb_refused_from_its_header() -> None:
    """A valid 20,000 × 20,000 PNG is refused at once, before any pixel is decoded."""
    bomb = images.png_bomb()
    assert len(bomb) < 100_000
    started = time.perf_counter()
    with pytest.raises(InvalidImage, match="too many pixels"):
        reencode(bomb, "image/png")
    # Decoding 400 megapixels takes seconds; reading a header, microseconds.
    assert time.perf_counter() - started < 0.5


def test_over_our_pixel_cap_but_under_pillows_refused() -> None:
    """7,000 × 7,000 (49 MP) is under Pillow's own bomb limit and still refused."""
    with pytest.raises(InvalidImage, match="too many pixels"):
        reencode(images.png_bomb(7000, 7000), "image/png")


def test_content_not_matching_its_sniffed_kind_refused() -> None:
    """A file that only starts like a JPEG is not a readable JPEG."""
    with pytest.raises(InvalidImage, match="not a readable image"):
        reencode(b"\xff\xd8\xff" + b"\x00" * 100, "image/jpeg")


def test_alpha_kept_as_png() -> None:
    """A photo with transparency is written as PNG, keeping its alpha channel."""
    photo = reencode(images.png(alpha=True), "image/png")
    assert photo.content_type == photo.thumb_type == "image/png"
    assert _open(photo.data).mode == "RGBA"


def test_thumbnail_and_long_side() -> None:
    """The thumbnail is at most 320 px on the long side and keeps the aspect ratio."""
    photo = reencode(images.jpeg((1000, 500)), "image/jpeg")
    thumb = _open(photo.thumb)
    assert thumb.size == (THUMB_SIDE, THUMB_SIDE // 2)
    assert photo.thumb_type == "image/jpeg"


def test_big_photo_scaled_to_max_side() -> None:
    """A photo over MAX_SIDE on its long side is scaled down, aspect kept."""
    photo = reencode(images.png((MAX_SIDE * 2, 100)), "image/png")
    assert (photo.width, photo.height) == (MAX_SIDE, 50)


@pytest.mark.parametrize(("fmt", "kind"), [("HEIF", "image/heic"), ("WEBP", "image/webp")])
def test_heic_and_webp_become_jpeg(fmt: str, kind: str) -> None:
    """HEIC and WebP photos are decoded and written as JPEG of the same size."""
    photo = reencode(images.other(fmt, (64, 48)), kind)  # type: ignore[arg-type]
    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 64, 48)
    assert _open(photo.data).format == "JPEG"
