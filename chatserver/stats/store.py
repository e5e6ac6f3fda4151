"""What the statistics need from a database: :class:`StatsStore`.

The tables (``visit_counts``, migration 0004) and queries are the statistics'
own, so the SQL lives in this package (:mod:`.sqlite_store`) behind this
interface; a PostgreSQL backend implements the same methods. Every method
answers with small aggregates (grouped rows, histograms), never one row per
contact, except :meth:`StatsStore.contact_rows` for the export.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from .channel_shift import ChatCounts
from .concurrency import Spans
from .operations import ContactTotals, OperationsInput, Satisfaction
from .triage_safety import SafetyEvent
from .visits_import import VisitRow

__all__ = ["ContactFilter", "ContactRow", "StatsStore", "input_from_parts", "store_for"]


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Contacts of these units (and queue) created in ``[start, end)`` (UTC seconds)."""

    unit_ids: tuple[str, ...]
    start: float
    end: float
    queue_id: str | None = None


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One contact for the export: no name, no text, no identity number, no age."""

    unit_id: str
    queue_id: str
    created_at: float
    status: str
    outcome: str | None
    intake_level: str
    level: str
    would_otherwise: str
    emergency_acknowledged: bool
    queued_at: float | None
    first_picked_at: float | None
    first_staff_reply_at: float | None
    closed_at: float | None


class StatsStore(Protocol):
    async def safety_events(self, f: ContactFilter) -> list[SafetyEvent]:
        """Screening, follow-up, safety-net and staff triage events of the period's contacts."""

    async def upsert_visits(
        self, rows: Sequence[VisitRow], *, at: float, user_id: int | None
    ) -> None:
        """Insert or replace the count of every (date, unit, channel), all in one transaction."""

    async def visits(
        self, unit_ids: Sequence[str], first: date, last: date
    ) -> dict[tuple[date, str], int]:
        """Imported counts summed over the units, per (local date, channel)."""

    async def chat_hourly(self, f: ContactFilter) -> list[tuple[int, ChatCounts]]:
        """Chat counts per UTC hour number (``floor(created_at / 3600)``)."""

    async def totals(self, f: ContactFilter) -> ContactTotals:
        """Counts of the period's contacts by status, outcome and triage level."""

    async def durations(self, f: ContactFilter) -> dict[str, dict[int, int]]:
        """Histograms ``{"waiting"|"first_reply"|"handling": {seconds: contacts}}``."""

    async def overrides(self, f: ContactFilter) -> tuple[dict[tuple[str, str], int], int]:
        """Staff triage changes ``{(from, to): events}`` and the number of contacts changed."""

    async def assignments(self, f: ContactFilter) -> tuple[Spans, dict[int, str]]:
        """Staff assignments of the period's contacts (clipped at the period's
        end) per staff member, and the staff members' display names."""

    async def satisfaction(self, f: ContactFilter) -> Satisfaction | None:
        """Survey answers of chats *closed* in the period; None without a survey table."""

    async def operations_input(self, f: ContactFilter) -> OperationsInput:
        """All of the above at once (:func:`input_from_parts`, or one read of a rollup)."""

    async def contact_rows(self, f: ContactFilter, limit: int) -> list[ContactRow]: ...

    async def unit_ids(self) -> list[str]: ...


async def input_from_parts(store: StatsStore, f: ContactFilter) -> OperationsInput:
    """The operations input from the store's part queries, run concurrently."""
    (
        totals,
        durations,
        hourly,
        (overrides, changed),
        (spans, names),
        satisfaction,
    ) = await asyncio.gather(
        store.totals(f),
        store.durations(f),
        store.chat_hourly(f),
        store.overrides(f),
        store.assignments(f),
        store.satisfaction(f),
    )
    return OperationsInput(
        totals=totals,
        waiting=durations["waiting"],
        first_reply=durations["first_reply"],
        handling=durations["handling"],
        hourly={h: c.contacts for h, c in hourly},
        overrides=overrides,
        override_contacts=changed,
        staff_spans=spans,
        staff_names=names,
        satisfaction=satisfaction,
    )


def store_for(storage: Any) -> StatsStore:
    """The statistics store of a storage backend (SQLite now)."""
    if hasattr(storage, "run_read") and hasattr(storage, "run_write"):
        from .sqlite_store import SqliteStatsStore  # noqa: PLC0415 - backend chosen at runtime

        return SqliteStatsStore(storage)
    from chatserver.storage.postgres import PostgresStorage  # noqa: PLC0415

    if isinstance(storage, PostgresStorage):
        from chatserver.storage.postgres_stats import PostgresStatsStore  # noqa: PLC0415

        return PostgresStatsStore(storage)
    raise NotImplementedError(f"no statistics store for {type(storage).__name__}")
