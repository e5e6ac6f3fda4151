"""Bounded parsing of request parameters: integers, ids, days, moments, epoch seconds.

Every path parameter, query parameter and JSON integer that becomes a number,
a date or an SQL parameter goes through here, so that no input can raise past
the handler (the contract: bad input gets a documented 4xx, never a 500).

- Integers are ASCII digits only (``²`` and ``٣`` pass :meth:`str.isdigit`,
  and ``int()`` accepts them), at most :data:`MAX_INT_CHARS` characters
  (``int()`` refuses more than 4,300 digits with a ValueError and is quadratic
  below that), and inside a range that fits SQL: SQLite's INTEGER and
  PostgreSQL's ``bigint`` end at 2**63 - 1, where a larger Python int raises
  OverflowError in the driver.
- Dates are ``YYYY-MM-DD`` in ASCII between :data:`DAY_MIN` and
  :data:`DAY_MAX`. The service holds nothing from before 1970, and the last
  year of the calendar is kept free so that the day after, the week's Monday,
  the month's first day or a UTC offset never leave ``datetime``'s range
  (``date(9999, 12, 31) + timedelta(days=1)`` raises OverflowError).
- Moments (ISO 8601) are at most :data:`MAX_MOMENT_CHARS` ASCII characters and
  their local date is held to the same range before any conversion.

Refusals are :class:`~chatserver.errors.InvalidInput` (422 ``invalid_field``,
``fields`` naming the parameter) or, for an id in the path that cannot name
anything, the route's own 404 code. Limits: docs/security.md "Input limits".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from chatserver.errors import InvalidInput, NotFoundError

__all__ = [
    "DAY_MAX",
    "DAY_MIN",
    "EPOCH_MAX",
    "EPOCH_PATTERN",
    "MAX_INT_CHARS",
    "MAX_MOMENT_CHARS",
    "SQL_INT_MAX",
    "iso_day",
    "json_int",
    "parse_day",
    "parse_epoch",
    "parse_int",
    "parse_moment",
    "path_id",
    "query_int",
    "sql_id",
]

# SQLite INTEGER and PostgreSQL bigint: signed 64 bits.
SQL_INT_MAX = 2**63 - 1
# len("-9223372036854775807") == 20; a few leading zeros still fit.
MAX_INT_CHARS = 24
DAY_MIN = date(1970, 1, 1)
DAY_MAX = date(9998, 12, 31)
# Epoch seconds of the end of DAY_MAX (UTC).
EPOCH_MAX = datetime.combine(DAY_MAX, time.max, tzinfo=UTC).timestamp()
# "2026-03-29T02:30:00.123456+01:00" is 32 characters.
MAX_MOMENT_CHARS = 40

_INT = re.compile(r"-?[0-9]+", re.ASCII)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# Epoch seconds in a query string (also the pattern of the OpenAPI document).
EPOCH_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,9})?$"
_EPOCH = re.compile(EPOCH_PATTERN[1:-1], re.ASCII)


def _refuse(name: str, expected: str) -> InvalidInput:
    return InvalidInput("invalid_field", f"{name} must be {expected}", fields={name: expected})


def parse_int(raw: str, name: str, *, low: int, high: int) -> int:
    """A whole number ``low..high`` in ASCII digits (a leading ``-`` only when
    ``low`` is negative); 422 ``invalid_field`` otherwise."""
    expected = f"an integer {low}..{high}"
    if (
        not isinstance(raw, str)
        or len(raw) > MAX_INT_CHARS
        or not _INT.fullmatch(raw)
        or (raw.startswith("-") and low >= 0)
    ):
        raise _refuse(name, expected)
    value = int(raw)
    if not low <= value <= high:
        raise _refuse(name, expected)
    return value


def query_int(
    params: Mapping[str, str], name: str, *, low: int, high: int, default: int | None = None
) -> int:
    """Query parameter ``name`` as :func:`parse_int`; ``default`` when absent
    (required when ``default`` is None)."""
    raw = params.get(name)
    if raw is None and default is not None:
        return default
    return parse_int(raw if raw is not None else "", name, low=low, high=high)


def sql_id(raw: str) -> int | None:
    """``raw`` as a row id (1..2**63-1, ASCII digits), or None when it cannot be one."""
    if len(raw) > MAX_INT_CHARS or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 1 <= value <= SQL_INT_MAX else None


def path_id(path_params: Mapping[str, Any], name: str, code: str, message: str) -> int:
    """Path parameter ``name`` as a row id; one that cannot be an id names no
    row: 404 ``code`` (the route's own, e.g. ``unknown_user``)."""
    found = sql_id(str(path_params.get(name, "")))
    if found is None:
        raise NotFoundError(code, message)
    return found


def json_int(value: Any, name: str, *, low: int, high: int) -> int:
    """A JSON number that must be a whole number ``low..high`` (not a bool, not
    a float); 422 ``invalid_field`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _refuse(name, f"an integer {low}..{high}")
    return value


def iso_day(text: str) -> date:
    """Strict ``YYYY-MM-DD`` in :data:`DAY_MIN`..:data:`DAY_MAX`; ValueError otherwise."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        raise ValueError("expected a date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(text)
    except ValueError:  # 2026-02-30
        raise ValueError("expected a date that exists, as YYYY-MM-DD") from None
    if not DAY_MIN <= day <= DAY_MAX:
        raise ValueError(f"expected a date {DAY_MIN}..{DAY_MAX}")
    return day


def parse_day(raw: str | None, name: str) -> date:
    """Query parameter value ``raw`` as :func:`iso_day`; 422 ``invalid_field`` otherwise."""
    try:
        return iso_day(raw if raw is not None else "")
    except ValueError:
        raise _refuse(name, f"a date as YYYY-MM-DD, {DAY_MIN}..{DAY_MAX}") from None


def parse_moment(raw: str, name: str, *, zone: tzinfo = UTC) -> datetime:
    """ISO 8601 date and time (an offset, or ``zone`` when it has none), with
    its date in :data:`DAY_MIN`..:data:`DAY_MAX`: an aware datetime that can be
    converted to any zone or to epoch seconds without overflow."""
    expected = f"an ISO 8601 time, {DAY_MIN}..{DAY_MAX}"
    if not isinstance(raw, str) or len(raw) > MAX_MOMENT_CHARS or not raw.isascii():
        raise _refuse(name, expected)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise _refuse(name, expected) from None
    if not DAY_MIN <= moment.date() <= DAY_MAX:
        raise _refuse(name, expected)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def parse_epoch(raw: str, name: str) -> float:
    """Epoch seconds (ASCII digits, an optional fraction) up to :data:`EPOCH_MAX`;
    no sign, exponent, ``nan`` or ``inf``."""
    expected = f"epoch seconds 0..{int(EPOCH_MAX)}"
    if not isinstance(raw, str) or not _EPOCH.fullmatch(raw):
        raise _refuse(name, expected)
    value = float(raw)
    if value > EPOCH_MAX:
        raise _refuse(name, expected)
    return value
