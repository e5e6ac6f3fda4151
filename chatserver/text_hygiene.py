"""Text hygiene: the one check of every text a person types into the service.

Names (the patient's at intake, staff display names), bodies (intake text,
chat messages, internal notes, transfer notes, triage override reasons),
canned replies, survey comments and banners go through :func:`clean` before
they are stored (docs/security.md "Text hygiene"):

- **Control characters are refused**: NUL and the other C0 controls
  (U+0000–U+001F), DEL and the C1 controls (U+007F–U+009F), and lone
  surrogates. Multi-line text keeps ``\\n`` and ``\\t``; a carriage return
  (``\\r\\n`` or a lone ``\\r``) becomes ``\\n`` instead of being refused, since
  some clients send Windows line ends. NUL cannot be stored by PostgreSQL at
  all; the others hide text or corrupt logs, CSV files and terminals.
- **Bidirectional overrides and isolates are removed** (U+202A–U+202E,
  U+2066–U+2069): they reorder how the rest of a line is shown ("Trojan
  Source"), so a name or message could show something other than what it
  holds. They are dropped rather than refused: right-to-left text needs none
  of them, and a pasted text may carry them by accident.
- **At least one visible character**: text made only of spaces, line breaks,
  zero-width or other format characters (U+200B, U+2060, U+FEFF, ...),
  combining marks, or blank-looking letters (Hangul fillers, the blank
  Braille pattern) is refused, so no one can take a name that shows as
  nothing or send an empty-looking message.

:func:`clean` raises :class:`UnsafeText` (a ``ValueError``) with a short
reason; :func:`checked` turns it into 422 ``invalid_field`` naming the field.
The pydantic validators :data:`SAFE_NAME` and :data:`SAFE_BODY` mark a failure with
the error type :data:`UNSAFE_TEXT`, which the WebSocket parser answers with
``invalid_message`` and the HTTP parsers with ``invalid_field``.
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from chatserver.errors import InvalidInput

__all__ = [
    "BIDI_CONTROLS",
    "SAFE_BODY",
    "SAFE_NAME",
    "SAFE_OPTIONAL_BODY",
    "UNSAFE_TEXT",
    "UnsafeText",
    "checked",
    "clean",
]

# Embeddings, overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_STRIP_BIDI = str.maketrans(dict.fromkeys(BIDI_CONTROLS))
# C0 controls, DEL, C1 controls and lone surrogates; multi-line text keeps \t and \n.
_LINE_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BODY_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Categories that show nothing by themselves: separators, controls, format
# characters (zero-width space and joiners, word joiner, BOM), surrogates,
# private use, unassigned, and combining marks with nothing to combine with.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me"})
# Letters and symbols that render as blank space.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# The pydantic error type of a failed check (the socket answers invalid_message).
UNSAFE_TEXT = "unsafe_text"

CONTROL_REASON = "contains a control character"
INVISIBLE_REASON = "has no visible character"


class UnsafeText(ValueError):
    """The text holds a control character, or nothing visible."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _visible(ch: str) -> bool:
    return ch not in _BLANK_LOOKING and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES


def clean(value: str, *, multiline: bool) -> str:
    """``value`` without bidi controls (and with ``\\r`` line ends as ``\\n`` when
    ``multiline``); raises :class:`UnsafeText` on a control character or when
    nothing visible is left."""
    text = value.translate(_STRIP_BIDI) if not BIDI_CONTROLS.isdisjoint(value) else value
    if multiline and "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if (_BODY_CONTROL if multiline else _LINE_CONTROL).search(text) is not None:
        raise UnsafeText(CONTROL_REASON)
    if not any(_visible(ch) for ch in text):
        raise UnsafeText(INVISIBLE_REASON)
    return text


def checked(value: str, field: str, *, multiline: bool) -> str:
    """:func:`clean`, or 422 ``invalid_field`` with ``fields`` naming ``field``."""
    try:
        return clean(value, multiline=multiline)
    except UnsafeText as exc:
        raise InvalidInput(
            "invalid_field", f"{field} {exc.reason}", fields={field: exc.reason}
        ) from None


def _pydantic(multiline: bool, *, optional: bool = False) -> AfterValidator:
    def validate(value: str) -> str:
        if optional and value == "":
            return value
        try:
            return clean(value, multiline=multiline)
        except UnsafeText as exc:
            raise PydanticCustomError(UNSAFE_TEXT, exc.reason) from None

    return AfterValidator(validate)


# For pydantic models, after the type and length checks (one line, or free
# text): ``Annotated[str, Field(min_length=1, max_length=N), SAFE_BODY]``.
SAFE_NAME = _pydantic(multiline=False)
SAFE_BODY = _pydantic(multiline=True)
# An optional text where "" means none (the transfer note).
SAFE_OPTIONAL_BODY = _pydantic(multiline=True, optional=True)
