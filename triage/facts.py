"""Numeric facts read from the folded text: body temperature and an infant's age in months.

The criteria for infants depend on both (Rikshandboken BHV: fever ≥ 38.0 under three
months is an emergency, ≥ 39.0 at three to six months is urgent), and parents write
them as "38,5 i feber", "temperature of 38.2", "5 mån", "2 month old", "5 veckor".
"""

from __future__ import annotations

import re

# A temperature with a decimal (38,5 / 38.5) in the fever range is almost never anything
# else; a whole number (39) counts only next to a fever word or "grader"/"°".
_DECIMAL_TEMP = re.compile(r"(?<![\d/.,])(3[5-9]|4[0-3])[.,](\d)\d?(?![\d/])")
_WHOLE_TEMP = re.compile(
    r"(?<![\d/.,])(3[5-9]|4[0-3])(?:\s*(?:graders?|°c?|c\b)|(?=\s+i\s+feber))"
    r"|(?:feber|febern|fever|temp\w*)\D{0,25}?(?<![\d/.,])(3[5-9]|4[0-3])(?![\d/.,])"
)
_NUMBER_WORDS = {
    "en": 1, "ett": 1, "one": 1, "a": 1, "an": 1, "tva": 2, "two": 2, "tre": 3, "three": 3,
    "fyra": 4, "four": 4, "fem": 5, "five": 5, "sex": 6, "six": 6, "sju": 7, "seven": 7,
    "atta": 8, "eight": 8, "nio": 9, "nine": 9, "tio": 10, "ten": 10, "elva": 11, "eleven": 11,
}  # fmt: skip
_NUM = r"(\d{1,2}|" + "|".join(_NUMBER_WORDS) + ")"
# Words before a duration that make it "how long", not "how old" ("feber sedan 2 veckor").
_NOT_AGE_BEFORE = frozenset(
    {"sen", "sedan", "for", "i", "in", "since", "last", "past", "om", "within", "after", "efter"}
)
_AGE = re.compile(
    r"(?:(\S+)\s+)?\b" + _NUM + r"[\s-]*"
    r"(manaders|manader|manad|man|mnd|months?|mo|veckors|veckor|vecka|v|weeks?|wk|dagar|dygn|days?)\b"
)
_NEWBORN = re.compile(r"\b(nyfodd\w*|newborn|neonat\w*)")
_WEEKS_PER_MONTH = 4.35
_DAYS_PER_MONTH = 30.4


def temperature(folded: str) -> float | None:
    """Highest body temperature (°C) written in the text, if any."""
    if "3" not in folded and "4" not in folded:
        return None  # every temperature pattern needs a 3x or 4x: skip the regexes
    found = [float(f"{m.group(1)}.{m.group(2)}") for m in _DECIMAL_TEMP.finditer(folded)]
    for match in _WHOLE_TEMP.finditer(folded):
        found.append(float(match.group(1) or match.group(2)))
    return max(found) if found else None


def infant_age_months(folded: str) -> float | None:
    """Age in months of a baby described in the text ("5 mån", "2 month old"), if stated."""
    if _NEWBORN.search(folded):
        return 0.0
    for match in _AGE.finditer(folded):
        before, number, unit = match.group(1), match.group(2), match.group(3)
        if before in _NOT_AGE_BEFORE:
            continue
        value = float(_NUMBER_WORDS.get(number) or int(number))
        if unit.startswith(("v", "w")):
            return value / _WEEKS_PER_MONTH
        if unit.startswith("d"):
            return value / _DAYS_PER_MONTH
        return value
    return None
