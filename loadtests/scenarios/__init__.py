"""One module per scenario; each exposes ``NAME`` and ``async def run(opts) -> ScenarioResult``."""

from loadtests.scenarios import latency, relay

SCENARIOS = {
    m.NAME: m for m in (relay, latency)
}

__all__ = ["SCENARIOS"]
