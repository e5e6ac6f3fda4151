"""Opening hours, the pure part: schedules, exceptions, intake stop, DST."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from chatserver.admin.hours import DEFAULT_HOURS, Hours, iso, parse_hours, status
from chatserver.errors import InvalidInput

from .util import local

# Tuesday 24 November 2026 (winter time, UTC+1).
TUE = datetime(2026, 11, 24)


def at(day: datetime, hh: int, mm: int = 0) -> float:
    return local(day.replace(hour=hh, minute=mm))


def test_default_hours_open_on_a_weekday_morning() -> None:
    """The default (weekdays 08–17) is open at 10:00 on a Tuesday; next change is 16:45."""
    st = status(DEFAULT_HOURS, at(TUE, 10), 15)
    assert st.open is True
    assert iso(st.next_change) == "2026-11-24T16:45:00+01:00"
    assert iso(st.next_open) == "2026-11-25T08:00:00+01:00"


def test_intake_stops_before_closing() -> None:
    """At 16:50 intake has stopped (15 min before 17:00); it reopens at 08:00 next day."""
    st = status(DEFAULT_HOURS, at(TUE, 16, 50), 15)
    assert st.open is False
    assert iso(st.next_open) == "2026-11-25T08:00:00+01:00"
    assert st.next_change == st.next_open


def test_closed_before_opening() -> None:
    """At 07:59 the unit is closed and opens at 08:00 the same day."""
    st = status(DEFAULT_HOURS, at(TUE, 7, 59), 15)
    assert (st.open, iso(st.next_open)) == (False, "2026-11-24T08:00:00+01:00")


def test_weekend_reopens_monday() -> None:
    """Friday 17:30 → the next opening is Monday 08:00."""
    st = status(DEFAULT_HOURS, at(datetime(2026, 11, 27), 17, 30), 15)
    assert (st.open, iso(st.next_open)) == (False, "2026-11-30T08:00:00+01:00")


def test_exception_closes_a_day() -> None:
    """An empty exception closes the date; the weekly hours resume after it."""
    hours = Hours(weekly=DEFAULT_HOURS.weekly, exceptions={date(2026, 12, 24): ()})
    st = status(hours, at(datetime(2026, 12, 24), 10), 15)
    assert (st.open, iso(st.next_open)) == (False, "2026-12-25T08:00:00+01:00")


def test_exception_changes_hours() -> None:
    """Changed hours on a date replace the weekly ones (10–12 only)."""
    hours = Hours(
        weekly=DEFAULT_HOURS.weekly, exceptions={date(2026, 11, 24): ((time(10), time(12)),)}
    )
    assert status(hours, at(TUE, 9), 0).open is False
    st = status(hours, at(TUE, 11), 0)
    assert (st.open, iso(st.next_change)) == (True, "2026-11-24T12:00:00+01:00")


def test_summer_time_keeps_wall_clock() -> None:
    """In summer (UTC+2) the unit still opens at 08:00 local time."""
    st = status(DEFAULT_HOURS, at(datetime(2026, 6, 16), 7), 15)
    assert iso(st.next_open) == "2026-06-16T08:00:00+02:00"


def test_dst_switch_day() -> None:
    """On the Monday after the spring switch (30 March 2026) hours are local."""
    st = status(DEFAULT_HOURS, at(datetime(2026, 3, 30), 12), 15)
    assert (st.open, iso(st.next_change)) == (True, "2026-03-30T16:45:00+02:00")


def test_midnight_intervals_merge() -> None:
    """Open 20:00–24:00 and 00:00–06:00 is one window when there is no intake stop."""
    hours = parse_hours({"weekly": {"tue": [["20:00", "24:00"]], "wed": [["00:00", "06:00"]]}})
    st = status(hours, at(TUE, 23), 0)
    assert (st.open, iso(st.next_change)) == (True, "2026-11-25T06:00:00+01:00")


def test_never_open() -> None:
    """A schedule with no hours at all is closed with no next opening."""
    st = status(Hours(weekly={}), at(TUE, 10), 15)
    assert (st.open, st.next_change, st.next_open) == (False, None, None)


def test_split_day_next_open_is_afternoon() -> None:
    """Morning and afternoon hours: at lunch the next opening is 13:00."""
    hours = parse_hours({"weekly": {"tue": [["13:00", "16:00"], ["08:00", "12:00"]]}})
    st = status(hours, at(TUE, 12, 30), 0)
    assert (st.open, iso(st.next_open)) == (False, "2026-11-24T13:00:00+01:00")
    st = status(hours, at(TUE, 9), 0)
    assert (iso(st.next_change), iso(st.next_open)) == (
        "2026-11-24T12:00:00+01:00",
        "2026-11-24T13:00:00+01:00",
    )


def test_unit_stop_overrides_default() -> None:
    """A unit's own intake_stop_min wins over the service default."""
    hours = parse_hours({"weekly": {"tue": [["08:00", "17:00"]]}, "intake_stop_min": 60})
    assert status(hours, at(TUE, 16, 30), 15).open is False
    assert status(hours, at(TUE, 15, 59), 15).open is True


def test_round_trip() -> None:
    """parse_hours(to_dict()) gives the same schedule back."""
    doc = {
        "weekly": {"mon": [["08:00", "12:00"], ["13:00", "24:00"]]},
        "exceptions": {"2026-12-24": [], "2026-12-31": [["08:00", "12:00"]]},
        "intake_stop_min": 30,
    }
    hours = parse_hours(doc)
    assert parse_hours(hours.to_dict()) == hours
    assert hours.to_dict()["weekly"]["mon"] == [["08:00", "12:00"], ["13:00", "24:00"]]
    assert hours.to_dict()["weekly"]["sun"] == []


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"weekly": {"funday": []}}, "weekly"),
        ({"weekly": {"mon": [["8:00", "17:00"]]}}, "weekly.mon.0"),
        ({"weekly": {"mon": [["17:00", "08:00"]]}}, "weekly.mon.0"),
        ({"weekly": {"mon": [["08:00"]]}}, "weekly.mon.0"),
        ({"weekly": {"mon": "08-17"}}, "weekly.mon"),
        ({"exceptions": {"24/12": []}}, "exceptions.24/12"),
        ({"intake_stop_min": 300}, "intake_stop_min"),
        ({"intake_stop_min": True}, "intake_stop_min"),
    ],
)
def test_invalid_hours_name_the_field(doc: dict[str, object], field: str) -> None:
    """Bad schedules are 422 invalid_field naming the offending field."""
    with pytest.raises(InvalidInput) as info:
        parse_hours(doc)
    assert info.value.code == "invalid_field"
    assert info.value.fields is not None
    assert field in info.value.fields
