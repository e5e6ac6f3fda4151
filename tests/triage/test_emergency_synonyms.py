"""Synonym sweep per emergency rule: plausible patient/relative wordings of each key sign.

Written from the rule criteria (not from any case file): each rule gets Swedish and
English wordings as a patient or a relative would write them (colloquial, SMS-style),
and the hard negatives that must stay below emergency sit next to them.
"""

from __future__ import annotations

import pytest

from triage.api import assess
from triage.model import Level

# rule id -> (text, lang, age): each must fire that rule.
SWEEP: dict[str, list[tuple[str, str, int]]] = {
    "E01-chest-pain-acs": [
        ("det kramar ihop i bröstkorgen o jag svettas kallt", "sv", 60),
        ("det klämmer i bröstet och strålar ut i vänster arm", "sv", 58),
        ("känns som att nån sitter på bröstet, mår illa", "sv", 70),
        ("trycker över bröstet sen en halvtimme", "sv", 66),
        ("som en elefant på bröstet o kallsvettig", "sv", 64),
        ("feels like an elephant on my chest and I'm sweating", "en", 61),
        ("squeezing in my chest going down my left arm", "en", 55),
        ("like a tight band around my chest, feel sick", "en", 59),
        ("someone is sitting on my chest, clammy", "en", 67),
        ("dad says his chest is crushing and he's grey", "en", 72),
    ],
    "E02-stroke-tia": [
        ("ingen kraft i högra armen sen i morse", "sv", 74),
        ("pappa har ingen känsel i vänster ben", "sv", 80),
        ("noll kraft i vänstra handen", "sv", 66),
        ("no strength in my left arm all of a sudden", "en", 70),
        ("mum has no feeling in her right leg", "en", 78),
    ],
    "E03-severe-breathing-difficulty": [
        ("får ingen luft", "sv", 40),
        ("jag får inge luft!!", "sv", 30),
        ("kan inte få luft", "sv", 50),
        ("kan knappt få nån luft", "sv", 45),
        ("kan bara säga ett par ord i taget", "sv", 70),
        ("no air", "en", 35),
        ("I can't get any air", "en", 42),
        ("he's not getting any air", "en", 60),
        ("can't say more than a few words", "en", 55),
    ],
    "E03b-breathing-failure-net": [
        ("luften tar slut", "sv", 60),
        ("kan knappt andas alls", "sv", 30),
        ("hon orkar inte andas", "sv", 85),
        ("andningen stoppar hela tiden", "sv", 70),
        ("can barely breathe", "en", 33),
        ("he's running out of breath and can't get it back", "en", 77),
        ("she is hardly breathing", "en", 80),
    ],
    "E07-unconscious": [
        ("pappa svarar inte när vi ruskar på honom", "sv", 80),
        ("hon svarar inte alls", "sv", 88),
        ("han ligger livlös på golvet", "sv", 50),
        ("she isn't answering when we shout her name", "en", 79),
        ("dad doesn't respond at all", "en", 82),
        ("found him lifeless on the floor", "en", 45),
    ],
    "E12-sepsis-signs": [
        ("UVI sen i tisdags och nu är mamma svår att väcka", "sv", 84),
        ("urinvägsinfektion, nu väldigt dåsig och förvirrad", "sv", 79),
        ("blåskatarr och nu jättesovig, går knappt att prata med", "sv", 81),
        ("njurbäckeninflammation och flammig och kall hud", "sv", 52),
        ("lunginflammation, sover hela tiden och andas fort", "sv", 75),
        ("she has a UTI and is really drowsy now", "en", 83),
        ("pyelonephritis and very sleepy", "en", 45),
        ("cellulitis on his leg and now hard to wake", "en", 68),
        ("fever and keeps falling asleep mid sentence", "en", 40),
    ],
}

# Hard negatives: wordings that share the words of a net but are not emergencies.
NOT_EMERGENCY: list[tuple[str, str, int]] = [
    ("kan inte andas genom näsan, snuva sen en vecka", "sv", 30),
    ("tappt i näsan, får ingen luft genom näsan på natten", "sv", 25),
    ("can't breathe through my nose, blocked for days", "en", 28),
    ("no trouble breathing, just a rash", "en", 30),
    ("ingen andnöd, bara hosta", "sv", 40),
    ("mamma svarar inte i telefon sen i morse", "sv", 50),
    ("my dad isn't answering his phone", "en", 50),
    ("he doesn't answer my texts", "en", 30),
    ("fick ingen tid på vårdcentralen", "sv", 40),
    ("ont i bröstet när jag trycker på revbenen", "sv", 35),
    ("UVI, svider när jag kissar", "sv", 30),
    ("UTI, burning when I pee", "en", 28),
    ("lite dåsig av allergitabletten", "sv", 30),
]


def _cases() -> list[tuple[str, str, str, int]]:
    return [(rule, text, lang, age) for rule, rows in SWEEP.items() for text, lang, age in rows]


@pytest.mark.parametrize(("rule", "text", "lang", "age"), _cases())
def test_each_wording_fires_its_emergency_rule(rule: str, text: str, lang: str, age: int) -> None:
    """Every listed wording of a sign reaches emergency through the rule it belongs to."""
    result = assess(text, age, lang)
    assert result.level is Level.EMERGENCY
    assert rule in {reason.rule_id for reason in result.reasons}


@pytest.mark.parametrize(("text", "lang", "age"), NOT_EMERGENCY)
def test_look_alike_wordings_stay_below_emergency(text: str, lang: str, age: int) -> None:
    """Blocked noses, unanswered phones and negated symptoms do not trip the nets."""
    assert assess(text, age, lang).level is not Level.EMERGENCY
