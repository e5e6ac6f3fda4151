"""Query and response models of the statistics API (``/api/stats/*``):
schemas of ``/openapi.json``. The handlers parse the same bounds
(:func:`chatserver.stats.query.parse_period`, ``parse_bucket``,
:func:`chatserver.access.stats_scope.resolve_scope`). Figures are defined in
docs/statistics.md; their objects are open here."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ChannelShift",
    "ChartQuery",
    "ContactsExport",
    "Imported",
    "NowFigures",
    "Operations",
    "Period",
    "PeriodBucket",
    "Scope",
    "StatsUnits",
    "Tables",
    "TriageSafety",
    "VisitRow",
    "Visits",
]

# YYYY-MM-DD, local dates, 1970-01-01..9998-12-31; to on or after from, at most
# MAX_PERIOD_DAYS apart (stats/query.py).
Day = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]


class Scope(BaseModel):
    unit: (
        Annotated[str, Field(max_length=64, description="one unit (default: all yours)")] | None
    ) = None
    queue: Annotated[str, Field(max_length=128)] | None = None


class Period(Scope):
    start: Annotated[Day, Field(alias="from")]
    end: Annotated[Day, Field(alias="to")]


class PeriodBucket(Period):
    bucket: Literal["day", "week", "month"] = "week"


class ChartQuery(PeriodBucket):
    lang: Literal["sv", "en"] = "sv"


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class ChannelShift(_Out):
    buckets: list[dict[str, Any]]


class Operations(_Out):
    """docs/statistics.md "Operations": open, per figure."""


class TriageSafety(_Out):
    units: list[str]


class NowFigures(_Out):
    at: float
    units: list[dict[str, Any]]


class StatsQueue(_Out):
    id: str
    name: str


class StatsUnit(_Out):
    id: str
    name: str
    queues: list[StatsQueue]


class StatsUnits(_Out):
    units: list[StatsUnit]


class Tables(_Out):
    tables: list[dict[str, Any]]


class ContactsExport(_Out):
    contacts: list[dict[str, Any]]


class VisitRow(BaseModel):
    """One row of a visits import (chatserver/stats/visits_import.py)."""

    date: Day
    unit_id: Annotated[str, Field(max_length=64)]
    channel: str
    count: Annotated[int, Field(ge=0)]


class Visits(BaseModel):
    """``{"rows": [...]}``, or the same as CSV with the header
    ``date,unit_id,channel,count``."""

    rows: list[VisitRow]


class Imported(_Out):
    imported: int
