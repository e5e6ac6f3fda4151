"""Unit tests of folding, numeric facts, cue context and the literal prefilter."""

from __future__ import annotations

import pytest

from triage import engine as engine_module
from triage.api import DEFAULT_ENGINE
from triage.context import TextContext
from triage.engine import TriageEngine, _may_match
from triage.facts import infant_age_months, temperature
from triage.normalize import fold
from triage.prefilter import WORD_START, literal_prefixes, required_literals


def test_fold_keeps_length() -> None:
    """Folding strips diacritics and keeps offsets aligned, even for İ."""
    assert fold("Bröstsmärta ÅÄÖ é’") == "brostsmarta aao e'"
    assert len(fold("İstanbul")) == len("İstanbul")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("har 38,5 i feber", 38.5),
        ("temperature of 38.2", 38.2),
        ("40 graders feber", 40.0),
        ("feber 39 sedan igår", 39.0),
        ("blodtryck 145/90, är 39 år", None),
        ("ingen siffra", None),
    ],
)
def test_temperature(text: str, expected: float | None) -> None:
    """Temperatures are read from decimals or next to fever words."""
    assert temperature(fold(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bebis 5 man", 5.0),
        ("my two month old", 2.0),
        ("ar 5 veckor", 5 / 4.35),
        ("10 dagar gammal", 10 / 30.4),
        ("nyfodd", 0.0),
        ("femmanaders bebis", 5.0),
        ("en sexveckors bebis", 6 / 4.35),
        ("feber sedan 2 veckor", None),
        ("inget", None),
    ],
)
def test_infant_age_months(text: str, expected: float | None) -> None:
    """Infant ages are read from months, weeks, days or 'newborn', not from durations."""
    assert infant_age_months(text) == expected


def context(text: str) -> TextContext:
    """A cue context for folded `text` with the default language cues."""
    return TextContext(fold(text), DEFAULT_ENGINE.ruleset.language)


def test_negation_scope() -> None:
    """Cues negate within the window, not across boundaries or far away."""
    text = fold("ingen feber eller hosta, men ont i halsen")
    ctx = context(text)
    assert ctx.negated(text.index("feber"))
    assert ctx.negated(text.index("hosta"))
    assert not ctx.negated(text.index("ont"))
    far = fold("inte alls på något sätt riktigt hosta")
    assert not context(far).negated(far.index("hosta"))
    assert not context("hosta").negated(0)
    pseudo = fold("inte bara hosta")
    assert not context(pseudo).negated(pseudo.index("hosta"))


@pytest.mark.parametrize(
    ("text", "mention", "expected"),
    [
        ("mungipan hänger inte och jag kan prata", "mungipan hänger", True),
        ("ont i bröstet har jag inte, bara hosta", "ont i bröstet", True),
        ("feber har hon inte", "feber", True),
        ("bröstsmärta: nej. hosta: ja", "bröstsmärta", True),
        ("chest pain: no. cough: yes", "chest pain", True),
        ("mungipan hänger inte längre", "mungipan hänger", False),
        ("mungipan hänger inte nu", "mungipan hänger", False),
        ("ont i bröstet inte bara i ryggen", "ont i bröstet", False),
        ("ont i bröstet", "ont i bröstet", False),
    ],
)
def test_negation_after(text: str, mention: str, expected: bool) -> None:
    """A negation right after a mention negates it only when it closes the clause."""
    folded = fold(text)
    end = folded.index(fold(mention)) + len(mention)
    assert context(folded).negated_after(end) is expected


def test_post_verbal_negation_in_assess() -> None:
    """Post-verbal negation of stroke signs is not an emergency; a passed TIA still is."""
    negated = DEFAULT_ENGINE.assess("Förkyld, mungipan hänger inte och jag kan prata", 58)
    assert [r.rule_id for r in negated.reasons] == ["N11-self-care-cold"]
    passed = DEFAULT_ENGINE.assess("Mungipan hänger inte längre, men gjorde det i tio minuter", 58)
    assert passed.level.value == "emergency"
    assert [r.rule_id for r in passed.reasons] == ["E02-stroke-tia"]


def test_history_and_ongoing() -> None:
    """History markers make a clause past unless it says the problem is still there."""
    past = fold("hade ont i ryggen för tre år sedan")
    assert context(past).historical(past.index("ont"))
    still = fold("ont i ryggen för tre veckor sedan och fortfarande ont")
    assert not context(still).historical(still.index("ont"))


