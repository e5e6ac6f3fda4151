"""Reading the multipart body: limits enforced while streaming, malformed bodies refused."""

from __future__ import annotations

import pytest

from chatserver.attachments.upload import (
    FIELD_BYTES,
    MAX_PARTS,
    FormCollector,
    check_declared_length,
)
from chatserver.errors import InvalidInput, TooLarge

BOUNDARY = "test-boundary-7d3"
CT = f"multipart/form-data; boundary={BOUNDARY}"


def part(name: str, data: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    return (
        (
            f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + b"\r\n"
    )


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def collect(data: bytes, limit: int = 1000, chunk: int = 7) -> FormCollector:
    c = FormCollector(CT, limit)
    for i in range(0, len(data), chunk):
        c.feed(data[i : i + chunk])
    return c


def test_fields_and_file_collected() -> None:
    """client_id, caption and the file come out whole, whatever the chunking."""
    data = body(
        part("client_id", b"c-1"),
        part("caption", "Utslag på armen".encode()),
        part("file", b"\xff\xd8\xffdata", "IMG_0001.jpg"),
    )
    upload = collect(data).finish()
    assert upload.fields == {"client_id": "c-1", "caption": "Utslag på armen"}
    assert upload.file == b"\xff\xd8\xffdata"


def test_file_over_limit_stops_at_once() -> None:
    """The file part passing the limit raises during feed, not at the end."""
    c = FormCollector(CT, 100)
    c.feed(part("client_id", b"c-1") + part("file", b"x" * 50, "a.jpg")[:-2])
    with pytest.raises(TooLarge) as err:
        c.feed(b"x" * 51)
    assert err.value.code == "too_large"
    assert err.value.status == 413


def test_body_over_limit_without_a_file_stops() -> None:
    """A body over the file limit plus the form's overhead is cut off before parsing."""
    c = FormCollector(CT, 1024)
    c.feed(part("client_id", b"c-1"))
    with pytest.raises(TooLarge) as err:
        c.feed(b"y" * c.max_body_bytes)
    assert err.value.code == "too_large"


def test_too_many_parts_refused() -> None:
    """More than MAX_PARTS parts is invalid_body."""
    data = body(*(part(f"f{i}", b"1") for i in range(MAX_PARTS + 1)))
    with pytest.raises(InvalidInput) as err:
        collect(data, chunk=len(data))
    assert err.value.code == "invalid_body"


def test_long_text_field_refused() -> None:
    """A text field over FIELD_BYTES is invalid_field naming the field."""
    with pytest.raises(InvalidInput) as err:
        collect(body(part("caption", b"a" * (FIELD_BYTES + 1))), chunk=4096)
    assert (err.value.code, err.value.fields) == ("invalid_field", {"caption": "too long"})


def test_two_files_refused() -> None:
    """One photo per upload."""
    data = body(part("file", b"1", "a.jpg"), part("file", b"2", "b.jpg"))
    with pytest.raises(InvalidInput) as err:
        collect(data).finish()
    assert err.value.fields == {"file": "one file"}


def test_non_utf8_field_refused() -> None:
    """A text field that is not UTF-8 is invalid_field."""
    with pytest.raises(InvalidInput) as err:
        collect(body(part("client_id", b"\xff\xfe"))).finish()
    assert err.value.fields == {"client_id": "not UTF-8"}


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "multipart/form-data", "text/plain; boundary=x", ""],
)
def test_not_multipart_refused(content_type: str) -> None:
    """Anything but multipart/form-data with a boundary is invalid_body."""
    with pytest.raises(InvalidInput) as err:
        FormCollector(content_type, 100)
    assert err.value.code == "invalid_body"


def test_malformed_multipart_refused() -> None:
    """Garbage after the boundary line is invalid_body."""
    c = FormCollector(CT, 100)
    with pytest.raises(InvalidInput) as err:
        c.feed(f"--{BOUNDARY}\r\nno-colon-header\r\n\r\n".encode())
    assert err.value.code == "invalid_body"


def test_unfinished_multipart_refused() -> None:
    """A body that ends inside a part is invalid_body at the end."""
    c = FormCollector(CT, 100)
    c.feed(part("client_id", b"c-1")[:-10])
    with pytest.raises(InvalidInput) as err:
        c.finish()
    assert err.value.code == "invalid_body"


@pytest.mark.parametrize(("declared", "code"), [("99999999", "too_large"), ("12a", "invalid_body")])
def test_declared_length(declared: str, code: str) -> None:
    """A Content-Length over the limit is refused before any byte is read; a bad one is invalid."""
    with pytest.raises(InvalidInput) as err:
        check_declared_length(declared, FormCollector(CT, 1000))
    assert err.value.code == code


def test_declared_length_within_limit_passes() -> None:
    """A Content-Length within the limit (or none) is accepted."""
    c = FormCollector(CT, 1000)
    check_declared_length("500", c)
    check_declared_length(None, c)


def test_parser_does_not_log_body_bytes(caplog: pytest.LogCaptureFixture) -> None:
    """A malformed body's bytes (maybe a file name or caption) never reach the logs."""
    caplog.set_level("DEBUG")
    c = FormCollector(CT, 100)
    with pytest.raises(InvalidInput):
        c.feed(f"--{BOUNDARY}\r\nPetra-Patient.jpg\r\n\r\n".encode())
    with pytest.raises(InvalidInput):
        FormCollector(CT, 100).feed(b"--XQ-secret-caption")
    # The parser would report the byte it choked on (88 for "X"): nothing at all.
    assert [r for r in caplog.records if r.name.startswith("python_multipart")] == []
    assert "Petra" not in caplog.text
    assert "secret" not in caplog.text
