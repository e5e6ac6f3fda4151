"""Patient-facing advice per level, in Swedish and English.

Phone numbers (Swedish public services):
- 112: emergency number (SOS Alarm), for life-threatening situations.
- 1177: Vårdguiden's advice line, around the clock; tells you where to go when the
  vårdcentral is closed (jourcentral / akutmottagning).
- 90101: Självmordslinjen (Mind), around the clock; given alongside 112 (never instead of
  it) when suicidal thoughts are the concern.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from triage.model import LANGUAGES, Advice, Level

EMERGENCY_NUMBER = "112"
ADVICE_LINE = "1177"
SUICIDE_LINE = "90101"
MENTAL_HEALTH = "mental_health"

_TEXTS: dict[tuple[Level, str, str], str] = {
    (Level.EMERGENCY, "sv", "default"): (
        "Ring 112 nu. Det du beskriver kan vara livshotande och behöver bedömas direkt. "
        "Vänta inte på svar i chatten."
    ),
    (Level.EMERGENCY, "en", "default"): (
        "Call 112 now. What you describe may be life-threatening and needs to be assessed "
        "immediately. Do not wait for a reply in the chat."
    ),
    (Level.EMERGENCY, "sv", "mental_health"): (
        "Ring 112 nu om du är i fara eller redan har tagit något. Du kan också ringa "
        "Självmordslinjen 90101, dygnet runt. Stanna inte ensam: berätta för någon i "
        "närheten hur du mår."
    ),
    (Level.EMERGENCY, "en", "mental_health"): (
        "Call 112 now if you are in danger or have already taken something. You can also "
        "call the Swedish suicide line Självmordslinjen on 90101, day and night. Do not stay "
        "alone: tell someone near you how you feel."
    ),
    (Level.URGENT, "sv", "default"): (
        "Du behöver bedömas i dag. Ring din vårdcentral nu för en tid i dag. Om du blir "
        "sämre, ring 1177 för råd eller 112 vid livshotande besvär."
    ),
    (Level.URGENT, "en", "default"): (
        "You need to be assessed today. Call your health centre (vårdcentral) now for an "
        "appointment today. If you get worse, call 1177 for advice, or 112 if it is "
        "life-threatening."
    ),
    (Level.URGENT, "sv", "outside_hours"): (
        "Du behöver bedömas i dag. Vårdcentralen är stängd nu: ring 1177 så får du hjälp att "
        "hitta rätt jourmottagning eller akutmottagning. Vid livshotande besvär, ring 112."
    ),
    (Level.URGENT, "en", "outside_hours"): (
        "You need to be assessed today. The health centre is closed now: call 1177 and they "
        "will tell you which out-of-hours clinic or emergency department to go to. If it is "
        "life-threatening, call 112."
    ),
    (Level.STANDARD, "sv", "default"): (
        "Du behöver bedömas av vården inom några dagar. Boka en tid hos vårdcentralen eller "
        "via 1177.se. Om du blir sämre, ring 1177 för råd, eller 112 vid livshotande besvär."
    ),
    (Level.STANDARD, "en", "default"): (
        "You should be seen within a few days. Book an appointment with the health centre "
        "or via 1177.se. If you get worse, call 1177 for advice, or 112 if it is "
        "life-threatening."
    ),
    (Level.NON_URGENT, "sv", "default"): (
        "Vi hanterar ditt ärende, vanligtvis inom några dagar. Recept, provsvar, intyg och "
        "bokningar kan du också sköta via 1177.se. Hör av dig igen om du får nya besvär."
    ),
    (Level.NON_URGENT, "en", "default"): (
        "We will handle your request, usually within a few days. Prescriptions, test "
        "results, certificates and bookings can also be handled via 1177.se. Contact us "
        "again if you get new symptoms."
    ),
}

_SUICIDE_LINE_NOTE = {
    "sv": " Du kan också ringa Självmordslinjen 90101, dygnet runt.",
    "en": " You can also call Självmordslinjen on 90101, day and night.",
}


def advice_for(
    level: Level | str,
    lang: str = "sv",
    *,
    tags: Iterable[str] = (),
    outside_hours: bool = False,
) -> Advice:
    """Advice for `level` in `lang` (unknown languages fall back to Swedish).

    Raises ValueError for an unknown level string.
    """
    language = lang if lang in LANGUAGES else "sv"
    mental = MENTAL_HEALTH in set(tags)
    return cached_advice(Level(level), language, mental_health=mental, outside_hours=outside_hours)


@functools.cache
def cached_advice(lvl: Level, language: str, *, mental_health: bool, outside_hours: bool) -> Advice:
    """The advice for already-normalised arguments (`language` in LANGUAGES).

    Advice objects are immutable and there are only a few dozen combinations, so each
    is built once and shared by every call.
    """
    mental = mental_health
    numbers: tuple[str, ...]
    if lvl is Level.EMERGENCY:
        variant = "mental_health" if mental else "default"
        text = _TEXTS[(lvl, language, variant)]
        numbers = (EMERGENCY_NUMBER, SUICIDE_LINE) if mental else (EMERGENCY_NUMBER,)
    elif lvl is Level.URGENT:
        text = _TEXTS[(lvl, language, "outside_hours" if outside_hours else "default")]
        numbers = (ADVICE_LINE, EMERGENCY_NUMBER)
        if mental:
            text += _SUICIDE_LINE_NOTE[language]
            numbers = (ADVICE_LINE, SUICIDE_LINE, EMERGENCY_NUMBER)
    elif lvl is Level.STANDARD:
        text = _TEXTS[(lvl, language, "default")]
        numbers = (ADVICE_LINE,)
    else:
        text = _TEXTS[(lvl, language, "default")]
        numbers = ()
    return Advice(level=lvl, lang=language, text=text, phone_numbers=numbers)
