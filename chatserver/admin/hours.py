"""Opening hours of a unit (pure): a weekly schedule plus dated exceptions.

All wall-clock times are Europe/Stockholm (``zoneinfo``), so a unit that opens
at 08:00 opens at 08:00 in winter and summer alike. Intake stops
``intake_stop_min`` minutes before each closing time; chats already going on
are not affected (the gate only guards ``POST /api/contacts``).

JSON shape (admin API, stored as one document per unit)::

    {"weekly": {"mon": [["08:00", "17:00"]], ..., "sun": []},
     "exceptions": {"2026-12-24": [], "2026-12-23": [["08:00", "12:00"]]},
     "intake_stop_min": 15}        # optional: the service default otherwise

An exception replaces the weekly hours of that date (``[]`` = closed all day).
A unit that follows the Swedish public holidays (the default; migration 0018,
:mod:`chatserver.admin.public_holidays`) is closed on them, unless an exception
for that date says otherwise: exceptions win over holidays, holidays over the
weekly hours.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from chatserver.admin.public_holidays import holiday_name
from chatserver.errors import InvalidInput
from chatserver.http.params import DAY_MAX, DAY_MIN, iso_day, json_int

TZ = ZoneInfo("Europe/Stockholm")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# How far ahead the next opening is searched: a unit closed for a whole summer
# (five or six weeks) still gets its reopening date, and a year is cheap.
SEARCH_DAYS = 366
# At most this many opening intervals a day (e.g. morning and afternoon).
MAX_INTERVALS_PER_DAY = 6
# At most this many dated exceptions per unit: a few years of holidays.
MAX_EXCEPTIONS = 400
# Intake may stop at most four hours before closing.
MAX_INTAKE_STOP_MIN = 240

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$", re.ASCII)

Interval = tuple[time, time | None]  # None close = midnight at the end of the day


@dataclass(frozen=True, slots=True)
class Hours:
    weekly: Mapping[int, tuple[Interval, ...]]
    exceptions: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)
    intake_stop_min: int | None = None
    # Closed on Swedish public holidays (the unit's flag, not part of the document).
    public_holidays: bool = False

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        if self.public_holidays and holiday_name(day) is not None:
            return ()
        return self.weekly.get(day.weekday(), ())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "weekly": {DAYS[d]: _intervals_out(self.weekly.get(d, ())) for d in range(7)},
            "exceptions": {
                d.isoformat(): _intervals_out(iv) for d, iv in sorted(self.exceptions.items())
            },
        }
        if self.intake_stop_min is not None:
            out["intake_stop_min"] = self.intake_stop_min
        return out


# Units without --always-open and without configured hours: weekdays 08–17,
# the usual opening hours of a Swedish health centre's telephone and drop-in
# (closed on public holidays too unless the unit opts out: Operations.hours_of).
DEFAULT_HOURS = Hours(
    weekly={d: ((time(8, 0), time(17, 0)),) for d in range(5)},
)


@dataclass(frozen=True, slots=True)
class Status:
    """Whether intake is open at an instant, and when that changes next."""

    open: bool
    next_change: float | None  # UTC epoch seconds; None = never within SEARCH_DAYS
    next_open: float | None  # when closed: next time intake opens

    def to_dict(self) -> dict[str, Any]:
        return {
            "open": self.open,
            "next_change": iso(self.next_change),
            "next_open": iso(self.next_open),
        }


def iso(at: float | None) -> str | None:
    """Local time with its UTC offset, e.g. ``2026-11-24T08:00:00+01:00``."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, TZ).isoformat(timespec="seconds")


def intake_windows(hours: Hours, day: date, stop_min: int) -> list[tuple[float, float]]:
    """The day's ``[open, intake stop)`` windows as UTC epoch seconds, merged."""
    out: list[tuple[float, float]] = []
    for start, end in sorted(hours.intervals_on(day), key=lambda iv: iv[0]):
        t0 = datetime.combine(day, start, TZ).timestamp()
        if end is None:
            t1 = datetime.combine(day + timedelta(days=1), time(0, 0), TZ).timestamp()
        else:
            t1 = datetime.combine(day, end, TZ).timestamp()
        t1 -= stop_min * 60
        if t1 <= t0:
            continue
        if out and t0 <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], t1))
        else:
            out.append((t0, t1))
    return out


