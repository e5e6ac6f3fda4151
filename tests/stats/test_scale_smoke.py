"""A small run of the regional generator and the dashboard's queries on it
(the full-size run with timings is loadtests/stats_bench.py)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

from chatserver.stats import Period, StatsStore, channel_shift, operations
from chatserver.storage.sqlite import SqliteStorage
from loadtests.stats_generate import generate


def test_generated_region_adds_up(tmp_path: Path) -> None:
    """3,000 generated contacts over 3 units: every figure accounts for each contact once."""
    db = tmp_path / "region.db"
    assert generate(db, 3000, 3, seed=7)["contacts"] == 3000

    async def run() -> tuple[int, dict[str, Any], int]:
        storage = SqliteStorage(db, synchronous="NORMAL")
        await storage.open()
        try:
            store = StatsStore(storage)
            units = await store.unit_ids()
            # The generator spreads contacts over 2026 (plus an hour's slack at the edges).
            year = Period(date(2025, 12, 31), date(2027, 1, 1))
            buckets = await channel_shift(store, units, year, "month")
            ops = await operations(store, units, year)
            one = await operations(store, units[:1], year)
            return sum(b.chat.contacts for b in buckets), ops, int(one["contacts"])
        finally:
            await storage.close()

    total, ops, first_unit = asyncio.run(run())
    assert total == 3000
    assert ops["contacts"] == 3000
    assert sum(ops["outcomes"].values()) == 3000
    assert sum(map(sum, ops["busiest_hours"])) == 3000
    assert first_unit == 1000  # contacts are dealt round-robin to the units
