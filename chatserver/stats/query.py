"""Query parameters of the statistics routes and the CLI: period, bucket, format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from chatserver.errors import InvalidInput
from chatserver.http.params import DAY_MAX, DAY_MIN

from .timebuckets import BUCKETS, parse_date, period_bounds

__all__ = ["MAX_PERIOD_DAYS", "Period", "parse_bucket", "parse_period"]

# Three years: enough for a year-on-year comparison with margin, and a bound on
# the work one request can ask for.
MAX_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class Period:
    first: date  # first local day, inclusive
    last: date  # last local day, inclusive

    @property
    def bounds(self) -> tuple[float, float]:
        return period_bounds(self.first, self.last)


def parse_period(params: Mapping[str, str]) -> Period:
    """``from`` and ``to`` (YYYY-MM-DD, inclusive, local dates); 422 otherwise."""
    fields: dict[str, str] = {}
    parsed: dict[str, date] = {}
    for name in ("from", "to"):
        try:
            parsed[name] = parse_date(params.get(name, ""))
        except ValueError:
            fields[name] = f"a date as YYYY-MM-DD, {DAY_MIN}..{DAY_MAX}"
    if fields:
        raise InvalidInput("invalid_field", "from and to must be dates", fields=fields)
    first, last = parsed["from"], parsed["to"]
    if last < first:
        raise InvalidInput("invalid_field", "to is before from", fields={"to": "on or after from"})
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise InvalidInput(
            "invalid_field",
            "the period is too long",
            fields={"to": f"at most {MAX_PERIOD_DAYS} days after from"},
        )
    return Period(first, last)


def parse_bucket(params: Mapping[str, str], default: str = "week") -> str:
    bucket = params.get("bucket", default)
    if bucket not in BUCKETS:
        raise InvalidInput(
            "invalid_field", "unknown bucket", fields={"bucket": "day, week or month"}
        )
    return bucket
