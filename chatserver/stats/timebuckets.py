"""Calendar days, ISO weeks and months in Europe/Stockholm, as UTC instants (pure).

Statistics are reported per local calendar day, so a day is not always 24
hours: 2026-03-29 has 23 and 2026-10-25 has 25. Every boundary here comes
from :mod:`zoneinfo`, never from adding 86,400 seconds.

The store groups contacts by *UTC hour* (``floor(t / 3600)``) and this module
maps each UTC hour to its local date, hour and weekday. That is exact because
Sweden's offsets (+01:00, +02:00) are whole hours, so one UTC hour never
straddles a local midnight; :func:`check_whole_hour_zone` guards the assumption.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chatserver.http.params import iso_day

__all__ = [
    "BUCKETS",
    "STATS_ZONE",
    "bucket_start",
    "bucket_starts",
    "check_whole_hour_zone",
    "day_start_utc",
    "days",
    "local_hour_of",
    "parse_date",
    "period_bounds",
]

# The contract fixes the statistics time zone ("dates in Europe/Stockholm").
STATS_ZONE = ZoneInfo("Europe/Stockholm")
BUCKETS = ("day", "week", "month")


def parse_date(text: str) -> date:
    """Strict ``YYYY-MM-DD`` (no times, no week dates) inside the calendar range
    that date arithmetic here cannot overflow (:func:`chatserver.http.params.iso_day`);
    ValueError otherwise."""
    return iso_day(text)


def day_start_utc(day: date, zone: ZoneInfo = STATS_ZONE) -> float:
    """UTC seconds of local midnight starting ``day`` (midnight always exists in
    Sweden: the clocks change at 02:00/03:00)."""
    return datetime.combine(day, time(0), tzinfo=zone).timestamp()


def period_bounds(first: date, last: date, zone: ZoneInfo = STATS_ZONE) -> tuple[float, float]:
    """``[start, end)`` in UTC seconds covering the local days ``first``..``last``."""
    return day_start_utc(first, zone), day_start_utc(last + timedelta(days=1), zone)


def bucket_start(day: date, bucket: str) -> date:
    """The first day of the bucket holding ``day``: itself, the ISO week's
    Monday, or the first of the month."""
    if bucket == "day":
        return day
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown bucket {bucket!r}")


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def bucket_starts(first: date, last: date, bucket: str) -> list[date]:
    """Start of every bucket that overlaps ``first``..``last``, in order."""
    starts: list[date] = []
    for day in days(first, last):
        start = bucket_start(day, bucket)
        if not starts or starts[-1] != start:
            starts.append(start)
    return starts


def local_hour_of(utc_hour: int, zone: ZoneInfo = STATS_ZONE) -> datetime:
    """Local wall-clock time at the start of UTC hour number ``utc_hour``
    (hours since the epoch)."""
    return datetime.fromtimestamp(utc_hour * 3600, tz=UTC).astimezone(zone)


def check_whole_hour_zone(zone: ZoneInfo, year: int) -> None:
    """Raise ValueError unless every UTC offset of ``zone`` in ``year`` is a
    whole number of hours (the UTC-hour grouping depends on it)."""
    moment = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    while moment < end:
        offset = moment.astimezone(zone).utcoffset()
        if offset is None or offset.total_seconds() % 3600:
            raise ValueError(f"{zone} has a UTC offset that is not whole hours in {year}")
        moment += timedelta(days=7)
