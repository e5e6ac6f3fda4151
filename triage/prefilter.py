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
# Longer literal starts, checked with one `str.startswith` before a regex is tried at a
# word start (a cheap test that rejects most of the candidates the index finds).
START_LEN = 6
# Where a word starts: the only places a concept match may begin.
WORD_START = re.compile(r"\b\w")
_LITERAL = re.compile(r"[a-z0-9 '\-]")
_QUANTIFIERS = "*?{+"
_PURE_LITERAL = re.compile(r"[a-z0-9 '\-]+")


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


def literal_prefixes(patterns: list[str], length: int = PREFIX_LEN) -> frozenset[str]:
    """Every literal prefix (up to `length` characters) a match of any of `patterns`
    (already expanded) starts with."""
    found: set[str] = set()
    for pattern in patterns:
        found |= _prefixes(pattern, length)
    return frozenset(found)


def _class_end(pattern: str, start: int) -> int:
    # Index just past the character class `[...]` that opens at `start`.
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def required_literals(pattern: str) -> tuple[frozenset[str], ...] | None:
    """Literal pieces that every match of `pattern` (already expanded) must contain.

    Each piece is a set of alternatives, at least one of which occurs in any match:
    `\\w*brostsmart\\w*` → ({"brostsmart"},); `(rash|ring) (?:\\w+ ){0,4}(around|bigger)`
    → ({"rash", "ring"}, {" "}, {"around", "bigger"}). Only unquantified top-level
    literals and groups of pure literal alternatives count, so the answer is always a
    necessary condition. None means "nothing known, always run the regex" (a top-level
    `|`, flags or lookaround, or a pattern this simple reader does not follow).
    """
    needs: list[frozenset[str]] = []
    run = ""
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":  # \b, \w, \d or an escaped character: ends the literal run
            i += 2
        elif ch == "(":
            close = _matching_paren(pattern, i)
            inner = pattern[i + 1 : close]
            if close < 0 or (inner.startswith("?") and not inner.startswith("?:")):
                return None
            alternatives = _split_alternatives(inner.removeprefix("?:"))
            quantified = pattern[close + 1 : close + 2] in tuple(_QUANTIFIERS)
            if not quantified and all(_PURE_LITERAL.fullmatch(a) for a in alternatives):
                needs.append(frozenset(alternatives))
            i = close + 1
        elif ch == "[":
            i = _class_end(pattern, i)
        elif ch in _QUANTIFIERS:
            # The quantified atom is optional or repeated: only what precedes it counts.
            run = run[:-1]
            if ch == "{":
                close = pattern.find("}", i)
                if close < 0:
                    return None
                i = close
            i += 1
        elif ch == "|":
            return None
        elif _LITERAL.fullmatch(ch):
            run += ch
            i += 1
            continue
        else:  # '.', '^', '$' ...
            i += 1
        if run:
            needs.append(frozenset({run}))
        run = ""
    if run:
        needs.append(frozenset({run}))
    return tuple(needs)
