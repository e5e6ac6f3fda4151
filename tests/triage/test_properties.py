"""Property tests: assess never raises and always returns one of the four levels."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from triage import Level, assess

WORDS = st.sampled_from(
    ["ont", "i", "bröstet", "inte", "feber", "38,5", "för", "tre", "år", "sedan", "no", "chest",
     "pain", "lite", "andfådd", "min", "son", ",", ".", "mån", "veckor", "kan", "andas", "hosta"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=400), age=st.integers(min_value=0, max_value=120))
def test_any_text_any_age(text: str, age: int) -> None:
    """Any unicode text and any age 0..120 gives a valid result without raising."""
    result = assess(text, age)
    assert result.level in set(Level)
    assert ("child" in result.tags) == (age < 18)


@settings(max_examples=300, deadline=None)
@given(words=st.lists(WORDS, max_size=40), age=st.integers(), lang=st.text(max_size=3))
def test_symptom_word_soup(words: list[str], age: int, lang: str) -> None:
    """Random mixes of symptom, cue and number words never raise, for any int age."""
    result = assess(" ".join(words), age, lang)
    assert result.level in set(Level)
    assert result.advice.lang in ("sv", "en")
