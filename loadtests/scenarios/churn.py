"""(d) Connection churn: connect, hello, welcome, close, as fast as possible.

Workers reuse a pool of patient tokens (a patient reconnecting); no token is
used by two workers, so a token never has two connections at once.
Goal: ≥ 1,000 connects with hello per second.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from loadtests.hdr import LatencyRecorder
from loadtests.results import Figure, ScenarioResult
from loadtests.runner import Options
from loadtests.scenarios.common import CpuWindow, each_target, value
from loadtests.targets import Target

NAME = "churn"
GOAL_PER_S = 1000.0
TOKENS_PER_WORKER = 4
MAX_CYCLES_PER_WORKER = 100_000  # bound; the duration ends the run long before


async def run(opts: Options) -> ScenarioResult:
    workers = opts.count(64, 4)
    duration = opts.scale(10.0, 1.0)
    result = ScenarioResult(NAME, {"workers": workers, "duration_s": duration})

    async def measure(target: Target) -> dict[str, Any]:
        tickets = await target.tickets(workers * TOKENS_PER_WORKER)
        latency = LatencyRecorder()
        done = [0]
        errors: list[str] = []
        deadline = time.perf_counter() + duration

        async def worker(w: int) -> None:
            for k in range(MAX_CYCLES_PER_WORKER):
                if time.perf_counter() >= deadline:
                    return
                ticket = tickets[w + workers * (k % TOKENS_PER_WORKER)]
                t0 = time.perf_counter()
                try:
                    ws = await target.connect_patient(ticket)
                    latency.record(time.perf_counter() - t0)
                    done[0] += 1
                    await ws.close()
                except Exception as exc:
                    errors.append(repr(exc)[:300])
                    if len(errors) > 100:
                        return

        cpu = CpuWindow(target.server.pid)
        cpu.start()
        start = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(workers)))
        elapsed = time.perf_counter() - start
        return {
            "connects_per_s": round(done[0] / elapsed, 1),
            "connects": done[0],
            "errors": len(errors),
            "first_error": errors[0] if errors else "",
            "latency": latency.summary().as_dict(),
            **cpu.stop(),
        }

    data = await each_target(result, opts, measure)
    figure = Figure(
        "connect + hello → welcome, then close",
        "connects/s",
        {t: value(data, t, "connects_per_s") for t in data},
        goal=f"≥ {GOAL_PER_S:,.0f}/s",
        key="churn",
    )
    service = figure.values.get("service")
    figure.passed = None if service is None else service >= GOAL_PER_S
    result.figures.append(figure)
    for name, d in data.items():
        if "latency" in d:
            result.add_latency("churn: connect → welcome", name, d["latency"])
    return result
