"""Where a mention stands in the sentence: negated, in the past, or mildly qualified.

Three questions are asked of every symptom mention, using cue lists from
`ruleset.toml` (`[language.*]`):

- negated: a cue ("inte", "ingen", "utan", "no", "denies", ...) stands at most
  `negation_window` words before it, with no scope boundary in between ("men", "och",
  "but", a comma ...). Phrasings that contain a cue themselves ("kan inte andas",
  "can't breathe") are therefore still positive. A negation right *after* the mention
  that closes its clause ("mungipan hänger inte och ...", "ont i bröstet har jag inte,")
  also negates it; "hänger inte längre" (it has passed) does not.
- historical: its clause holds a history marker ("för tre år sedan", "last year",
  "som vanligt") and no marker that it is still going on ("fortfarande", "still").
- mild: a qualifier ("lite", "a bit") just before it, or an exertion context
  ("när jag springer", "on the stairs") after it in the same clause.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import pairwise

from triage.rules import Language

# How many words before a mention a mild qualifier may stand ("lite andfådd",
# "a bit short of breath").
_MILD_WINDOW = 2


class TextContext:
    """Cue positions of one folded text, computed once per `assess` call (mildness lazily)."""

    def __init__(self, folded: str, language: Language) -> None:
        self._text = folded
        self._language = language
        self._window = language.negation_window
        self._cue_ends: list[int] = []
        cues = list(language.negation_cue.finditer(folded))
        if cues:  # pseudo-negations and scope ends only matter once there is a cue
            pseudo = [m.span() for m in language.pseudo_negation.finditer(folded)]
            for match in cues:
                if not any(start <= match.start() < end for start, end in pseudo):
                    self._cue_ends.append(match.end())
        self._scope_ends = (
            [m.start() for m in language.negation_boundary.finditer(folded)]
            if self._cue_ends
            else []
        )
        clause_marks = [m.start() for m in language.clause_boundary.finditer(folded)]
        self._clause_starts = [0, *clause_marks]
        # Whether each clause is in the past: worked out for the clauses asked about.
        self._clause_historical: list[bool | None] = [None] * len(self._clause_starts)
        # Mildness is asked only by rules with `ignore_mild`: computed on first use.
        self._mild_ends: list[int] | None = None
        self._clause_exertion: list[list[int]] = []

    def _mild_cues(self) -> list[int]:
        if self._mild_ends is None:
            language, folded = self._language, self._text
            exertion = [m.start() for m in language.mild_after.finditer(folded)]
            bounds = [*self._clause_starts, len(folded)]
            self._clause_exertion = [
                [p for p in exertion if start <= p < end] for start, end in pairwise(bounds)
            ]
            self._mild_ends = [m.end() for m in language.mild_before.finditer(folded)]
        return self._mild_ends

    def _clause(self, pos: int) -> int:
        return bisect_right(self._clause_starts, pos) - 1

    def _words_between(self, start: int, end: int) -> int:
        return len(self._text[start:end].split())

    def negated(self, start: int) -> bool:
        """True when a negation cue governs a mention starting at `start`."""
        i = bisect_right(self._cue_ends, start) - 1
        if i < 0:
            return False
        cue_end = self._cue_ends[i]
        j = bisect_left(self._scope_ends, cue_end)
        if j < len(self._scope_ends) and self._scope_ends[j] < start:
            return False
        return self._words_between(cue_end, start) <= self._window

    def negated_after(self, end: int) -> bool:
        """True when a negation closes the clause right after a mention ending at `end`."""
        return self._language.negation_after.match(self._text, end) is not None

    def historical(self, start: int) -> bool:
        """True when the mention's clause describes the past, not the present."""
        i = self._clause(start)
        past = self._clause_historical[i]
        if past is None:
            end = self._clause_starts[i + 1] if i + 1 < len(self._clause_starts) else None
            clause = self._text[self._clause_starts[i] : end]
            # "still going on" is only looked for in a clause that has a history marker.
            past = self._language.history.search(clause) is not None
            past = past and self._language.ongoing.search(clause) is None
            self._clause_historical[i] = past
        return past

    def mild(self, start: int, end: int) -> bool:
        """True when the mention is qualified as mild or only on exertion."""
        mild_ends = self._mild_cues()
        i = bisect_right(mild_ends, start) - 1
        if i >= 0 and self._words_between(mild_ends[i], start) <= _MILD_WINDOW:
            return True
        return any(p >= end for p in self._clause_exertion[self._clause(start)])
