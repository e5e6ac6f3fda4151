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

# A word (group 1: a run of letters and digits) or a clause end (sentence punctuation
# and line breaks, for windows). The two never share a character, so one scan finds
# every word and every clause end.
WORD_OR_CLAUSE_END = re.compile(r"([^\W_]+)|[.!?;\n]+")
# Group 1 of WORD_OR_CLAUSE_END alone: the same words.
_WORD = re.compile(r"[^\W_]+")
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
    clause = 0
    for match in WORD_OR_CLAUSE_END.finditer(folded):
        if match.group(1) is None:
            if out and out[-1].clause == clause:
                clause += 1
        else:
            a, b = match.span()
            out.append(Token(text[a:b], folded[a:b], clause))
    return out


def surfaces(text: str) -> list[str]:
    """The words of `tokens(text)` as the patient wrote them (`Token.surface`)."""
    text = text[:MAX_CHARS]
    return [text[a:b] for a, b in map(re.Match.span, _WORD.finditer(fold(text)))]


def clause_words(text: str) -> tuple[list[str], list[int]]:
    """The folded words of `tokens(text)` and the index of each clause's first word.

    The same words as `tokens`, without building a Token per word (scoring needs
    the surface forms only for a head that fires).
    """
    words: list[str] = []
    starts: list[int] = []
    new_clause = True
    for word in WORD_OR_CLAUSE_END.findall(fold(text[:MAX_CHARS])):
        if not word:
            new_clause = True
        else:
            if new_clause:
                starts.append(len(words))
                new_clause = False
            words.append(word)
    return words, starts


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
    starts = [i for i, tok in enumerate(toks) if i == 0 or tok.clause != toks[i - 1].clause]
    return clause_windows(starts, len(toks))


def clause_windows(starts: list[int], count: int) -> list[range]:
    """`windows` of `count` words whose clauses begin at the word indices `starts`."""
    whole = range(count)
    if len(starts) <= WINDOW_CLAUSES:
        return [whole]
    ends = [*starts[1:], count]
    runs = [
        range(starts[i], ends[min(i + WINDOW_CLAUSES, len(starts)) - 1])
        for i in range(len(starts) - WINDOW_CLAUSES + 1)
    ]
    return [whole, *runs]
