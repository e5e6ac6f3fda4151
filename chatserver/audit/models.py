"""Query and response models of the audit log review API (``/api/audit/*``):
schemas of ``/openapi.json``. The handlers parse the same bounds with
:mod:`chatserver.http.params`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatserver.http.params import MAX_MOMENT_CHARS

__all__ = [
    "AuditEvent",
    "EventList",
    "EventsQuery",
    "Extract",
    "Sample",
    "SampleQuery",
    "Verdict",
]

# YYYY-MM-DD (a whole day) or ISO 8601, 1970-01-01..9998-12-31.
Moment = Annotated[str, Field(max_length=MAX_MOMENT_CHARS)]


class _Filters(BaseModel):
    user: Annotated[str, Field(max_length=200, description="username or user id")] | None = None
    contact: Annotated[str, Field(max_length=64)] | None = None
    unit: Annotated[str, Field(max_length=64)] | None = None
    action: Annotated[str, Field(max_length=64)] | None = None
    start: Annotated[Moment | None, Field(alias="from")] = None
    end: Annotated[Moment | None, Field(alias="to")] = None
    format: Literal["json", "csv"] | None = None


class EventsQuery(_Filters):
    limit: Annotated[int, Field(ge=1, le=10_000)] = 1000


class SampleQuery(_Filters):
    n: Annotated[int, Field(ge=1, le=500)] = 20
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class AuditEvent(_Out):
    seq: int
    at: str
    actor_user_id: int | None
    actor_username: str | None
    actor_role: str | None
    actor_units: list[str]
    unit_id: str | None
    contact_id: str | None
    action: str
    result: str
    request_id: str | None
    detail: dict[str, Any]


class EventList(_Out):
    events: list[AuditEvent]


class Sample(EventList):
    seed: int


class Access(_Out):
    at: str
    units: list[str]
    role: str | None
    action: str
    result: str


class Extract(_Out):
    contact_id: str
    accesses: list[Access]


class Verdict(_Out):
    ok: bool
    count: int
    bad_seq: int | None
    reason: str | None
