"""The screen and follow-up catalogue (pure): bands, ids, and which questions a result gets."""

from __future__ import annotations

import pytest

from triage import Level, Reason, TriageResult, advice_for, screening
from triage.api import SAFETY_NET, assess_rules
from triage.learned import net


def _result(level: Level, tags: set[str], reasons: tuple[Reason, ...] = ()) -> TriageResult:
    return TriageResult(level, frozenset(tags), reasons, advice_for(level, "sv"), "test")


def test_bands_and_stable_ids() -> None:
    assert [screening.band(a) for a in (0, 1, 17, 18, 99)] == [
        "infant",
        "child",
        "child",
        "adult",
        "adult",
    ]
    assert "suicide_now" not in {q.id for q in screening.screen(9)}
    assert "suicide_now" in {q.id for q in screening.screen(10)}
    assert all(qid in screening.CATALOGUE for qid in screening.SCREEN_IDS)
    assert all(q.id.isidentifier() and q.id.islower() for q in screening.CATALOGUE.values())
    question = screening.CATALOGUE["suicide_now"]
    assert question.to_dict("en")["help"].endswith("day and night.")
    assert "help" not in screening.CATALOGUE["heavy_bleeding"].to_dict("sv")


def test_answers_helpers() -> None:
    assert screening.unknown_ids({"x": True, "chest_pain_now": False}) == ["x"]
    assert screening.yes_answers({"stroke_signs": True, "chest_pain_now": True}) == [
        "chest_pain_now",
        "stroke_signs",
    ]
    base = _result(Level.STANDARD, set())
    assert screening.answered_yes(base, {"chest_pain_now": False}, "sv", prefix="S-") is base


def test_no_followups_for_an_emergency() -> None:
    result = assess_rules("ont i bröstet och kallsvettig", 60)
    assert result.level is Level.EMERGENCY
    assert screening.followups(result, 60) == []


def test_a_child_who_is_unwell_is_asked_first_about_red_flags() -> None:
    ids = [q.id for q in screening.followups(_result(Level.STANDARD, {"infection"}), 4)]
    assert ids[0] == "child_unwell_red_flags"


def test_a_net_raise_without_a_family_asks_the_screen_again() -> None:
    reason = Reason("ML-safety-net", Level.URGENT, ("x",), model="m", probability=0.9)
    asked = screening.followups(_result(Level.URGENT, set(), (reason,)), 40)
    assert [q.id for q in asked] == [q.id for q in screening.screen(40)][: screening.MAX_FOLLOWUPS]
    assert screening.followups(_result(Level.STANDARD, set()), 40) == []


def test_word_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net, "_WORD_CACHE_SIZE", 0)
    before = dict(SAFETY_NET._words)
    SAFETY_NET._words.clear()
    try:
        SAFETY_NET.score("ett helt nytt ordförråd", 40)
        assert SAFETY_NET._words == {}
    finally:
        SAFETY_NET._words.update(before)
    # No words at all: only the age feature is scored, and scored low.
    empty = SAFETY_NET.score("", 45)
    assert all(p < 0.5 for h, p in empty.probability.items() if h != "urgent")
    assert empty.top_words["emergency"] == ()
    assert net._Owners.of([], range(0)).top_words([], SAFETY_NET.matrix[:, 0]) == ()
