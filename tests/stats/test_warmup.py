"""The background fill of the statistics rollup: which days it stores, that it
stores each once, that the answers stay those computed from the contacts, and that the
app starts it on SQLite unless switched off."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.stats import warmup
from chatserver.stats.store import StatsStore
from chatserver.stats.warmup import fill_once, settled_days
from chatserver.storage.sqlite import SqliteStorage
from loadtests.stats_generate import generate
from tests.helpers import ORIGIN
from tests.stats.fixtures import utc
from tests.stats.test_rollup import _answers, _marked, _with_stores


def test_settled_days_end_a_day_before_the_settling_instant() -> None:
    """At 12:00 local on 3 July, 2 July has not been over for 24 h, so 1 July is the last."""
    now = utc("2026-07-03 10:00")  # 12:00 in Stockholm (summer time)
    assert settled_days(now, 3) == [date(2026, 6, 29), date(2026, 6, 30), date(2026, 7, 1)]
    assert settled_days(now, 0) == []


def test_settled_days_across_the_autumn_change() -> None:
    """The 25-hour day (25 October) is one day like any other in the list."""
    now = utc("2026-10-27 23:30")  # 00:30 on 28 October, winter time
    assert settled_days(now, 2) == [date(2026, 10, 25), date(2026, 10, 26)]


def test_fill_stores_each_missing_unit_day_once_and_answers_stay_exact(tmp_path: Path) -> None:
    """Two units, 40 days: 80 unit-days stored, none the second time, figures as computed."""
    db = tmp_path / "region.db"
    generate(db, 800, 2, seed=9)
    now = utc("2026-03-01 12:00")
    got: dict[str, Any] = {}

    async def body(rolled: StatsStore, raw: StatsStore, units: list[str]) -> None:
        got["first"] = await fill_once(rolled, now, 40, 0.0)
        got["marked"] = _marked(db)
        got["again"] = await fill_once(rolled, now, 40, 0.0)
        got["equal"] = await _answers(rolled, units) == await _answers(raw, units)

    _with_stores(db, body, clock=now)
    assert (got["first"], got["marked"], got["again"], got["equal"]) == (80, 80, 0, True)


def _warmup_tasks(days: int, tmp_path: Path) -> list[str]:
    settings = Settings(data_dir=tmp_path / f"data{days}", stats_warmup_days=days)
    app = create_app(settings)
    with TestClient(app, headers={"origin": ORIGIN}):
        tasks = app.state.chat.tasks
        return [
            t.get_coro().__qualname__  # type: ignore[union-attr]
            for t in tasks
            if t.get_coro().cr_code.co_filename.endswith("warmup.py")  # type: ignore[union-attr]
        ]


def test_app_starts_the_fill_on_sqlite_unless_switched_off(tmp_path: Path) -> None:
    """CHATSERVER_STATS_WARMUP_DAYS > 0 runs one background fill; 0 runs none."""
    assert _warmup_tasks(400, tmp_path) == ["run"]
    assert _warmup_tasks(0, tmp_path) == []


def test_fill_waits_for_nothing_on_an_empty_database(tmp_path: Path) -> None:
    """No units: nothing to store, and the fill returns at once."""

    async def body() -> int:
        storage = SqliteStorage(tmp_path / "empty.db")
        await storage.open()
        try:
            return await fill_once(StatsStore(storage), utc("2026-03-01 12:00"), 10, 0.0)
        finally:
            await storage.close()

    assert asyncio.run(body()) == 0


async def test_run_logs_a_failed_fill_and_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """The background task survives a failing fill and fills again at the next round."""
    calls: list[int] = []

    class Store:
        async def fill(self, days: list[date], pause_s: float) -> int:
            calls.append(len(days))
            if len(calls) == 1:
                raise RuntimeError("the disk is full")
            return 0

    monkeypatch.setattr(warmup, "START_DELAY_S", 0.0)
    monkeypatch.setattr(warmup, "EVERY_S", 0.0)
    task = asyncio.create_task(warmup.run(Store(), lambda: utc("2026-03-01 12:00"), 5))  # type: ignore[arg-type]
    while len(calls) < 3:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls[:3] == [5, 5, 5]
