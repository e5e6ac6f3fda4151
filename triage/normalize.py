"""Text folding so that rule patterns only need to be written once.

Patients write "brostsmarta" as often as "bröstsmärta", and mix case freely. Rule
patterns are written in folded form: lower case, å/ä → a, ö → o, curly apostrophes
→ '. Folding keeps the length of the text unchanged, so a match in the folded text
maps back to the same slice of the original (used to report the matched words).
"""

from __future__ import annotations

_FOLD = str.maketrans(
    {
        "å": "a",
        "ä": "a",
        "á": "a",
        "à": "a",
        "â": "a",
        "æ": "a",
        "ö": "o",
        "ø": "o",
        "ó": "o",
        "ò": "o",
        "ô": "o",
        "é": "e",
        "è": "e",
        "ê": "e",
        "ë": "e",
        "ü": "u",
        "ú": "u",
        "í": "i",
        "ï": "i",
        "ç": "c",
        "ñ": "n",
        "’": "'",
        "‘": "'",
        "´": "'",
        "`": "'",
        "\u00a0": " ",
        "\t": " ",
    }
)


# The same table as (character, replacement) pairs. One `str.replace` per character
# that occurs is several times faster than `str.translate` on non-ASCII text, and gives
# the same result because no replacement is itself a character of the table.
# (tests/triage/test_fast_path_identity.py checks that.)
_FOLD_PAIRS = tuple((chr(code), str(plain)) for code, plain in _FOLD.items())
# The pairs an ASCII text can hold (most chat replies are ASCII: "ok tack").
_ASCII_PAIRS = tuple((char, plain) for char, plain in _FOLD_PAIRS if char.isascii())


def fold(text: str) -> str:
    """Lower-case and strip diacritics without changing the length of `text`."""
    lowered = text.lower()
    if len(lowered) != len(text):
        # A few characters (e.g. "İ") lower-case to two; keep those as they are so
        # that offsets still line up with the original text.
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    for char, plain in _ASCII_PAIRS if lowered.isascii() else _FOLD_PAIRS:
        if char in lowered:
            lowered = lowered.replace(char, plain)
    return lowered
