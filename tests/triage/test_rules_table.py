"""Table-driven tests per clinical rule: positive, negated, historical and mild phrasings."""

from __future__ import annotations

import pytest

# These pin the rules; the safety net on top is scored in test_safety_net.py.
from triage.api import DEFAULT_ENGINE
from triage.api import assess_rules as assess
from triage.rules import Rule

RULES = DEFAULT_ENGINE.ruleset.rules


def fired(text: str, age: int = 40, lang: str = "sv") -> set[str]:
    """Ids of the rules that fire on `text`."""
    return {reason.rule_id for reason in assess(text, age, lang).reasons}


@pytest.mark.parametrize(
    ("rule", "lang", "text"),
    [
        (rule, lang, text)
        for rule in RULES
        for lang, examples in (("sv", rule.examples_sv), ("en", rule.examples_en))
        for text in examples
    ],
    ids=lambda value: value.id if isinstance(value, Rule) else None,
)
def test_rule_examples_fire(rule: Rule, lang: str, text: str) -> None:
    """Every example phrasing in the rule files fires its own rule."""
    assert rule.id in fired(text, rule.example_age, lang)


# (rule id, positive, negated, historical) — the negated and historical phrasings
# must not fire the rule.
TABLE = [
    ("E01-chest-pain-acs", "Ont i bröstet sen 20 min och kallsvettig",
     "Inget ont i bröstet, men kallsvettig", "Hade ont i bröstet och svettades för tre år sedan"),
    ("E01-chest-pain-acs", "Chest pain and sweating for an hour",
     "No chest pain, just sweating", "Chest pain with sweating 2 years ago"),
    ("E02-stroke-tia", "Ena mungipan hänger och hon sluddrar",
     "Ingen hängande mungipa och inget sluddrande", "Sluddrade efter en stroke för 5 år sedan"),
    ("E03-severe-breathing-difficulty", "Får knappt luft",
     "Inga problem att prata hela meningar", "Fick knappt luft som barn"),
    ("E05-anaphylaxis-airway", "Tungan svullnar efter nötter",
     "Ingen svullnad i halsen", "Svullen tunga efter nötter för två år sedan"),
    ("E06-heavy-bleeding", "Det sprutar blod ur såret",
     "Ingen kraftig blödning", "Kraftig blödning efter en olycka för tre år sedan"),
    ("E07-unconscious", "Han är medvetslös",
     "Var inte medvetslös", "Var medvetslös efter en olycka för tio år sedan"),
    ("E08-suicide-acute", "Har samlat ihop tabletter och tänker ta dom",
     "Har inga planer på att ta mitt liv", "Tog en överdos för fem år sedan"),
    ("E10-meningitis-stiff-neck", "Feber och nackstel",
     "Feber men ingen nackstelhet", "Hade feber och stel nacke som barn"),
    ("E11-thunderclap-headache", "Värsta huvudvärken i mitt liv",
     "Inte värsta huvudvärken, bara vanlig", "Hade värsta huvudvärken någonsin för två år sedan"),
    ("U01-upper-uti", "Svider när jag kissar och har feber",
     "Svider när jag kissar, ingen feber eller ont i ryggen",
     "Urinvägsinfektion med feber för ett år sedan"),
    ("U05-suspected-dvt", "Vaden är svullen och varm",
     "Ingen svullnad i benet", "Hade svullen vad för två år sedan"),
    ("U09-head-injury", "Slog i huvudet och har kräkts",
     "Slog inte i huvudet", "Slog i huvudet för tre år sedan"),
    ("U19-suicidal-thoughts", "Har självmordstankar",
     "Inga självmordstankar", "Hade självmordstankar för flera år sedan"),
    ("U22-allergic-reaction", "Nässelutslag över hela kroppen",
     "Inga nässelutslag", "Fick nässelutslag för två år sedan"),
    ("S03-cough", "Hostar sen fyra veckor", "Ingen hosta", "Hostade mycket förra året"),
    ("S07-headache", "Huvudvärk varje dag", "Ingen huvudvärk", "Hade migrän som barn"),
    ("S11-mental-health", "Ångest varje dag", "Ingen ångest", "Hade depression för tio år sedan"),
]  # fmt: skip


@pytest.mark.parametrize(("rule_id", "positive", "negated", "historical"), TABLE)
def test_rule_positive_negated_historical(
    rule_id: str, positive: str, negated: str, historical: str
) -> None:
    """A rule fires on the symptom, but not when it is negated or in the past."""
    assert rule_id in fired(positive)
    assert rule_id not in fired(negated)
    assert rule_id not in fired(historical)


@pytest.mark.parametrize(
    "text",
    [
        "Lite andfådd när jag springer uppför backar",
        "A bit short of breath on the stairs",
        "Blir andfådd när jag går i trappor",
    ],
)
def test_mild_breathlessness_is_standard(text: str) -> None:
    """Mild or exertional breathlessness is standard, not urgent."""
    result = assess(text, 42)
    assert result.level.value == "standard"
    assert "U13-breathlessness" not in {r.rule_id for r in result.reasons}


def test_unqualified_breathlessness_is_urgent() -> None:
    """Breathlessness without a mild qualifier needs assessment today."""
    assert assess("Andfådd även i vila sedan igår", 42).level.value == "urgent"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Min son 14 mån har kräkts och har inte kissat på hela dagen", "urgent"),
        ("My dad suddenly can't lift his left arm", "emergency"),
        ("Min pappa fick en hjärtinfarkt förra året, vill boka hälsokontroll", "non_urgent"),
        ("Mormor dog av stroke, jag vill boka en hälsokontroll", "non_urgent"),
    ],
)
def test_text_about_relatives(text: str, level: str) -> None:
    """A relative's current symptoms count; a relative's history does not."""
    assert assess(text, 1 if "14 mån" in text else 60).level.value == level


@pytest.mark.parametrize(
    "text",
    [
        "bröstsmärta och kallsvettig",
        "brostsmarta och kallsvettig",
        "BRÖSTSMÄRTOR OCH KALLSVETTIG",
        "ont i bröstet och kallsvettig",
        "ont i brostet o kallsvettig",
        "chest pain and sweaty, inte andfådd",
    ],
)
def test_spelling_case_and_inflection(text: str) -> None:
    """Case, missing diacritics, inflection, dialect and mixed language still match."""
    assert assess(text, 60).level.value == "emergency"


def test_stroke_signs_that_passed_are_still_emergency() -> None:
    """Stroke signs count even when they have passed (TIA)."""
    assert assess(
        "Mungipan hängde och han sluddrade, det gick över efter 10 min", 70
    ).level.value == ("emergency")
