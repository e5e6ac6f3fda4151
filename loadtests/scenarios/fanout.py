"""(f) Queue fan-out: staff dashboards watching while patients arrive, then leave.

Arrivals (intake) run at a fixed rate, then departures (a nurse picks and closes)
at the same rate. Each event ``k`` has a scheduled time and the waiting count it
must produce; a dashboard's delay for ``k`` is from that scheduled time to the
first ``queues`` push showing that count (coalesced pushes count for every event
they cover). Reported: p99 of queue-update delay over all dashboards and events.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from loadtests.hdr import LatencyRecorder
from loadtests.results import Figure, ScenarioResult
from loadtests.runner import Options
from loadtests.scenarios.common import CpuWindow, each_target, value
from loadtests.targets import Target

NAME = "fanout"
MAX_IN_FLIGHT = 200  # events whose request has not completed; more means the server fell behind
DRAIN_S = 5.0
PICKERS = 20  # 2 frames per departure; 20 connections keep each under 30 frames/s


@dataclass(slots=True)
class _Event:
    scheduled: float
    expected: int
    arriving: bool

    def seen_in(self, count: int) -> bool:
        return count >= self.expected if self.arriving else count <= self.expected


def waiting_count(frame: dict[str, Any]) -> int:
    return sum(int(q.get("count", 0)) for q in frame.get("queues", []))


class Dashboards:
    def __init__(self, watchers: list[ClientConnection]) -> None:
        self.events: list[_Event] = []
        self.latency = LatencyRecorder()
        self.seen = [0] * len(watchers)
        self.pushes = 0
        self._tasks = [asyncio.create_task(self._read(i, ws)) for i, ws in enumerate(watchers)]

    async def _read(self, index: int, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frame = orjson.loads(raw)
                if frame.get("type") != "queues":
                    continue
                self.pushes += 1
                now = time.perf_counter()
                count = waiting_count(frame)
                i = self.seen[index]
                while i < len(self.events) and self.events[i].seen_in(count):
                    self.latency.record(now - self.events[i].scheduled)
                    i += 1
                self.seen[index] = i

    def missing(self) -> int:
        return sum(len(self.events) - s for s in self.seen)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def run(opts: Options) -> ScenarioResult:
    n_watchers = opts.count(50, 3)
    patients = opts.count(1000, 20)
    rate = opts.scale(200.0, 100.0)
    result = ScenarioResult(
        NAME, {"dashboards": n_watchers, "patients": patients, "events_per_s": rate}
    )

    async def measure(target: Target) -> dict[str, Any]:
        watchers = await target.watchers(n_watchers)
        add_pickers = getattr(target, "add_pickers", None)
        if add_pickers is not None:
            await add_pickers(opts.count(PICKERS, 2))
        boards = Dashboards(watchers)
        errors: list[str] = []
        cpu = CpuWindow(target.server.pid)
        cpu.start()

        async def phase(arriving: bool) -> None:
            in_flight: set[asyncio.Task[None]] = set()
            start = time.perf_counter() + 0.05
            for k in range(patients):
                due = start + k / rate
                if due > time.perf_counter():
                    await asyncio.sleep(due - time.perf_counter())
                expected = k + 1 if arriving else patients - k - 1
                boards.events.append(_Event(due, expected, arriving))
                action = target.arrive(k) if arriving else target.leave(k)
                task = asyncio.create_task(action)
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
                if len(in_flight) >= MAX_IN_FLIGHT:
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for outcome in await asyncio.gather(*in_flight, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    errors.append(repr(outcome)[:300])

        try:
            await phase(arriving=True)
            await phase(arriving=False)
            deadline = time.perf_counter() + DRAIN_S
            while boards.missing() and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            usage = cpu.stop()
        finally:
            await boards.aclose()
            await asyncio.gather(*(w.close() for w in watchers), return_exceptions=True)
        lat = boards.latency.summary()
        cpu_s = usage["server_cpu"] * usage["window_s"]
        return {
            "p99_ms": lat.p99_ms,
            "latency": lat.as_dict(),
            "events": len(boards.events),
            "pushes_received": boards.pushes,
            "missing_updates": boards.missing(),
            "errors": len(errors),
            "first_error": errors[0] if errors else "",
            **usage,
            # Server CPU per queue event (arrival or departure) with its pushes
            # to every dashboard: comparable between runs on a busy machine.
            "server_cpu_ms_per_event": round(1000 * cpu_s / max(1, len(boards.events)), 3),
        }

    data = await each_target(result, opts, measure)
    figure = Figure(
        f"p99 queue-update delay, {n_watchers} dashboards",
        "ms",
        {t: value(data, t, "p99_ms") for t in data},
        goal="(no target; reported)",
    )
    result.figures.append(figure)
    result.figures.append(
        Figure(
            "server CPU per queue event, pushes to every dashboard included",
            "ms/event",
            {t: value(data, t, "server_cpu_ms_per_event") for t in data},
            goal="(reported; holds on a shared machine)",
        )
    )
    for name, d in data.items():
        if "latency" in d:
            result.add_latency("fan-out: event → dashboard shows it", name, d["latency"])
    result.notes.append(
        "Service departures are pick + close by 20 nurse connections; baseline events are "
        "frames from one feeder connection (the baselines have no queue)."
    )
    return result