def status(hours: Hours, now: float, default_stop_min: int) -> Status:
    """Intake open at ``now``? And the next change (close or open) after it."""
    stop = hours.intake_stop_min if hours.intake_stop_min is not None else default_stop_min
    today = datetime.fromtimestamp(now, TZ).date()
    # Yesterday too: an interval to 24:00 merges with one from 00:00 today.
    windows: list[tuple[float, float]] = []
    for offset in range(-1, SEARCH_DAYS + 1):
        for w in intake_windows(hours, today + timedelta(days=offset), stop):
            if windows and w[0] <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(windows[-1][1], w[1]))
            else:
                windows.append(w)
        # Once a window starting after now is found the answer is known.
        if offset >= 0 and windows and windows[-1][0] > now and len(windows) > 1:
            break
    for start, end in windows:
        if start <= now < end:
            after = [w for w in windows if w[0] > end]
            return Status(True, end, after[0][0] if after else None)
        if start > now:
            return Status(False, start, start)
    return Status(False, None, None)


# -- parsing (admin API) -------------------------------------------------------


def _parse_time(value: Any, where: str) -> time | None:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise InvalidInput("invalid_field", "times are HH:MM", fields={where: "HH:MM"})
    if value == "24:00":
        return None
    h, m = value.split(":")
    return time(int(h), int(m))


def _parse_intervals(value: Any, where: str) -> tuple[Interval, ...]:
    if not isinstance(value, list) or len(value) > MAX_INTERVALS_PER_DAY:
        raise InvalidInput(
            "invalid_field",
            f"a day is a list of at most {MAX_INTERVALS_PER_DAY} [open, close] pairs",
            fields={where: "list of [HH:MM, HH:MM]"},
        )
    out: list[Interval] = []
    for i, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidInput(
                "invalid_field", "an interval is [open, close]", fields={f"{where}.{i}": "pair"}
            )
        start = _parse_time(pair[0], f"{where}.{i}")
        end = _parse_time(pair[1], f"{where}.{i}")
        if start is None or (end is not None and end <= start):
            raise InvalidInput(
                "invalid_field",
                "closing time must be after opening time",
                fields={f"{where}.{i}": "close after open"},
            )
        out.append((start, end))
    return tuple(sorted(out, key=lambda iv: iv[0]))


def parse_hours(data: Any) -> Hours:
    """Validate the admin API's JSON; raises InvalidInput (422) with ``fields``."""
    if not isinstance(data, dict):
        raise InvalidInput("invalid_body", "the body must be a JSON object")
    weekly_in = data.get("weekly", {})
    if not isinstance(weekly_in, dict) or set(weekly_in) - set(DAYS):
        raise InvalidInput(
            "invalid_field", "weekly maps mon..sun to intervals", fields={"weekly": "mon..sun"}
        )
    weekly: dict[int, tuple[Interval, ...]] = dict.fromkeys(range(7), ())
    for name, v in weekly_in.items():
        weekly[DAYS.index(name)] = _parse_intervals(v, f"weekly.{name}")
    exc_in = data.get("exceptions", {})
    if not isinstance(exc_in, dict) or len(exc_in) > MAX_EXCEPTIONS:
        raise InvalidInput(
            "invalid_field",
            f"exceptions maps at most {MAX_EXCEPTIONS} dates to intervals",
            fields={"exceptions": "object"},
        )
    exceptions: dict[date, tuple[Interval, ...]] = {}
    for key, v in exc_in.items():
        try:
            day = iso_day(key)
        except ValueError:
            raise InvalidInput(
                "invalid_field",
                f"exception dates are YYYY-MM-DD, {DAY_MIN}..{DAY_MAX}",
                fields={f"exceptions.{key[:64]}": "date"},
            ) from None
        exceptions[day] = _parse_intervals(v, f"exceptions.{key}")
    stop = data.get("intake_stop_min")
    if stop is not None:
        stop = json_int(stop, "intake_stop_min", low=0, high=MAX_INTAKE_STOP_MIN)
    return Hours(weekly=weekly, exceptions=exceptions, intake_stop_min=stop)


def _intervals_out(intervals: Sequence[Interval]) -> list[list[str]]:
    return [[s.strftime("%H:%M"), e.strftime("%H:%M") if e else "24:00"] for s, e in intervals]
