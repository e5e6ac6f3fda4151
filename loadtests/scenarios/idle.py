"""(c) Idle waiting patients: server memory per connected, greeted patient WebSocket.

RSS of the server process (from /proc) is read after the intakes and again after
every connection said hello; the difference over the number of connections is
the cost of one idle waiting patient. Goal: ≤ 30 KiB.
"""

from __future__ import annotations

import asyncio
from typing import Any

from websockets.asyncio.client import ClientConnection

from loadtests.results import Figure, ScenarioResult
from loadtests.runner import Options
from loadtests.scenarios.common import each_target, value
from loadtests.targets import Target

NAME = "idle"
GOAL_KIB = 30.0
CONNECT_CONCURRENCY = 200  # handshakes in flight; the listen backlog is far larger
SETTLE_S = 2.0  # let the server finish greeting and free handshake buffers


async def run(opts: Options) -> ScenarioResult:
    n = opts.count(10_000, 100)
    settle = opts.scale(SETTLE_S, 0.3)
    result = ScenarioResult(NAME, {"connections": n})

    async def measure(target: Target) -> dict[str, Any]:
        tickets = await target.tickets(n)
        await asyncio.sleep(settle)
        rss_before = target.server.rss_kib()
        sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
        loop = asyncio.get_running_loop()
        start = loop.time()

        async def connect(i: int) -> ClientConnection:
            async with sem:
                return await target.connect_patient(tickets[i])

        outcomes = await asyncio.gather(*(connect(i) for i in range(n)), return_exceptions=True)
        connect_s = loop.time() - start
        conns = [c for c in outcomes if isinstance(c, ClientConnection)]
        failures = [repr(o) for o in outcomes if isinstance(o, BaseException)]
        await asyncio.sleep(settle)
        rss_after = target.server.rss_kib()
        still_open = sum(1 for c in conns if c.close_code is None)
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
        per_conn = (rss_after - rss_before) / len(conns) if conns else None
        return {
            "connections": len(conns),
            "failed": len(failures),
            "first_failure": failures[0][:300] if failures else "",
            "still_open_after_settle": still_open,
            "rss_before_kib": rss_before,
            "rss_after_kib": rss_after,
            "kib_per_connection": round(per_conn, 2) if per_conn is not None else None,
            "connect_all_s": round(connect_s, 2),
        }

    data = await each_target(result, opts, measure)
    figure = Figure(
        f"server memory per idle waiting patient ({n:,} connections)",
        "KiB",
        {t: value(data, t, "kib_per_connection") for t in data},
        goal=f"≤ {GOAL_KIB:g} KiB",
        key="idle",
    )
    service = figure.values.get("service")
    figure.passed = None if service is None else service <= GOAL_KIB
    result.figures.append(figure)
    result.notes.append(
        "RSS delta includes the per-contact state the service keeps for a connected "
        "patient (hub registration, presence), which is the point: it is the cost of one more."
    )
    return result
