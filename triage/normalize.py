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


def fold(text: str) -> str:
    """Lower-case and strip diacritics without changing the length of `text`."""
    lowered = text.lower()
    if len(lowered) != len(text):
        # A few characters (e.g. "İ") lower-case to two; keep those as they are so
        # that offsets still line up with the original text.
        lowered = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text)
    return lowered.translate(_FOLD)
