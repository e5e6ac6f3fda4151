"""The rule engine: folded text + age in, `TriageResult` out. Pure and synchronous.

Decision procedure:
1. fold the text (case, diacritics) and find cue positions (negation, history, mildness);
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

from collections.abc import Mapping
from dataclasses import dataclass

from triage.advice import advice_for
from triage.context import TextContext
from triage.facts import infant_age_months, temperature
from triage.model import Level, Reason, TriageResult
from triage.normalize import fold
from triage.prefilter import word_start_index
from triage.rules import Rule, Ruleset

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


@dataclass(frozen=True)
class Mention:
    """One occurrence of a concept in the text."""

    text: str
    negated: bool
    historical: bool
    mild: bool


class _Call:
    """Per-call state: the folded text, its cue context and a concept-match cache."""

    def __init__(
        self, ruleset: Ruleset, text: str, age: int, answers: Mapping[str, object]
    ) -> None:
        self.ruleset = ruleset
        self.text = text
        self.folded = fold(text)
        self.context = TextContext(self.folded, ruleset.language)
        self.age = age
        self.age_months = self._age_months(answers)
        self.temperature = self._temperature(answers)
        self._cache: dict[str, list[Mention]] = {}
        self._index = word_start_index(self.folded)
        self._present = set(self._index)
        for name, value in answers.items():
            if name in ruleset.concepts and isinstance(value, bool):
                # A structured yes/no answer overrides whatever the free text said.
                self._cache[name] = [Mention(name, False, False, False)] if value else []
        if self.temperature is not None and self.temperature >= FEVER_C:
            fever = [*self.mentions(FEVER_CONCEPT)]
            fever.append(Mention(f"{self.temperature:.1f}", False, False, False))
            self._cache[FEVER_CONCEPT] = fever

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

    def mentions(self, name: str) -> list[Mention]:
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        concept = self.ruleset.concepts.get(name)
        found: list[Mention] = []
        if concept is not None:
            spans: set[tuple[int, int]] = set()
            if concept.scan is not None:
                spans.update(m.span() for m in concept.scan.finditer(self.folded))
            for prefix in self._present.intersection(concept.by_prefix):
                regex = concept.by_prefix[prefix]
                for pos in self._index[prefix]:
                    match = regex.match(self.folded, pos)
                    if match is not None:
                        spans.add(match.span())
            for start, end in sorted(spans):
                found.append(
                    Mention(
                        text=self.text[start:end],
                        negated=self.context.negated(start),
                        historical=self.context.historical(start),
                        mild=self.context.mild(start, end),
                    )
                )
        self._cache[name] = found
        return found

    def _first(self, group: tuple[str, ...], *, any_time: bool, ignore_mild: bool) -> str | None:
        for name in group:
            for mention in self.mentions(name):
                if mention.negated or (mention.historical and not any_time):
                    continue
                if ignore_mild and mention.mild:
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

    def assess(
        self,
        text: str,
        age: int,
        lang: str = "sv",
        answers: Mapping[str, object] | None = None,
    ) -> TriageResult:
        """Triage one patient message; never raises for any str text and int age."""
        age = min(max(int(age), 0), MAX_AGE)
        call = _Call(self.ruleset, str(text)[:MAX_TEXT_CHARS], age, answers or {})
        reasons: list[Reason] = []
        tags: set[str] = set()
        for rule in self.ruleset.rules:
            matched = call.fire(rule)
            if matched is not None:
                reasons.append(Reason(rule.id, rule.level, matched))
                tags |= rule.tags
        level = min((r.level for r in reasons), key=lambda lvl: lvl.rank, default=Level.STANDARD)
        if level is not Level.NON_URGENT:
            tags -= _ADMIN_TAGS
        if age < CHILD_AGE:
            tags.add("child")
        outside_hours = (answers or {}).get("outside_hours") is True
        return TriageResult(
            level=level,
            tags=frozenset(tags),
            reasons=tuple(reasons),
            advice=advice_for(level, lang, tags=tags, outside_hours=outside_hours),
            ruleset_version=self.ruleset.version,
        )
