"""Parsing and validating a visit-count import (pure; all or nothing).

``POST /api/stats/visits`` takes JSON ``{"rows": [...]}`` or ``text/csv`` with
the header ``date,unit_id,channel,count``. Every row is checked and every bad
row reported; the caller stores nothing unless :attr:`ParsedImport.errors` is
empty.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from chatserver.http.params import DAY_MAX, DAY_MIN, MAX_INT_CHARS

from .channel_shift import CHANNELS
from .timebuckets import parse_date

__all__ = [
    "CSV_HEADER",
    "MAX_COUNT",
    "MAX_ROWS",
    "ParsedImport",
    "RowError",
    "VisitRow",
    "check_units",
    "parse_csv",
    "parse_json",
]

CSV_HEADER = ("date", "unit_id", "channel", "count")
# A year of daily rows for 30 units and three channels is ~33,000 rows; 100,000
# leaves room for a multi-year back-fill while bounding one request's work.
MAX_ROWS = 100_000
# No health centre has a million visits in one channel on one day; a larger
# number is a unit mix-up (e.g. a sum over the region) or a typo.
MAX_COUNT = 1_000_000
# Errors listed in one answer; the total is always given.
MAX_REPORTED_ERRORS = 100


@dataclass(frozen=True, slots=True)
class VisitRow:
    date: date
    unit_id: str
    channel: str
    count: int
    row: int = 0  # 1-based data row it came from (for error reports)


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 1-based data row (the CSV header is not a row)
    fields: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "fields": self.fields}


@dataclass
class ParsedImport:
    rows: list[VisitRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    problem: str | None = None  # whole-body problem (not a row): bad shape, header, size

    @property
    def ok(self) -> bool:
        return self.problem is None and not self.errors


def _row(number: int, raw: dict[str, Any]) -> VisitRow | RowError:
    problems: dict[str, str] = {}
    day: date | None = None
    try:
        day = parse_date(raw.get("date"))  # type: ignore[arg-type]
    except ValueError:
        problems["date"] = f"a date as YYYY-MM-DD, {DAY_MIN}..{DAY_MAX}"
    unit_id = raw.get("unit_id")
    if not isinstance(unit_id, str) or not 1 <= len(unit_id) <= 64:
        problems["unit_id"] = "a unit id"
    channel = raw.get("channel")
    if channel not in CHANNELS:
        problems["channel"] = "one of physical, phone, video"
    count = raw.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
        problems["count"] = f"an integer from 0 to {MAX_COUNT}"
    if problems:
        return RowError(number, problems)
    assert day is not None
    assert isinstance(unit_id, str)
    assert isinstance(channel, str)
    assert isinstance(count, int)
    return VisitRow(day, unit_id, channel, count, number)


def _collect(rows: list[tuple[int, dict[str, Any]]], parsed: ParsedImport) -> ParsedImport:
    if len(rows) > MAX_ROWS:
        parsed.problem = f"at most {MAX_ROWS} rows per import"
        return parsed
    seen: dict[tuple[date, str, str], int] = {}
    for number, raw in rows:
        result = _row(number, raw)
        if isinstance(result, RowError):
            parsed.errors.append(result)
            continue
        key = (result.date, result.unit_id, result.channel)
        if key in seen:
            # Two counts for one (date, unit, channel) in one import: which is
            # right is unknowable, so neither is stored.
            parsed.errors.append(
                RowError(number, {"date": f"same date, unit and channel as row {seen[key]}"})
            )
            continue
        seen[key] = number
        parsed.rows.append(result)
    parsed.errors.sort(key=lambda e: e.row)
    return parsed


def parse_json(data: Any) -> ParsedImport:
    """``{"rows": [{"date", "unit_id", "channel", "count"}, ...]}``."""
    parsed = ParsedImport()
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        parsed.problem = 'the body must be {"rows": [...]}'
        return parsed
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(data["rows"], start=1):
        if isinstance(raw, dict):
            rows.append((number, raw))
        else:
            parsed.errors.append(RowError(number, {"row": "an object"}))
    return _collect(rows, parsed)


def parse_csv(text: str) -> ParsedImport:
    """CSV with the header ``date,unit_id,channel,count`` (any column order,
    surrounding spaces, blank lines and a UTF-8 byte-order mark tolerated)."""
    parsed = ParsedImport()
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    rows: list[tuple[int, dict[str, Any]]] = []
    try:
        header = next(reader, None)
        names = [h.strip() for h in header or []]
        if sorted(names) != sorted(CSV_HEADER):
            parsed.problem = "the first line must be the header date,unit_id,channel,count"
            return parsed
        for number, line in enumerate(reader, start=1):
            if not any(cell.strip() for cell in line):
                continue
            if len(line) != len(names):
                parsed.errors.append(RowError(number, {"row": f"{len(names)} columns"}))
                continue
            raw: dict[str, Any] = {n: cell.strip() for n, cell in zip(names, line, strict=True)}
            # Digits only: "-1", "1.5" and "1e3" stay strings and are reported.
            # At most MAX_INT_CHARS of them: int() of thousands of digits raises.
            count = raw["count"]
            if count.isascii() and count.isdigit() and len(count) <= MAX_INT_CHARS:
                raw["count"] = int(raw["count"])
            rows.append((number, raw))
    except csv.Error as exc:
        parsed.problem = f"not valid CSV ({exc})"
        return parsed
    return _collect(rows, parsed)


def check_units(parsed: ParsedImport, known: Collection[str]) -> None:
    """Add a row error for every row naming a unit that does not exist."""
    for row in parsed.rows:
        if row.unit_id not in known:
            parsed.errors.append(RowError(row.row, {"unit_id": f"unknown unit {row.unit_id!r}"}))
    parsed.errors.sort(key=lambda e: e.row)