def test_mild() -> None:
    """A qualifier before or an exertion context after marks a mention mild."""
    text = fold("lite andfådd")
    assert context(text).mild(text.index("andf"), len(text))
    text = fold("andfådd när jag springer")
    assert context(text).mild(0, 7)
    text = fold("andfådd i vila")
    assert not context(text).mild(0, 7)
    # The mild cues are worked out on first use and then reused.
    cues = context(fold("lite andfådd, andfådd när jag springer"))
    assert cues.mild(5, 12)
    assert cues.mild(14, 21)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("feber\\w*", {"feb"}),
        ("(ont|smart\\w*) i", {"ont", "sma"}),
        ("(?:ab|cd)e", {"abe", "cde"}),
        ("yr\\b", {"yr"}),
        ("\\bhej", {"hej"}),
        ("ab?c", {"a"}),
        ("a+b", {"a"}),
        ("(ab)?c", {""}),
        ("(?=x)y", {""}),
        ("(a\\(|b)c", {"a", "bc"}),
        ("(ab", {""}),
        ("\\w*x", {""}),
        ("a\\|b", {"a"}),
    ],
)
def test_literal_prefixes(pattern: str, expected: set[str]) -> None:
    """Literal prefixes are derived conservatively; unknown starts give ''."""
    prefixes = literal_prefixes([pattern])
    if expected == {""}:
        assert "" in prefixes
    else:
        assert prefixes == expected


def test_word_starts() -> None:
    """Concept matches may only begin where a word begins."""
    assert [m.start() for m in WORD_START.finditer("ont i magen, ont")] == [0, 4, 6, 13]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("\\w*brostsmart\\w*", [{"brostsmart"}]),
        ("\\d+ days", [{" days"}]),
        (
            "(rash|ring) (?:\\w+ ){0,4}(around|bigger)",
            [{"rash", "ring"}, {" "}, {"around", "bigger"}],
        ),
        ("can.?t", [{"can"}, {"t"}]),
        ("ab*c", [{"a"}, {"c"}]),
        ("a{2}b", [{"b"}]),
        ("x(ab)?", [{"x"}]),
        ("(a|)b", [{"b"}]),
        ("(?:a|b\\w)c", [{"c"}]),
        ("^ab$", [{"ab"}]),
        ("[a-z]x", [{"x"}]),
        ("[]a]x", [{"x"}]),
        ("[^]a]x", [{"x"}]),
        ("[\\]a]x", [{"x"}]),
        ("a{2", None),
        ("a|b", None),
        ("(?=x)y", None),
        ("(?i:x)y", None),
        ("(ab", None),
    ],
)
def test_required_literals(pattern: str, expected: list[set[str]] | None) -> None:
    """Only literals that every match must contain are reported; None when unsure."""
    needs = required_literals(pattern)
    if expected is None:
        assert needs is None
    else:
        assert needs is not None
        assert [set(alternatives) for alternatives in needs] == expected


def test_scan_prefilter_never_drops_a_match() -> None:
    """Whenever a scan phrasing matches a rule example, its required literals are there."""
    texts = [
        fold(example)
        for rule in DEFAULT_ENGINE.ruleset.rules
        for example in rule.examples_sv + rule.examples_en
    ]
    scans = [c for c in DEFAULT_ENGINE.ruleset.concepts.values() if c.scan is not None]
    assert scans
    hits = 0
    for concept in scans:
        assert concept.scan is not None
        for text in texts:
            if concept.scan.search(text):
                hits += 1
                assert _may_match(text, concept.scan_needs)
    assert hits > 0


def test_may_match() -> None:
    """A scan runs when any phrasing's literals are all present, or nothing is known."""
    assert _may_match("abc", (None,))
    assert _may_match("abc", ((frozenset({"zz"}),), (frozenset({"x", "ab"}),)))
    assert not _may_match("abc", ((frozenset({"ab"}), frozenset({"zz"})),))
    assert not _may_match("abc", ())


def test_key_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Word-start keys are remembered only up to a limit; results do not depend on it."""
    monkeypatch.setattr(engine_module, "_KEY_CACHE_SIZE", 0)
    engine = TriageEngine(DEFAULT_ENGINE.ruleset)
    text = "ont i bröstet och kallsvettig"
    assert engine.assess(text, 58).to_dict() == DEFAULT_ENGINE.assess(text, 58).to_dict()
    assert engine._index._at_key == {}
    assert engine._index.known_candidates == {}
