"""Unit tests of folding, numeric facts, cue context and the literal prefilter."""

from __future__ import annotations

import pytest

from triage.api import DEFAULT_ENGINE
from triage.context import TextContext
from triage.facts import infant_age_months, temperature
from triage.normalize import fold
from triage.prefilter import literal_prefixes, word_start_index


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


def test_word_start_index() -> None:
    """The index maps 1..3-letter prefixes at word starts to their positions."""
    index = word_start_index("ont i magen, ont")
    assert index["ont"] == [0, 13]
    assert index["i"] == [4]
    assert "nt" not in index
