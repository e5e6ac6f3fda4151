"""Swedish personal identity numbers: validated once, then carried as a value.

:func:`parse` accepts the forms people and identity brokers write
(``YYYYMMDD-NNNN``, ``YYYYMMDDNNNN``, ``YYMMDD-NNNN``, ``YYMMDD+NNNN``,
``YYMMDDNNNN``) and returns a :class:`Personnummer` holding the 12-digit form
``YYYYMMDDNNNN``, the one the Swedish OIDC profile's
``personalIdentityNumber`` claim carries and the one stored. The check digit
(Luhn over ``YYMMDDNNN``) and the calendar date are checked by the
``personnummer`` library; a samordningsnummer (coordination number) is the
same with 60 added to the day of birth (Skatteverket, SKV 707).

The value never shows its digits by accident: ``repr`` and ``str`` give the
masked form (``19121212-****``), so a stray log line or traceback does not
carry it; ``digits`` is read explicitly where the number is needed (storage,
the patient's own view). chatserver/logs.py also drops a ``personnummer`` key
and masks any number-shaped string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from personnummer import personnummer as _library

__all__ = ["InvalidPersonnummer", "Personnummer", "parse"]

# Skatteverket: a samordningsnummer is the day of birth plus 60.
COORDINATION_DAY_OFFSET = 60
# Separators of the 10-digit form: '+' once the person has turned 100.
_FORM = re.compile(r"(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+]?)(?P<serial>\d{4})", re.ASCII)
# Birth centuries of people alive or in records (1800s for the oldest archives).
_CENTURIES = frozenset({"18", "19", "20"})


class InvalidPersonnummer(ValueError):
    """Not a valid personnummer or samordningsnummer. The message never repeats
    the input (it may be someone's real number)."""


@dataclass(frozen=True, slots=True)
class Personnummer:
    """A valid personnummer or samordningsnummer, in its 12-digit form."""

    digits: str = field(repr=False)  # YYYYMMDDNNNN
    coordination: bool  # a samordningsnummer (day + 60)
    birth_date: date

    @property
    def masked(self) -> str:
        """For display and logs: the birth part, the last four hidden (``19121212-****``)."""
        return f"{self.digits[:8]}-****"

    @property
    def formatted(self) -> str:
        """The 12-digit form with the usual hyphen (``19121212-1212``), for the patient."""
        return f"{self.digits[:8]}-{self.digits[8:]}"

    def age_on(self, day: date) -> int:
        """Completed years on ``day`` (a person born on 29 February turns a year
        older on 1 March in common years)."""
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"Personnummer({self.masked!r})"


def parse(text: str, *, today: date | None = None) -> Personnummer:
    """The :class:`Personnummer` written in ``text``, or :class:`InvalidPersonnummer`.

    A 10-digit form has no century: it is the most recent birth date not after
    ``today`` (default: the current date), a hundred years earlier with ``+``
    (Skatteverket writes ``+`` from the year the person turns 100). A 12-digit
    form is taken as written; its separator, if any, is ignored.
    """
    match = _FORM.fullmatch(text.strip())
    if match is None:
        raise InvalidPersonnummer("not a personnummer: expected YYYYMMDD-NNNN or YYMMDD-NNNN")
    yymmdd, serial = match["yymmdd"], match["serial"]
    century = match["century"] or _century(yymmdd, match["sep"] == "+", today or date.today())
    if century not in _CENTURIES:
        raise InvalidPersonnummer("not a personnummer: no such birth century")
    digits = century + yymmdd + serial
    try:
        checked = _library.parse(digits)
        born: date = checked.get_date()
        coordination = bool(checked.is_coordination_number())
    except _library.PersonnummerException:
        # The library's message quotes the input: never pass it on.
        raise InvalidPersonnummer("not a personnummer: wrong check digit or no such date") from None
    return Personnummer(digits=digits, coordination=coordination, birth_date=born)


def _century(yymmdd: str, plus: bool, today: date) -> str:
    """The century of a 10-digit form's birth date (see :func:`parse`)."""
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    if dd > COORDINATION_DAY_OFFSET:
        dd -= COORDINATION_DAY_OFFSET
    year = today.year - (today.year - yy) % 100
    # Born later this year than today: a century earlier. An impossible month or
    # day compares however it compares; the library rejects the date anyway.
    if (year, mm, dd) > (today.year, today.month, today.day):
        year -= 100
    if plus:
        year -= 100
    return f"{year // 100:02d}"
