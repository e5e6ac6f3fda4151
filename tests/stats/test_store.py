"""The statistics store's edges, on both engines: periods that are not whole
local days, no units, and unit-days stored once."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from chatserver.stats import Period, service
from chatserver.stats.records import ContactFilter
from chatserver.stats.rollup_sql import store_day
from chatserver.stats.store import StatsStore
from tests.stats.fixtures import load, spring, utc
from tests.stats.generated import UNITS, directory

SPRING = Period(date(2026, 3, 23), date(2026, 4, 5))
LATER = utc("2027-01-01 00:00")  # every day of the fixtures has settled


async def _loaded(db: Any) -> StatsStore:
    """The spring fixtures (tests/stats/fixtures.py) in hc1 and hc2."""
    ids = await directory(db)
    users = {"nurse1": ids["anna"], "doctor1": ids["bo"]}
    await db.write(load(spring(users), users))
    return StatsStore(db, clock=lambda: LATER)


async def test_periods_are_whole_local_days(db: Any) -> None:
    """Bounds that are not local midnights are refused: the rollup holds whole days."""
    store = await _loaded(db)
    start, end = SPRING.bounds
    with pytest.raises(ValueError, match="whole local days"):
        await store.operations_input(ContactFilter(("hc1",), start + 3600, end))


async def test_no_units_means_no_figures(db: Any) -> None:
    """Without units every figure is zero, and an empty fill stores nothing."""
    store = await _loaded(db)
    ops = await service.operations(store, [], SPRING)
    assert (ops["contacts"], ops["concurrency"]) == (0, {"peak": 0, "staff": []})
    buckets = await service.channel_shift(store, [], SPRING, "week")
    assert [b.chat.contacts for b in buckets] == [0, 0]
    assert await store.fill([]) == 0


async def test_each_unit_day_is_stored_once(db: Any) -> None:
    """The fill stores every unit-day once, a second store does nothing, and
    the stored figures are those computed from the contacts."""
    store = await _loaded(db)
    days = [SPRING.first + timedelta(days=i) for i in range(14)]
    assert await store.fill(days) == len(UNITS) * 14
    assert await store.fill(days) == 0
    assert await db.write(store_day(db.dialect, ["hc1"], days[0], LATER)) == 0
    ops = await service.operations(store, ["hc1"], SPRING)
    assert ops == await service.operations(StatsStore(db, rollup=False), ["hc1"], SPRING)
    assert (ops["contacts"], ops["waiting_to_pick"]["median_s"]) == (6, 60)
