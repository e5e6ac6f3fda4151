"""Swedish public holidays (pure): which dates close a unit that follows them.

The calendar is the ``holidays`` package's Sweden: the public holidays
(``helgdagar``: nyårsdagen, trettondedag jul, långfredagen, påskdagen, annandag
påsk, första maj, Kristi himmelsfärdsdag, pingstdagen, nationaldagen,
midsommardagen, alla helgons dag, juldagen, annandag jul) plus its de-facto
category, midsommarafton, julafton and nyårsafton, which are not holidays in
law but on which Swedish health centres close like on one. Ordinary Sundays
are left out (``include_sundays=False``): the weekly hours decide those.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, timedelta
from types import MappingProxyType

import holidays

__all__ = ["holiday_name", "next_holidays", "swedish_holidays"]

# Days searched ahead for :func:`next_holidays` (the calendar is sparse: the
# longest gap, alla helgons dag to julafton, is under two months).
LOOKAHEAD_DAYS = 400


@functools.lru_cache(maxsize=16)
def swedish_holidays(year: int) -> Mapping[date, str]:
    """The year's closing days with their Swedish names."""
    calendar = holidays.country_holidays(
        "SE",
        years=year,
        categories=(holidays.PUBLIC, holidays.DE_FACTO),
        language="sv",
        include_sundays=False,
    )
    return MappingProxyType(dict(sorted(calendar.items())))


def holiday_name(day: date) -> str | None:
    """The holiday's Swedish name, or None on an ordinary day."""
    return swedish_holidays(day.year).get(day)


def next_holidays(start: date, count: int) -> list[tuple[date, str]]:
    """The first ``count`` holidays on or after ``start``, in date order."""
    out: list[tuple[date, str]] = []
    year = start.year
    while len(out) < count and date(year, 1, 1) <= start + timedelta(days=LOOKAHEAD_DAYS):
        out.extend((d, n) for d, n in swedish_holidays(year).items() if d >= start)
        year += 1
    return out[:count]
