"""The public API: shapes, defaults, age handling, answers and advice selection."""

from __future__ import annotations

import pytest

import triage
from triage import Advice, Level, Reason, TriageResult, advice_for, assess
from triage.api import assess_rules


def test_all_is_sorted_and_importable() -> None:
    """`__all__` is sorted (ruff's isort style) and every name in it resolves."""
    assert triage.__all__ == sorted(
        triage.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n)
    )
    for name in triage.__all__:
        assert getattr(triage, name) is not None


def test_unknown_attribute_raises() -> None:
    """Unknown package attributes raise AttributeError."""
    with pytest.raises(AttributeError):
        _ = triage.no_such_name  # type: ignore[attr-defined]


def test_level_ranks() -> None:
    """Levels rank from emergency 0 to non_urgent 3."""
    assert [lvl.rank for lvl in Level] == [0, 1, 2, 3]
    assert Level("non_urgent") is Level.NON_URGENT


def test_ruleset_version_shape() -> None:
    """The ruleset version is the declared version plus a content hash."""
    version, digest = triage.RULESET_VERSION.split("+")
    assert version == "1.4.0"
    assert len(digest) == 8


def test_empty_text_is_standard_without_reasons() -> None:
    """Unmatched text defaults to standard, with no reasons and no tags."""
    result = assess("", 40)
    assert result.level is Level.STANDARD
    assert result.reasons == ()
    assert result.tags == frozenset()


def test_result_to_dict() -> None:
    """to_dict gives the JSON shape the chat server expects."""
    result = assess("Förnya mitt recept tack", 50)
    assert result.to_dict() == {
        "level": "non_urgent",
        "tags": ["admin", "medication"],
        "reasons": [
            {"rule_id": "N01-prescription-renewal", "level": "non_urgent", "matched": ["Förnya"]}
        ],
        "ruleset_version": triage.RULESET_VERSION,
    }
    assert isinstance(result, TriageResult)
    assert isinstance(result.reasons[0], Reason)


def test_child_tag_and_age_clamping() -> None:
    """Under 18 adds the child tag; out-of-range ages are clamped, never raise."""
    assert "child" in assess("hosta", 17).tags
    assert "child" not in assess("hosta", 18).tags
    assert "child" in assess("hosta", -5).tags
    assert assess("hosta", 10**9).level is Level.STANDARD


def test_admin_tags_dropped_when_clinical_level_wins() -> None:
    """admin/test_results tags only stay when the request is administrative."""
    result = assess("Vill boka tid, har ångest varje dag", 30)
    assert result.level is Level.STANDARD
    assert result.tags == frozenset({"mental_health"})


def test_infant_age_from_text_and_answers() -> None:
    """Infant age comes from the text, or from answers, or defaults to the youngest."""
    assert assess("Bebis 5 mån, 39,5 feber", 0).level is Level.URGENT
    assert assess("Bebis 5 veckor, 38,5 feber", 0).level is Level.EMERGENCY
    assert assess("Bebis har 38,5 feber", 0).level is Level.EMERGENCY
    # The rules read age_months; the safety net only knows the age band (infant) and
    # errs towards caution for an infant with fever, so the service says emergency.
    assert assess_rules("Bebis har 38,5 feber", 0, answers={"age_months": 8}).level is (
        Level.STANDARD
    )


def test_temperature_answer_and_concept_answers() -> None:
    """Structured answers override the text: temperature, and concepts as True/False."""
    assert assess("bebis 2 mån", 0, answers={"temperature_c": 38.3}).level is Level.EMERGENCY
    # The rules read the measured temperature; the safety net reads only the text
    # ("feber" in an infant) and may raise it, never lower it.
    assert assess_rules("bebis 2 mån har feber", 0, answers={"temperature_c": 37.5}).level is (
        Level.STANDARD
    )
    assert assess("ont i bröstet", 50, answers={"cold_sweat": True}).level is Level.EMERGENCY
    assert assess("hosta", 50, answers={"cough": False}).reasons == ()
    assert assess("hosta", 50, answers={"cough": "yes", "age_months": True}).level is (
        Level.STANDARD
    )


def test_lang_fallback_and_outside_hours() -> None:
    """Unknown languages fall back to Swedish; outside_hours changes urgent advice."""
    result = assess("Vaden är svullen och varm", 50, lang="fi")
    assert result.advice.lang == "sv"
    night = assess("Vaden är svullen och varm", 50, "en", {"outside_hours": True})
    assert night.advice.text.startswith(
        "You need to be assessed today. The health centre is closed"
    )


def test_advice_phone_numbers() -> None:
    """Advice points to 112, 90101 for suicidal crises, and 1177."""
    assert advice_for(Level.EMERGENCY).phone_numbers == ("112",)
    assert advice_for("emergency", "en", tags=["mental_health"]).phone_numbers == ("112", "90101")
    assert advice_for(Level.URGENT, tags=("mental_health",)).phone_numbers == (
        "1177",
        "90101",
        "112",
    )
    assert advice_for(Level.URGENT, "en").phone_numbers == ("1177", "112")
    assert advice_for(Level.STANDARD).phone_numbers == ("1177",)
    assert advice_for(Level.NON_URGENT, "en").phone_numbers == ()
    assert "Självmordslinjen 90101" in advice_for(Level.URGENT, tags=["mental_health"]).text


def test_advice_to_dict_and_bad_level() -> None:
    """Advice serialises to JSON shape; an unknown level is a ValueError."""
    advice = advice_for(Level.STANDARD, "en")
    assert isinstance(advice, Advice)
    assert advice.to_dict() == {
        "level": "standard",
        "lang": "en",
        "text": advice.text,
        "phone_numbers": ["1177"],
    }
    with pytest.raises(ValueError, match="nope"):
        advice_for("nope")


def test_suicide_emergency_advice() -> None:
    """Acute suicide risk gives 112 together with Självmordslinjen."""
    result = assess("Jag har bestämt hur jag ska ta mitt liv ikväll", 30)
    assert result.level is Level.EMERGENCY
    assert result.advice.phone_numbers == ("112", "90101")


def test_ignore_mild_rule_with_answer() -> None:
    """A structured answer is never mild, so an `ignore_mild` rule still fires on it."""
    mild = assess("lite andfådd när jag springer", 40)
    assert "U13-breathlessness" not in {r.rule_id for r in mild.reasons}
    answered = assess("lite andfådd när jag springer", 40, answers={"dyspnoea": True})
    assert "U13-breathlessness" in {r.rule_id for r in answered.reasons}


def test_advice_objects_are_shared() -> None:
    """Advice is immutable and built once per combination."""
    assert advice_for(Level.URGENT, "en") is advice_for("urgent", "en")
    assert assess("", 40).advice is advice_for(Level.STANDARD, "sv")
