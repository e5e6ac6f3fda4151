"""Smoke tests of every scenario against the real service (`chatserver serve` on port 0)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loadtests.runner import Options
from loadtests.scenarios import SCENARIOS
from tests.loadtests.conftest import CHATSERVER, service_available

pytestmark = pytest.mark.skipif(not service_available(), reason="chatserver is not installed")

SERVICE_SCENARIOS = ("relay", "latency", "idle", "churn", "intake", "fanout")


@pytest.mark.parametrize("name", SERVICE_SCENARIOS)
async def test_scenario_runs_against_the_service(name: str, smoke_opts: Options) -> None:
    """A smoke run of the scenario drives the service without protocol errors or losses."""
    opts = replace(smoke_opts, targets=("service",), chatserver=str(CHATSERVER))
    result = await SCENARIOS[name].run(opts)
    details = [d for k, d in result.details.items() if k.split(":")[-1] == "service"]
    assert details
    for detail in details:
        assert "error" not in detail, detail
        assert detail.get("lost", 0) == 0
        assert detail.get("errors", 0) == 0
        assert detail.get("failed", 0) == 0
        assert detail.get("missing_updates", 0) == 0
    assert result.figures[0].values["service"] is not None


async def test_persistence_compares_full_and_off(smoke_opts: Options) -> None:
    """The persistence smoke run stores messages with FULL and with OFF, grouped and
    one commit per message, and SQLite reports the synchronous level each asked for."""
    result = await SCENARIOS["persistence"].run(smoke_opts)
    runs = {k: d for k, d in result.details.items() if k != "FULL/OFF"}
    assert sorted(runs) == ["FULL/group", "FULL/single", "OFF/group", "OFF/single"]
    for key, detail in runs.items():
        assert "error" not in detail, detail
        assert detail["messages"] > 0
        assert detail["synchronous"] == key.split("/")[0]
    assert (runs["FULL/group"]["runs"], runs["OFF/group"]["runs"]) == (4, 4)
    assert len(result.details["FULL/OFF"]["pair_ratios"]) == 4
    assert list(result.figures[0].values) == ["FULL", "OFF"]
