"""(b) Fixed-rate latency: 100 msg/s and 50 % of the service's measured relay ceiling.

Every target gets the same schedule. Goals: p99 ≤ 5 ms at 100 msg/s and
p99 ≤ 10 ms at 50 % of the ceiling.
"""

from __future__ import annotations

from typing import Any

from loadtests.conversation import Traffic
from loadtests.results import Figure, ScenarioResult
from loadtests.runner import Options, open_target
from loadtests.scenarios.common import CpuWindow, each_target, value
from loadtests.scenarios.relay import measure_ceiling
from loadtests.targets import Target

NAME = "latency"
LOW_RATE = 100.0
GOALS_MS = {"low": 5.0, "half": 10.0}


async def service_ceiling(opts: Options) -> float | None:
    """The service's ceiling from this run's relay result, else measured now."""
    relay_json = opts.out_dir / "relay.json"
    if relay_json.exists():
        from loadtests.results import ScenarioResult as Loaded  # noqa: PLC0415

        for figure in Loaded.load(relay_json).figures:
            got = figure.values.get("service")
            if got:
                return got
    if "service" not in opts.targets:
        return None
    try:
        async with open_target("service", opts) as target:
            return float((await measure_ceiling(target, opts))["throughput_msg_s"])
    except Exception:
        return None


async def run(opts: Options) -> ScenarioResult:
    pairs = opts.count(100, 10)
    ceiling = await service_ceiling(opts)
    rates = {"low": LOW_RATE if not opts.smoke else 50.0}
    if ceiling:
        rates["half"] = round(ceiling / 2, 1) if not opts.smoke else min(ceiling / 2, 200.0)
    duration = opts.scale(10.0, 1.0)
    result = ScenarioResult(
        NAME, {"pairs": pairs, "rates_msg_s": rates, "duration_s": duration, "ceiling": ceiling}
    )
    if ceiling is None:
        result.notes.append("No service ceiling available: only the fixed 100 msg/s rate ran.")

    for label, rate in rates.items():

        async def measure(target: Target, rate: float = rate) -> dict[str, Any]:
            traffic = Traffic(await target.pairs(pairs), tag="l")
            cpu = CpuWindow(target.server.pid)
            try:
                cpu.start()
                await traffic.fixed_rate(rate, duration, warmup_s=opts.scale(1.0, 0.2))
                usage = cpu.stop()
            finally:
                await traffic.aclose()
            r = traffic.result
            lat = r.latency.summary()
            return {
                "rate_msg_s": rate,
                "sent": r.sent,
                "delivered": r.delivered,
                "lost": r.lost,
                "errors": r.errors,
                "first_error": r.first_error,
                "p99_ms": lat.p99_ms,
                "latency": lat.as_dict(),
                "send_lag": r.send_lag.summary().as_dict(),
                "histogram": r.latency.encoded(),
                **usage,
            }

        data = await each_target(result, opts, measure, label=label)
        for name, d in data.items():
            if "latency" in d:
                result.add_latency(f"{rate:g} msg/s: scheduled send → delivery", name, d["latency"])
                result.add_latency(f"{rate:g} msg/s: generator send lag", name, d["send_lag"])
        goal = GOALS_MS[label]
        figure = Figure(
            f"p99 delivery at {rate:g} msg/s",
            "ms",
            {t: value(data, t, "p99_ms") for t in data},
            goal=f"≤ {goal:g} ms",
            key=f"latency-{label}",
        )
        service = figure.values.get("service")
        lost = data.get("service", {}).get("lost", 0)
        figure.passed = None if service is None else (service <= goal and not lost)
        result.figures.append(figure)
    return result
