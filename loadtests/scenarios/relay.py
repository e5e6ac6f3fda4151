"""(a) Relay ceiling: 100 patient–staff pairs, both sides sending as fast as acks allow.

Goal: the service relays at least 50 % of the bare ``websockets`` relay's throughput.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loadtests.conversation import Traffic
from loadtests.results import Figure, ScenarioResult
from loadtests.runner import Options
from loadtests.scenarios.common import CpuWindow, each_target, value
from loadtests.servers import FLOOR_MINIMAL, FLOOR_SERVICE, FLOORS
from loadtests.targets import Target

NAME = "relay"
RATE = "throughput_msg_s"
GOAL_RATIO = 0.5
# Unacked messages per sender. With 1, all 200 senders fall into lockstep (server
# and generator take turns, each ~50 % busy) and the figure measures the round
# trip, not the ceiling; 4 keeps work queued on the server at all times.
WINDOW = 4


async def measure_ceiling(target: Target, opts: Options) -> dict[str, Any]:
    pairs = opts.count(100, 10)
    traffic = Traffic(await target.pairs(pairs), tag="r")
    cpu = CpuWindow(target.server.pid)
    try:
        cpu.start()
        rate = await traffic.closed_loop(
            warmup_s=opts.scale(2.0, 0.3),
            measure_s=opts.scale(10.0, 1.0),
            max_messages=opts.count(2_000_000, 20_000),
            window=WINDOW,
            per_endpoint_rate=getattr(target, "frame_rate_limit", None),
        )
        usage = cpu.stop()
    finally:
        await traffic.aclose()
    r = traffic.result
    return {
        "pairs": pairs,
        "throughput_msg_s": round(rate, 1),
        "sent": r.sent,
        "acked": r.acked,
        "delivered": r.delivered,
        "lost": r.lost,
        "errors": r.errors,
        "first_error": r.first_error,
        "latency": r.latency.summary().as_dict(),
        **usage,
    }


async def run(opts: Options) -> ScenarioResult:
    result = ScenarioResult(NAME, {"pairs": opts.count(100, 10), "window": WINDOW})

    async def measure(target: Target) -> dict[str, Any]:
        return await measure_ceiling(target, opts)

    data = await each_target(result, opts, measure)
    floors: dict[str, dict[str, Any]] = {}
    if "websockets" in opts.targets:  # the floors stand beside the websockets baseline
        floors = await each_target(result, replace(opts, targets=tuple(FLOORS)), measure)
    figure = Figure(
        f"relay ceiling (closed loop, {WINDOW} unacked per sender)",
        "msg/s",
        {t: value(data, t, "throughput_msg_s") for t in data},
        goal="≥ 50 % of bare websockets",
        key="relay",
    )
    ratio = figure.ratio("websockets")
    figure.passed = None if ratio is None else ratio >= GOAL_RATIO
    result.figures.append(figure)
    if floors:
        result.figures.append(
            Figure(
                "relay floor: bare websockets relay storing each message durably before its ack",
                "msg/s",
                {
                    "with the service's SQLite store": value(floors, FLOOR_SERVICE, RATE),
                    "bare websockets": value(data, "websockets", RATE),
                    "with a minimal SQLite store": value(floors, FLOOR_MINIMAL, RATE),
                },
                goal="(context: what durable acks alone leave of the relay target)",
            )
        )
    # Throughput per second of server CPU: comparable even when the machine is shared
    # or a per-connection limit caps the service below its ceiling.
    per_cpu = {
        t: round(d["throughput_msg_s"] / d["server_cpu"], 1) if d.get("server_cpu") else None
        for t, d in {**data, **floors}.items()
    }
    efficiency = Figure(
        "relayed messages per server CPU-second",
        "msg/CPU-s",
        per_cpu,
        goal="(reported; ratio shows the service's cost per message)",
    )
    result.figures.append(efficiency)
    for name, d in {**data, **floors}.items():
        if "latency" in d:
            result.add_latency("relay: send → delivery under saturation", name, d["latency"])
    result.notes.append(
        "Throughput counts messages delivered to the other side inside the measuring window. "
        "server_cpu/generator_cpu near 1.0 show which process was the bottleneck."
    )
    return result
