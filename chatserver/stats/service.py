"""The statistics as the routes and the CLI ask for them: store reads combined
with the pure computations. No HTTP here."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from .channel_shift import ChannelBucket, build_buckets, chat_by_day
from .operations import operations_figures
from .query import Period
from .records import ContactFilter
from .store import StatsStore
from .timebuckets import STATS_ZONE

__all__ = ["channel_shift", "operations"]


async def channel_shift(
    store: StatsStore, unit_ids: Sequence[str], period: Period, bucket: str
) -> list[ChannelBucket]:
    start, end = period.bounds
    hourly, visits = await asyncio.gather(
        store.chat_hourly(ContactFilter(tuple(unit_ids), start, end)),
        store.visits(unit_ids, period.first, period.last),
    )
    return build_buckets(period.first, period.last, bucket, chat_by_day(hourly), visits)


async def operations(
    store: StatsStore, unit_ids: Sequence[str], period: Period, queue_id: str | None = None
) -> dict[str, Any]:
    start, end = period.bounds
    f = ContactFilter(tuple(unit_ids), start, end, queue_id)
    data = await store.operations_input(f)
    return {
        "units": list(unit_ids),
        "queue": queue_id,
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "time_zone": STATS_ZONE.key,
        **operations_figures(data),
    }
