"""Background fill of the statistics rollup (either engine).

The rollup stores a (unit, local day) once the day has settled, on the first
request that covers it. Without help, the first region-wide request over a
year computes every day from the contacts (about 47 s for a million
contacts). This task stores the settled days of the last
``CHATSERVER_STATS_WARMUP_DAYS`` ahead of the dashboard, shortly after start
and then every hour, one unit-day per writer transaction (a few ms each) with
a pause between, so chat writes keep their latency while it runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from chatserver.logs import get_logger

from .store import SETTLE_S, StatsStore
from .timebuckets import STATS_ZONE

__all__ = ["EVERY_S", "PAUSE_S", "START_DELAY_S", "fill_once", "run", "settled_days"]

log = get_logger("chatserver.stats.warmup")

START_DELAY_S = 60.0  # let start-up and the first connections go first
EVERY_S = 3600.0  # a new day settles once a day; an hour keeps the lag small
PAUSE_S = 0.002  # between unit-days


def settled_days(now: float, count: int) -> list[date]:
    """The ``count`` latest local days that have settled at ``now`` (ended at
    least ``SETTLE_S`` ago), oldest first."""
    if count <= 0:
        return []
    # The day holding now - SETTLE_S has not ended that long ago; the one before has.
    last = datetime.fromtimestamp(now - SETTLE_S, STATS_ZONE).date() - timedelta(days=1)
    return [last - timedelta(days=i) for i in range(count - 1, -1, -1)]


async def fill_once(store: StatsStore, now: float, days: int, pause_s: float) -> int:
    """Store the missing settled days; returns the unit-days stored."""
    started = time.monotonic()
    stored = await store.fill(settled_days(now, days), pause_s)
    if stored:
        # Counts and seconds only: the rollup holds no patient data anyway.
        log.info(
            "stats_rollup_filled", unit_days=stored, seconds=round(time.monotonic() - started, 1)
        )
    return stored


async def run(store: StatsStore, clock: Callable[[], float], days: int) -> None:
    """The background task (cancelled when the app stops)."""
    await asyncio.sleep(START_DELAY_S)
    while True:
        try:
            await fill_once(store, clock(), days, PAUSE_S)
        except Exception:  # a failed fill must not end the task; the next hour retries
            log.exception("stats_warmup_failed")
        await asyncio.sleep(EVERY_S)
