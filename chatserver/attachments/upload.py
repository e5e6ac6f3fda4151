"""The ``multipart/form-data`` body of a photo upload, read as a stream.

:class:`FormCollector` is the sans-I/O part: it is fed the body chunk by
chunk (``python_multipart``'s parser, the one Starlette uses) and raises as
soon as a limit is passed, so a body far over the limit is never read whole.
Starlette's own ``request.form()`` is not used because its ``max_part_size``
bounds only the non-file fields: a file part is spooled to a temporary file of
any size. :func:`read_upload` is the thin I/O shell over ``request.stream()``.

Fields: ``client_id`` (1..64 characters), ``file`` (the photo) and, optionally,
``caption`` (text shown with the photo). Other fields are ignored, within
the same small budget. The file name and declared type are never used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from chatserver.errors import InvalidInput, TooLarge
from chatserver.http.params import MAX_INT_CHARS

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "FIELD_BYTES",
    "MAX_PARTS",
    "FormCollector",
    "Upload",
    "check_declared_length",
    "read_upload",
]

# A text field: a caption is at most 4,000 characters (PROTOCOL.md's message
# body), up to 4 bytes each in UTF-8.
FIELD_BYTES: Final = 16 * 1024
# client_id, caption and file, and a little room for fields a client adds.
MAX_PARTS: Final = 8
# Part headers and boundaries around the file and the fields.
OVERHEAD_BYTES: Final = MAX_PARTS * (FIELD_BYTES + 1024)

# The parser's warnings quote the bytes it choked on ("Expected boundary
# character ..., got 'x'", "Found invalid character ... in header"): bytes of a
# photo, a file name or a caption. Every such case is answered with 422
# invalid_body anyway, so none of it goes to the logs.
logging.getLogger("python_multipart").setLevel(logging.CRITICAL)


@dataclass(slots=True)
class Upload:
    """The fields of one upload; ``file`` is None when no file part was sent."""

    fields: dict[str, str]
    file: bytes | None


@dataclass(slots=True)
class _Part:
    name: str = ""
    is_file: bool = False
    data: bytearray = field(default_factory=bytearray)


def _too_large(limit: int) -> TooLarge:
    return TooLarge("too_large", f"the photo is larger than {limit} bytes")


class FormCollector:
    """Feed a multipart body with :meth:`feed`; :meth:`finish` gives the upload.

    Raises :class:`~chatserver.errors.TooLarge` (``too_large``) the moment the
    file part passes ``max_file_bytes`` or the body its overhead on top, and
    :class:`~chatserver.errors.InvalidInput` (``invalid_body``) for a body
    that is not well-formed multipart."""

    def __init__(self, content_type: str, max_file_bytes: int) -> None:
        kind, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise InvalidInput("invalid_body", "send the photo as multipart/form-data")
        self.max_file_bytes = max_file_bytes
        self.max_body_bytes = max_file_bytes + OVERHEAD_BYTES
        self.received = 0
        self._parts: list[_Part] = []
        self._part = _Part()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._ended = False
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    # -- parser callbacks ------------------------------------------------------------
    def _on_part_begin(self) -> None:
        if len(self._parts) >= MAX_PARTS:
            raise InvalidInput("invalid_body", f"more than {MAX_PARTS} form fields")
        self._part = _Part()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        if self._header_field.lower() == b"content-disposition":
            _, params = parse_options_header(bytes(self._header_value))
            self._part.name = params.get(b"name", b"").decode("utf-8", "replace")
            self._part.is_file = b"filename" in params or self._part.name == "file"
        self._header_field.clear()
        self._header_value.clear()

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        part.data += data[start:end]
        if part.is_file:
            if len(part.data) > self.max_file_bytes:
                raise _too_large(self.max_file_bytes)
        elif len(part.data) > FIELD_BYTES:
            raise InvalidInput(
                "invalid_field", "a form field is too long", fields={part.name[:64]: "too long"}
            )

    def _on_part_end(self) -> None:
        self._parts.append(self._part)

    def _on_end(self) -> None:
        self._ended = True

    # -- the interface -------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        self.received += len(chunk)
        if self.received > self.max_body_bytes:
            raise _too_large(self.max_file_bytes)
        try:
            self._parser.write(chunk)
        except FormParserError:
            raise InvalidInput("invalid_body", "the multipart body is malformed") from None

    def finish(self) -> Upload:
        try:
            self._parser.finalize()
        except FormParserError:
            raise InvalidInput("invalid_body", "the multipart body is malformed") from None
        if not self._ended:  # no closing boundary: the body was cut short
            raise InvalidInput("invalid_body", "the multipart body is incomplete")
        fields: dict[str, str] = {}
        file: bytes | None = None
        for part in self._parts:
            if part.name == "file":
                if file is not None:
                    raise InvalidInput(
                        "invalid_field", "send one photo per upload", fields={"file": "one file"}
                    )
                file = bytes(part.data)
            elif not part.is_file and part.name not in fields:
                try:
                    fields[part.name] = part.data.decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidInput(
                        "invalid_field",
                        "a form field is not UTF-8 text",
                        fields={part.name[:64]: "not UTF-8"},
                    ) from None
        return Upload(fields, file)


def check_declared_length(declared: str | None, collector: FormCollector) -> None:
    """Refuse at once a body whose Content-Length is already over the limit."""
    if declared is None:
        return
    if not declared.isascii() or not declared.isdigit():
        raise InvalidInput("invalid_body", "bad Content-Length")
    if len(declared) > MAX_INT_CHARS or int(declared) > collector.max_body_bytes:
        raise _too_large(collector.max_file_bytes)


async def read_upload(request: Request, max_file_bytes: int) -> Upload:
    """The upload in ``request``'s body, read no further than the limits allow."""
    collector = FormCollector(request.headers.get("content-type", ""), max_file_bytes)
    check_declared_length(request.headers.get("content-length"), collector)
    async for chunk in request.stream():
        collector.feed(chunk)
    return collector.finish()
