"""The rule engine: folded text + age in, `TriageResult` out. Pure and synchronous.

Decision procedure:
1. fold the text (case, diacritics), rewrite it word by word (SMS shorthand, intensifier
   and side compounds, one-letter typos of rule words: canonical.py) and find cue
   positions (negation, history, mildness);
2. for every rule, check its age/temperature conditions, its `unless` concepts, and
   that each `all` group has a current mention (not negated, not historical, and not
   mild when the rule says `ignore_mild`) and each `any_time` group a non-negated one;
3. the level is the most urgent level among the rules that fired, or `standard`
   ("needs assessment within days") when none fired: an unmatched message is never
   dismissed as administrative;
4. tags are the union of the fired rules' tags; `admin`/`test_results` are dropped
   when a clinical rule sets a more urgent level, and `child` is added under 18.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from triage.advice import MENTAL_HEALTH, cached_advice
from triage.canonical import Canonical, Vocabulary, canonical
from triage.context import TextContext
from triage.facts import infant_age_months, temperature
from triage.model import LANGUAGES, Level, Reason, TriageResult
from triage.normalize import fold
from triage.prefilter import WORD_START
from triage.rules import Rule, Ruleset, ScanNeeds

# Oldest age we reason about; larger values are clamped (a typo like 450 stays "adult").
MAX_AGE = 120
# Texts are cut here to bound CPU time per call; a chat opening message is far shorter.
MAX_TEXT_CHARS = 20_000
# Fever threshold in °C (Rikshandboken BHV, 1177: fever is 38.0 or more).
FEVER_C = 38.0
# The concept a measured temperature ≥ FEVER_C counts as.
FEVER_CONCEPT = "fever"
CHILD_AGE = 18
_ADMIN_TAGS = frozenset({"admin", "test_results"})
_MONTHS_PER_YEAR = 12


class Mention(NamedTuple):
    """One occurrence of a concept in the text (a tuple: a call makes dozens of them)."""

    text: str
    negated: bool
    historical: bool
    # Where it stands in the text; None for a structured answer or a measured
    # temperature, which are never mild. Mildness is only worked out for the few rules
    # that ask (`ignore_mild`).
    span: tuple[int, int] | None


# A concept regex to try at a word start: (concept, anchored regex, the literal starts
# one of which the text must have there for the regex to possibly match).
_Candidate = tuple[str, re.Pattern[str], tuple[str, ...]]
# Distinct word-start keys remembered by `_Index.at`, and as many by `_Index.candidates`.
_KEY_CACHE_SIZE = 20_000


class _Index:
    """Lookup tables built once per ruleset, so that a call only touches what its text can match.

    - `by_prefix`: literal word-start prefix → the (concept, anchored regex) pairs to try
      there (the union of every concept's `by_prefix`, see prefilter.py);
    - `scans`: concepts with phrasings that have no literal start, each with the literals
      one of those phrasings needs before its regex is worth running over the text;
    - `rules_of`: concept → positions (in `ruleset.rules`) of the rules that need it in
      an `all` or `any_time` group. A rule with no mention of any of its group concepts
      cannot fire, so only the rules of concepts that were found are evaluated;
    - `scan_gate`: a regex of every literal any scan needs (None when some scan must
      always run): a text without any of them runs no scan at all.
    """

    def __init__(self, ruleset: Ruleset) -> None:
        by_prefix: dict[str, list[_Candidate]] = {}
        scans: list[tuple[str, re.Pattern[str], ScanNeeds]] = []
        for name, concept in ruleset.concepts.items():
            for prefix, regex in concept.by_prefix.items():
                starts = concept.starts.get(prefix, (prefix,))
                by_prefix.setdefault(prefix, []).append((name, regex, starts))
            if concept.scan is not None:
                scans.append((name, concept.scan, concept.scan_needs))
        self.by_prefix = {prefix: tuple(entries) for prefix, entries in by_prefix.items()}
        self.prefix_len = max(map(len, self.by_prefix), default=0)
        # A word start's candidates depend only on this many characters from it: the
        # `by_prefix` key and the longest literal start.
        start_lengths = (len(s) for entries in by_prefix.values() for *_, ss in entries for s in ss)
        self.key_len = max([self.prefix_len, *start_lengths])
        self.scans = tuple(scans)
        self.scan_gate = _scan_gate(self.scans)
        rules_of: dict[str, set[int]] = {}
        for position, rule in enumerate(ruleset.rules):
            for group in rule.all_of + rule.any_time:
                for name in group:
                    rules_of.setdefault(name, set()).add(position)
        self.rules_of = {name: frozenset(positions) for name, positions in rules_of.items()}
        self._at_key: dict[str, tuple[_Candidate, ...]] = {}
        self.known_candidates: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {}
        # Typos are read against the phrasings of the message's own language only:
        # "syster" in Swedish is not a typo of the English "system".
        self.vocabularies = {
            language: Vocabulary(
                (
                    pattern
                    for concept in ruleset.concepts.values()
                    for pattern in (concept.sv if language == "sv" else concept.en)
                ),
                matches=self._matches_word,
            )
            for language in LANGUAGES
        }

    def _matches_word(self, word: str) -> bool:
        """Whether some concept phrasing matches at the start of `word` standing alone."""
        return any(regex.match(word) for _, regex, _ in self.at(word[: self.prefix_len]))

    def at(self, key: str) -> tuple[_Candidate, ...]:
        """What to try at a word start whose first `prefix_len` characters are `key`.

        The union of `by_prefix` over the prefixes of `key`; remembered per key (at most
        _KEY_CACHE_SIZE keys, so odd texts cannot grow it without bound).
        """
        found = self._at_key.get(key)
        if found is None:
            found = tuple(
                entry
                for end in range(1, len(key) + 1)
                for entry in self.by_prefix.get(key[:end], ())
            )
            if len(self._at_key) < _KEY_CACHE_SIZE:
                self._at_key[key] = found
        return found

    def candidates(self, key: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
        """The (concept, regex) pairs worth trying at a word start whose first `key_len`
        characters are `key`: those of `at` whose literal starts `key` has.

        Callers look in `known_candidates` first; this works a key out and remembers it
        there like `at` does (in a table of its own: there are many more of these longer
        keys, and once it is full `at` still spares most of the work).
        """
        found = tuple(
            (name, regex)
            for name, regex, starts in self.at(key[: self.prefix_len])
            if key.startswith(starts)
        )
        if len(self.known_candidates) < _KEY_CACHE_SIZE:
            self.known_candidates[key] = found
        return found


def _scan_gate(scans: tuple[tuple[str, re.Pattern[str], ScanNeeds], ...]) -> re.Pattern[str] | None:
    """A regex that finds a literal of some scan's needs, or None if a scan always runs.

    `_may_match` is true only when every group of some need has a literal in the text,
    so one group per need is enough: the one whose shortest literal is longest (" " is
    in nearly every text, "brostsmart" in few). A text in which this regex finds
    nothing has no scan to run.
    """
    literals: set[str] = set()
    for *_, needs in scans:
        for need in needs:
            if not need:  # None or no literal known: that scan always runs
                return None
            literals |= max(need, key=lambda alternatives: min(map(len, alternatives)))
    return re.compile("|".join(map(re.escape, sorted(literals))) or r"(?!x)x")


def _may_match(folded: str, needs: ScanNeeds) -> bool:
    """False only when no phrasing's required literals all occur in `folded`."""
    for need in needs:
        if need is None:
            return True
        for alternatives in need:
            if not any(literal in folded for literal in alternatives):
                break
        else:
            return True
    return False


class _Call:
    """Per-call state: the folded text, its cue context and the mentions of each concept."""

    def __init__(
        self,
        ruleset: Ruleset,
        index: _Index,
        text: str,
        age: int,
        answers: Mapping[str, object],
        lang: str,
    ) -> None:
        self.ruleset = ruleset
        self._index = index
        self.text = text
        self._canonical: Canonical = canonical(fold(text), index.vocabularies[lang])
        self.folded = self._canonical.text
        self._context: TextContext | None = None
        self.age = age
        self.age_months = self._age_months(answers)
        self.temperature = self._temperature(answers)
        self._cache = self._find_mentions(index)
        for name, value in answers.items():
            if name in ruleset.concepts and isinstance(value, bool):
                # A structured yes/no answer overrides whatever the free text said.
                self._cache[name] = [Mention(name, False, False, None)] if value else []
        if self.temperature is not None and self.temperature >= FEVER_C:
            fever = [*self.mentions(FEVER_CONCEPT)]
            fever.append(Mention(f"{self.temperature:.1f}", False, False, None))
            self._cache[FEVER_CONCEPT] = fever
        # Per concept, the words of its first current mention (not negated, not in the
        # past) and of its first lasting one (not negated): what `_first` returns for
        # rules that do not ignore mild mentions, worked out once rather than per rule.
        self._current: dict[str, str] = {}
        self._lasting: dict[str, str] = {}
        for name, found in self._cache.items():
            for mention in found:
                if not mention.negated:
                    self._lasting.setdefault(name, mention.text)
                    if not mention.historical:
                        self._current.setdefault(name, mention.text)

    @property
    def context(self) -> TextContext:
        """Cue positions, computed on first use (texts without any mention never need them)."""
        if self._context is None:
            self._context = TextContext(self.folded, self.ruleset.language)
        return self._context

    def _find_mentions(self, index: _Index) -> dict[str, Sequence[Mention]]:
        folded = self.folded
        spans: dict[str, set[tuple[int, int]]] = {}
        width = index.key_len
        known = index.known_candidates.get  # most keys are known: no method call for them
        for word in WORD_START.finditer(folded):
            start = word.start()
            key = folded[start : start + width]
            tried = known(key)
            if tried is None:
                tried = index.candidates(key)
            for name, regex in tried:
                match = regex.match(folded, start)
                if match is not None:
                    spans.setdefault(name, set()).add(match.span())
        gate = index.scan_gate
        if gate is None or gate.search(folded) is not None:
            for name, regex, needs in index.scans:
                if _may_match(folded, needs):
                    for match in regex.finditer(folded):
                        spans.setdefault(name, set()).add(match.span())
        found: dict[str, Sequence[Mention]] = {}
        if not spans:  # no cue context needed
            return found
        source = self._canonical.source_span
        context = self.context
        negated, negated_after, historical = (
            context.negated,
            context.negated_after,
            context.historical,
        )
        for name, concept_spans in spans.items():
            # Positional fields: text, negated, historical, span.
            found[name] = [
                Mention(
                    self.text[slice(*source(*span))],
                    negated(span[0]) or negated_after(span[1]),
                    historical(span[0]),
                    span,
                )
                for span in sorted(concept_spans)
            ]
        return found

    def _age_months(self, answers: Mapping[str, object]) -> float:
        given = answers.get("age_months")
        if isinstance(given, int | float) and not isinstance(given, bool) and given >= 0:
            return float(given)
        if self.age >= 1:
            return float(self.age * _MONTHS_PER_YEAR)
        # Age 0 with no months in the text: assume the youngest, the safe direction.
        return infant_age_months(self.folded) or 0.0

    def _temperature(self, answers: Mapping[str, object]) -> float | None:
        given = answers.get("temperature_c")
        if isinstance(given, int | float) and not isinstance(given, bool):
            return float(given)
        return temperature(self.folded)

    def mentions(self, name: str) -> Sequence[Mention]:
        """Every mention of concept `name` in the text (or set by a structured answer)."""
        return self._cache.get(name, ())

    def candidate_rules(self) -> list[Rule]:
        """The rules that could fire, in ruleset order: those needing a concept that was found."""
        positions: set[int] = set()
        rules_of = self._index.rules_of
        for name, found in self._cache.items():
            if found:
                positions.update(rules_of.get(name, ()))
        rules = self.ruleset.rules
        return [rules[position] for position in sorted(positions)]

    def _first(self, group: tuple[str, ...], *, any_time: bool, ignore_mild: bool) -> str | None:
        """The words of the first mention of `group` (in group order) that counts."""
        if not ignore_mild:
            first = self._lasting if any_time else self._current
            for name in group:
                if name in first:
                    return first[name]
            return None
        for name in group:
            for mention in self.mentions(name):
                if mention.negated or (mention.historical and not any_time):
                    continue
                if ignore_mild and mention.span is not None and self.context.mild(*mention.span):
                    continue
                return mention.text
        return None

    def _conditions_hold(self, rule: Rule) -> bool:
        if rule.age_below is not None and self.age >= rule.age_below:
            return False
        if rule.age_at_least is not None and self.age < rule.age_at_least:
            return False
        if rule.age_months_below is not None and self.age_months >= rule.age_months_below:
            return False
        if rule.age_months_at_least is not None and self.age_months < rule.age_months_at_least:
            return False
        # An unknown temperature does not block: "feber" without a number still counts.
        return not (
            rule.temp_at_least is not None
            and self.temperature is not None
            and self.temperature < rule.temp_at_least
        )

    def fire(self, rule: Rule) -> tuple[str, ...] | None:
        """The matched words if `rule` fires on this text, else None."""
        if not self._conditions_hold(rule):
            return None
        matched: list[str] = []
        for groups, any_time in ((rule.all_of, False), (rule.any_time, True)):
            for group in groups:
                word = self._first(group, any_time=any_time, ignore_mild=rule.ignore_mild)
                if word is None:
                    return None
                matched.append(word)
        for name in rule.unless:
            if self._first((name,), any_time=False, ignore_mild=False) is not None:
                return None
        return tuple(matched)


class TriageEngine:
    """A compiled ruleset with `assess`; build one per ruleset (tests build their own)."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self._index = _Index(ruleset)

    def assess(
        self,
        text: str,
        age: int,
        lang: str = "sv",
        answers: Mapping[str, object] | None = None,
    ) -> TriageResult:
        """Triage one patient message; never raises for any str text and int age."""
        age = min(max(int(age), 0), MAX_AGE)
        answers = answers or {}
        lang = lang if lang in LANGUAGES else "sv"
        call = _Call(self.ruleset, self._index, str(text)[:MAX_TEXT_CHARS], age, answers, lang)
        reasons: list[Reason] = []
        tags: set[str] = set()
        for rule in call.candidate_rules():
            matched = call.fire(rule)
            if matched is not None:
                reasons.append(Reason(rule.id, rule.level, matched))
                tags |= rule.tags
        level = min((r.level for r in reasons), key=lambda lvl: lvl.rank, default=Level.STANDARD)
        if level is not Level.NON_URGENT:
            tags -= _ADMIN_TAGS
        if age < CHILD_AGE:
            tags.add("child")
        return TriageResult(
            level=level,
            tags=frozenset(tags),
            reasons=tuple(reasons),
            advice=cached_advice(
                level,
                lang,
                mental_health=MENTAL_HEALTH in tags,
                outside_hours=answers.get("outside_hours") is True,
            ),
            ruleset_version=self.ruleset.version,
        )
