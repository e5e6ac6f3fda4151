"""Text → n-gram features, shared by training and scoring (so both see the same thing).

- Words are runs of letters and digits in the folded text (lower case, å/ä → a,
  ö → o; see `triage.normalize.fold`), so "bröst", "brost" and "BRÖST" are one word.
- Each word gives itself (`w:`), its character 3- to 5-grams inside word boundaries
  (`c:`; robust to typos, inflections and compounds such as "bröstsmärta"), and the
  pair with the next word (`b:`; keeps "inte ont" apart from "ont").
- The age band of the person is one more feature (`a:`), so that "feber" in an
  infant and in an adult can weigh differently.

A text is scored per clause window as well as whole (see `windows`), so a red flag
buried in a long message is not diluted by everything around it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from triage.normalize import fold

WORD = re.compile(r"[^\W_]+")
# Where a clause ends, for windows: sentence punctuation and line breaks.
CLAUSE_END = re.compile(r"[.!?;\n]+")
CHAR_NGRAMS = (3, 4, 5)
# A window is up to this many consecutive clauses.
WINDOW_CLAUSES = 2
# A window's weight sum is divided by sqrt(max(features, NORM_FLOOR)): the L2 norm of
# its binary feature vector, but never less than this many features' worth, so that a
# very short text ("hej", "tack") cannot reach a high score on a handful of features.
NORM_FLOOR = 30
# Longer texts are cut here (chat messages are at most 4,000 characters anyway).
MAX_CHARS = 4_000

_INFANT, _CHILD, _ADULT = 1, 18, 75


def age_feature(age: int) -> str:
    """The age-band feature: infant (< 1), child (< 18), adult (< 75) or elderly."""
    if age < _INFANT:
        band = "infant"
    elif age < _CHILD:
        band = "child"
    elif age < _ADULT:
        band = "adult"
    else:
        band = "elderly"
    return f"a:{band}"


def word_features(word: str) -> list[str]:
    """The features of one folded word on its own (itself and its character n-grams)."""
    padded = f" {word} "
    grams = [f"w:{word}"]
    for n in CHAR_NGRAMS:
        if len(padded) < n:
            break
        grams.extend(f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1))
    return grams


class Token(NamedTuple):
    """One word of the original text: its surface form, folded form and clause number."""

    surface: str
    folded: str
    clause: int


def tokens(text: str) -> list[Token]:
    """The words of `text` in order, each with the clause it stands in."""
    text = text[:MAX_CHARS]
    folded = fold(text)
    out: list[Token] = []
    start = 0
    clause = 0
    for end in [*(m.start() for m in CLAUSE_END.finditer(folded)), len(folded)]:
        words = [(m.start(), m.end()) for m in WORD.finditer(folded, start, end)]
        if words:
            out.extend(Token(text[a:b], folded[a:b], clause) for a, b in words)
            clause += 1
        start = end
    return out


def token_features(toks: list[Token]) -> list[list[str]]:
    """Per token: its word features plus the bigram with the next word of the same clause."""
    out = []
    for i, tok in enumerate(toks):
        feats = word_features(tok.folded)
        if i + 1 < len(toks) and toks[i + 1].clause == tok.clause:
            feats.append(f"b:{tok.folded} {toks[i + 1].folded}")
        out.append(feats)
    return out


def analyze(text: str, age: int) -> list[str]:
    """Every feature of the whole text (with repeats), as training sees it."""
    feats = [age_feature(age)]
    for per_token in token_features(tokens(text)):
        feats.extend(per_token)
    return feats


def windows(toks: list[Token]) -> list[range]:
    """Token ranges to score: the whole text, and every run of up to WINDOW_CLAUSES clauses.

    Only texts of more than WINDOW_CLAUSES clauses get the extra windows.
    """
    if not toks:
        return [range(0)]
    starts: list[int] = []
    last = -1
    for i, tok in enumerate(toks):
        if tok.clause != last:
            starts.append(i)
            last = tok.clause
    whole = range(len(toks))
    if len(starts) <= WINDOW_CLAUSES:
        return [whole]
    ends = [*starts[1:], len(toks)]
    runs = [
        range(starts[i], ends[min(i + WINDOW_CLAUSES, len(starts)) - 1])
        for i in range(len(starts) - WINDOW_CLAUSES + 1)
    ]
    return [whole, *runs]
