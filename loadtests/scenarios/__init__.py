"""One module per scenario; each exposes ``NAME`` and ``async def run(opts) -> ScenarioResult``."""

from loadtests.scenarios import (
    churn,
    crossinstance,
    fanout,
    idle,
    intake,
    latency,
    persistence,
    relay,
)

SCENARIOS = {
    m.NAME: m for m in (relay, latency, idle, churn, intake, fanout, persistence, crossinstance)
}

__all__ = ["SCENARIOS"]
