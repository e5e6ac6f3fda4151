"""A cheap literal prefilter that skips concept regexes which cannot match a text.

Running ~150 alternation regexes over every message costs milliseconds; most of them
cannot match because no word in the text starts the way any of their phrasings
starts. For each phrasing we derive the set of literal prefixes (up to PREFIX_LEN
characters) a match must begin with, e.g. `(ont|smart\\w*) i brost` → {"ont", "sma"}.
A text is indexed by the prefixes at its word starts, and a concept's regex is only
tried, anchored, at the word starts whose prefix is one of its own. A phrasing whose
start is not a plain literal (`\\w*brost...`) yields the empty prefix, which means
"scan the whole text", so the filter never drops a real match.
"""

from __future__ import annotations

import re

PREFIX_LEN = 3
_WORD_START = re.compile(r"\b\w")
_LITERAL = re.compile(r"[a-z0-9 '\-]")
_QUANTIFIERS = "*?{+"


def _matching_paren(pattern: str, start: int) -> int:
    depth = 0
    i = start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _split_alternatives(body: str) -> list[str]:
    parts, depth, current, i = [], 0, [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            current.append(body[i : i + 2])
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _prefixes(pattern: str, need: int) -> set[str]:
    if need == 0 or not pattern:
        return {""}
    if pattern.startswith(r"\b"):
        return _prefixes(pattern[2:], need)
    head = pattern[0]
    following = pattern[1:2]
    if _LITERAL.fullmatch(head):
        if following and following in "*?{":
            return {""}
        if following == "+":
            return {head}
        return {head + rest for rest in _prefixes(pattern[1:], need - 1)}
    if head == "(":
        close = _matching_paren(pattern, 0)
        inner = pattern[1:close]
        after = pattern[close + 1 :]
        if close < 0 or (inner.startswith("?") and not inner.startswith("?:")):
            return {""}
        if after[:1] and after[0] in _QUANTIFIERS:
            return {""}
        inner = inner.removeprefix("?:")
        found: set[str] = set()
        for alternative in _split_alternatives(inner):
            found |= _prefixes(alternative + after, need)
        return found
    # Anything else (\w, \d, a character class, '.') ends the known literal prefix.
    return {""}


def literal_prefixes(patterns: list[str]) -> frozenset[str]:
    """Every literal prefix a match of any of `patterns` (already expanded) starts with."""
    found: set[str] = set()
    for pattern in patterns:
        found |= _prefixes(pattern, PREFIX_LEN)
    return frozenset(found)


def word_start_index(folded: str) -> dict[str, list[int]]:
    """Map each prefix (lengths 1..PREFIX_LEN) found at a word start to those positions."""
    index: dict[str, list[int]] = {}
    for match in _WORD_START.finditer(folded):
        start = match.start()
        for length in range(1, PREFIX_LEN + 1):
            index.setdefault(folded[start : start + length], []).append(start)
    return index
