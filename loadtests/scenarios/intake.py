"""(e) Intake rate: ``POST /api/contacts`` (with triage) on keep-alive connections.

Each simulated patient has its own address (``X-Forwarded-For``), as behind the
production proxy. The bare websockets server has no HTTP API, so the baseline
is Starlette only (JSON in, JSON out, no triage, no storage).
Goal: ≥ 500 intakes per second.
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any

from loadtests.hdr import LatencyRecorder
from loadtests.results import Figure, ScenarioResult
from loadtests.runner import Options
from loadtests.scenarios.common import CpuWindow, each_target, value
from loadtests.targets import Target

NAME = "intake"
GOAL_PER_S = 500.0
MAX_REQUESTS_PER_CONN = 1_000_000  # bound; the duration ends the run long before


async def run(opts: Options) -> ScenarioResult:
    conns = opts.count(32, 4)
    duration = opts.scale(10.0, 1.0)
    result = ScenarioResult(NAME, {"connections": conns, "duration_s": duration})

    async def measure(target: Target) -> dict[str, Any]:
        latency = LatencyRecorder()
        statuses: collections.Counter[int] = collections.Counter()
        deadline = time.perf_counter() + duration
        counter = iter(range(10**9))

        async def client() -> None:
            http = target.http()
            try:
                for _ in range(MAX_REQUESTS_PER_CONN):
                    if time.perf_counter() >= deadline:
                        return
                    t0 = time.perf_counter()
                    status = await target.intake(http, next(counter))
                    latency.record(time.perf_counter() - t0)
                    statuses[status] += 1
            finally:
                await http.close()

        cpu = CpuWindow(target.server.pid)
        cpu.start()
        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(conns)))
        elapsed = time.perf_counter() - start
        accepted = statuses[201] + statuses[200]
        return {
            "intakes_per_s": round(accepted / elapsed, 1),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "latency": latency.summary().as_dict(),
            **cpu.stop(),
        }

    data = await each_target(result, opts, measure, targets=("service", "starlette"))
    figure = Figure(
        "intakes (201/200) per second",
        "intakes/s",
        {t: value(data, t, "intakes_per_s") for t in data},
        goal=f"≥ {GOAL_PER_S:,.0f}/s",
        key="intake",
    )
    service = figure.values.get("service")
    figure.passed = None if service is None else service >= GOAL_PER_S
    result.figures.append(figure)
    for name, d in data.items():
        if "latency" in d:
            result.add_latency("intake: request → response", name, d["latency"])
    return result
