"""Smoke tests of every scenario against the two baseline servers."""

from __future__ import annotations

import contextlib
import sqlite3

import pytest

from loadtests.results import ScenarioResult
from loadtests.runner import Options
from loadtests.scenarios import SCENARIOS
from loadtests.servers import FLOORS, floor_db

BASELINE_SCENARIOS = ("relay", "latency", "idle", "churn", "fanout")


def _measured(result: ScenarioResult, target: str) -> dict[str, object]:
    detail = next(d for k, d in result.details.items() if k.split(":")[-1] == target)
    assert "error" not in detail, detail
    return detail


@pytest.mark.parametrize("name", BASELINE_SCENARIOS)
async def test_scenario_runs_against_both_baselines(name: str, smoke_opts: Options) -> None:
    """A smoke run of the scenario measures both baselines without errors or losses."""
    result = await SCENARIOS[name].run(smoke_opts)
    for target in ("websockets", "starlette"):
        detail = _measured(result, target)
        assert detail.get("lost", 0) == 0
        assert detail.get("errors", 0) == 0
        assert detail.get("failed", 0) == 0
    assert result.figures[0].values["websockets"] is not None
    assert (smoke_opts.out_dir).exists() or result.save(smoke_opts.out_dir).exists()


async def test_intake_runs_against_the_starlette_baseline(smoke_opts: Options) -> None:
    """The intake smoke run gets only 201 answers from the Starlette baseline."""
    result = await SCENARIOS["intake"].run(smoke_opts)
    detail = _measured(result, "starlette")
    assert list(detail["statuses"]) == ["201"]


async def test_relay_floors_store_every_acked_message(smoke_opts: Options) -> None:
    """The relay floors (bare websockets storing each message durably first) run
    beside the websockets baseline, lose nothing, and every acked message is in
    their SQLite file: they measure real durable writes."""
    result = await SCENARIOS["relay"].run(smoke_opts)
    floor = next(f for f in result.figures if f.name.startswith("relay floor"))
    assert all(v is not None for v in floor.values.values()), floor.values
    for kind in FLOORS:
        detail = _measured(result, kind)
        assert (detail["lost"], detail["errors"]) == (0, 0)
        assert detail["acked"] > 0
        with contextlib.closing(sqlite3.connect(floor_db(smoke_opts.work_dir, kind))) as conn:
            (stored,) = conn.execute("SELECT count(*) FROM messages").fetchone()
            (level,) = conn.execute("PRAGMA journal_mode").fetchone()
        assert level == "wal"
        assert stored >= detail["acked"]
