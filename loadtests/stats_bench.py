"""Time the manager dashboard's statistics queries on a generated SQLite file.

    python -m loadtests.stats_generate --out /tmp/region.db
    python -m loadtests.stats_bench --db /tmp/region.db

Runs each query ``--repeat`` times through the real store (reader connections
of :class:`SqliteStorage`) and prints the slowest and median wall time in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from chatserver.stats import service
from chatserver.stats.query import Period
from chatserver.stats.store import ContactFilter, store_for
from chatserver.storage.sqlite import SqliteStorage

YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
QUARTER = Period(date(2026, 1, 1), date(2026, 3, 31))


async def _time(fn: Callable[[], Awaitable[Any]], repeat: int) -> dict[str, float]:
    """Wall time, and CPU time of the whole process (the reader threads do the
    SQL), which shows the cost of a query on a machine busy with other work."""
    runs, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        await fn()
        runs.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {
        "median_ms": round(statistics.median(runs), 1),
        "max_ms": round(max(runs), 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
    }


async def bench(db: Path, repeat: int) -> dict[str, dict[str, float]]:
    storage = SqliteStorage(db, synchronous="NORMAL")
    await storage.open()
    store = store_for(storage)
    units = await store.unit_ids()
    one = [units[0]]
    start, end = YEAR.bounds
    f_one = ContactFilter(tuple(one), start, end)
    cases: dict[str, Callable[[], Awaitable[Any]]] = {
        "channel_shift week, 1 unit, year": lambda: service.channel_shift(store, one, YEAR, "week"),
        "channel_shift day, 1 unit, year": lambda: service.channel_shift(store, one, YEAR, "day"),
        "operations, 1 unit, year": lambda: service.operations(store, one, YEAR),
        "operations, 1 unit, quarter": lambda: service.operations(store, one, QUARTER),
        "  totals, 1 unit, year": lambda: store.totals(f_one),
        "  durations, 1 unit, year": lambda: store.durations(f_one),
        "  overrides, 1 unit, year": lambda: store.overrides(f_one),
        "  assignments, 1 unit, year": lambda: store.assignments(f_one),
        "  satisfaction, 1 unit, year": lambda: store.satisfaction(f_one),
        "channel_shift week, 30 units, year": lambda: service.channel_shift(
            store, units, YEAR, "week"
        ),
        "operations, 30 units, year": lambda: service.operations(store, units, YEAR),
        "operations, 30 units, quarter": lambda: service.operations(store, units, QUARTER),
    }
    try:
        return {name: await _time(fn, repeat) for name, fn in cases.items()}
    finally:
        await storage.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    results = asyncio.run(bench(args.db, args.repeat))
    for name, r in results.items():
        print(f"| {name} | {r['median_ms']} | {r['max_ms']} | {r['cpu_median_ms']} |")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
