"""(h) Scale-out: what two instances on PostgreSQL + Redis behind nginx cost.

Patients and nurses connect through nginx (deploy/'s site, TLS, round robin
over the instances), so about half the conversations have their two sides on
different instances and every message crosses through Redis. Measured as in
the relay and latency scenarios, over the same 100 conversations:

* the relay ceiling (closed loop, :data:`relay.WINDOW` unacked per sender);
* p99 delivery at 100 msg/s and at 50 % of the two-instance ceiling (open loop).

The same run measures one SQLite instance behind the same nginx (what the
proxy and TLS cost, apart from scale-out) and shows the direct single-instance
figures of this run's relay and latency scenarios beside them. Every server
process (both instances, PostgreSQL, Redis, nginx) is pinned to the server CPU:
the figures say what scale-out costs on one core, not what two machines gain.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from loadtests.conversation import Traffic
from loadtests.edge import EdgeTarget, tls_context
from loadtests.http_client import HttpConnection
from loadtests.results import Figure, ScenarioResult
from loadtests.runner import Options, failure_text
from loadtests.scenarios.relay import WINDOW
from loadtests.stacks import Stack, cluster_stack, missing_tools, single_stack
from loadtests.system import CpuMeter, TreeCpuMeter

NAME = "crossinstance"
LOW_RATE = 100.0
HALF = 0.5  # the paced rate: half the two-instance ceiling, as the latency scenario
# Seconds per measuring window (relay and latency use 10): two stacks, each
# with 100 sign-ins, a ceiling and two paced rates, keep the whole scenario
# under 2 minutes on a busy 2-core machine (500 samples at 100 msg/s).
MEASURE_S = 5.0
CLUSTER = "PG+Redis ×2"
SINGLE = "SQLite ×1"
DIRECT = "SQLite ×1, direct"

StackFactory = Callable[[Options, int, str], AbstractAsyncContextManager[Stack]]


class _Window:
    """CPU of the whole server stack and of the generator over one window."""

    def __init__(self, stack: Stack) -> None:
        self._stack = TreeCpuMeter(stack.roots)
        self._generator = CpuMeter(os.getpid())

    def __enter__(self) -> _Window:
        now = time.perf_counter()
        self._stack.start(now)
        self._generator.start(now)
        self.usage: dict[str, float] = {}
        return self

    def __exit__(self, *exc: object) -> None:
        now = time.perf_counter()
        self.usage = {
            "stack_cpu": round(self._stack.stop(now), 3),
            "generator_cpu": round(self._generator.stop(now), 3),
        }
        self.usage |= {f"cpu:{k}": round(v, 3) for k, v in self._stack.by_root.items()}


def _counts(traffic: Traffic) -> dict[str, Any]:
    r = traffic.result
    return {
        "sent": r.sent,
        "delivered": r.delivered,
        "lost": r.lost,
        "errors": r.errors,
        "first_error": r.first_error,
    }


async def _connections(stack: Stack) -> dict[str, str]:
    """Open WebSockets per instance (its own /metrics, not through nginx)."""
    out = {}
    for server in stack.instances:
        http = HttpConnection("127.0.0.1", server.port, server.origin)
        try:
            text = (await http.request("GET", "/metrics")).body.decode()
        except OSError as exc:
            out[server.name] = f"? ({exc})"
            continue
        finally:
            await http.close()
        found = {
            line.split('role="', 1)[1].split('"', 1)[0]: int(float(line.rsplit(" ", 1)[1]))
            for line in text.splitlines()
            if line.startswith("chat_open_connections{")
        }
        out[server.name] = ", ".join(f"{k} {v}" for k, v in sorted(found.items()))
    return out


async def measure_stack(
    stack: Stack, opts: Options, pairs: int, rates: dict[str, float] | None
) -> dict[str, Any]:
    """Ceiling, then the paced rates (``None``: 100 msg/s and half this
    stack's own ceiling), over the same conversations."""
    tls = tls_context(stack.nginx.workdir / "tls.crt")  # written by Nginx.start
    target = EdgeTarget(stack.instances[0], stack.accounts, stack.nginx.port, tls)
    out: dict[str, Any] = {"pairs": pairs}
    try:
        started = time.perf_counter()
        traffic = Traffic(await target.pairs(pairs), tag="x0")
        out["connect_s"] = round(time.perf_counter() - started, 1)  # intakes, sign-ins, picks
        try:
            out["connections"] = await _connections(stack)
            with _Window(stack) as window:
                ceiling = await traffic.closed_loop(
                    warmup_s=opts.scale(2.0, 0.3),
                    measure_s=opts.scale(MEASURE_S, 1.0),
                    max_messages=opts.count(2_000_000, 20_000),
                    window=WINDOW,
                )
            out["ceiling"] = {
                "throughput_msg_s": round(ceiling, 1),
                **_counts(traffic),
                "latency": traffic.result.latency.summary().as_dict(),
                **window.usage,
            }
            if rates is None:
                half = ceiling * HALF
                rates = {"low": LOW_RATE, "half": round(half, 1)}
                if opts.smoke:
                    rates = {"low": 50.0, "half": round(min(half, 200.0), 1)}
            out["rates"] = rates
            for n, (label, rate) in enumerate(rates.items(), start=1):
                traffic.restart(f"x{n}")
                with _Window(stack) as window:
                    await traffic.fixed_rate(
                        rate, opts.scale(MEASURE_S, 1.0), warmup_s=opts.scale(1.0, 0.2)
                    )
                lat = traffic.result.latency.summary()
                out[label] = {
                    "rate_msg_s": rate,
                    **_counts(traffic),
                    "p99_ms": lat.p99_ms,
                    "latency": lat.as_dict(),
                    "send_lag": traffic.result.send_lag.summary().as_dict(),
                    **window.usage,
                }
        finally:
            await traffic.aclose()
    finally:
        await target.aclose()
    return out


def _direct(out_dir: Path) -> dict[str, float | None]:
    """The direct single-instance figures of this run (relay.json, latency.json
    written after this run's machine.json), else nothing."""
    machine = out_dir / "machine.json"
    since = machine.stat().st_mtime if machine.exists() else float("inf")
    got: dict[str, float | None] = {}
    for scenario in ("relay", "latency"):
        path = out_dir / f"{scenario}.json"
        if not path.exists() or path.stat().st_mtime < since:
            continue
        for figure in ScenarioResult.load(path).figures:
            got[figure.name] = figure.values.get("service")
    return got


def _figures(result: ScenarioResult, data: dict[str, dict[str, Any]], opts: Options) -> None:
    direct = _direct(opts.out_dir)

    def pick(label: str, *keys: str) -> float | None:
        got: Any = data.get(label, {})
        for key in keys:
            got = got.get(key) if isinstance(got, dict) else None
        return float(got) if isinstance(got, int | float) else None

    def values(direct_name: str, *keys: str) -> dict[str, float | None]:
        got = {CLUSTER: pick(CLUSTER, *keys), SINGLE: pick(SINGLE, *keys)}
        if direct.get(direct_name) is not None:  # only at the same rate
            got[DIRECT] = direct[direct_name]
        return got

    name = f"relay ceiling (closed loop, {WINDOW} unacked per sender)"
    result.figures.append(
        Figure(
            name,
            "msg/s",
            values(name, "ceiling", "throughput_msg_s"),
            goal="(reported: what scale-out costs)",
            key="scaleout",
        )
    )
    rates = data.get(CLUSTER, {}).get("rates") or data.get(SINGLE, {}).get("rates") or {}
    for label, rate in rates.items():
        name = f"p99 delivery at {rate:g} msg/s"
        result.figures.append(
            Figure(
                name + (" (50 % of the 2-instance ceiling)" if label == "half" else ""),
                "ms",
                values(name, label, "p99_ms"),
                goal="(reported)",
                key="scaleout",
            )
        )
    per_cpu = {}
    for label in (CLUSTER, SINGLE):
        rate, cpu = pick(label, "ceiling", "throughput_msg_s"), pick(label, "ceiling", "stack_cpu")
        per_cpu[label] = round(rate / cpu, 1) if rate and cpu else None
    result.figures.append(
        Figure(
            "relayed messages per server-stack CPU-second (instances + database + Redis + nginx)",
            "msg/CPU-s",
            per_cpu,
            goal="(reported: cost per message)",
        )
    )


async def run(opts: Options) -> ScenarioResult:
    pairs = opts.count(100, 5)
    result = ScenarioResult(NAME, {"pairs": pairs, "window": WINDOW, "setups": [CLUSTER, SINGLE]})
    if "service" not in opts.targets:
        result.notes.append("Skipped: the service is not among --targets.")
        return result
    data: dict[str, dict[str, Any]] = {}
    rates: dict[str, float] | None = None
    setups: tuple[tuple[str, StackFactory, bool], ...] = (
        (CLUSTER, cluster_stack, True),  # first: its ceiling sets the paced rates of both
        (SINGLE, single_stack, False),
    )
    for label, factory, postgres in setups:
        missing = missing_tools(postgres)
        if missing:
            data[label] = {"error": f"not installed: {', '.join(missing)}"}
        else:
            try:
                started = time.perf_counter()
                async with factory(opts, pairs, label) as stack:
                    setup_s = round(time.perf_counter() - started, 1)
                    data[label] = {"setup_s": setup_s}
                    data[label] |= await measure_stack(stack, opts, pairs, rates)
            except Exception as exc:
                data[label] = {"error": failure_text(exc)}
            rates = rates or data[label].get("rates")
        result.details[label] = _flat(data[label])
        paced = {"ceiling": "relay under saturation"}
        paced |= {k: f"{v:g} msg/s" for k, v in (rates or {}).items()}
        for key, what in paced.items():
            summary = data[label].get(key, {}).get("latency")
            if summary:
                result.add_latency(f"via nginx, {what}: send → delivery", label, summary)
    _figures(result, data, opts)
    result.notes.append(
        "Every server process (instances, PostgreSQL, Redis, nginx) shares the server CPU: "
        "two instances on one core measure what scale-out costs, not what it gains. "
        "PostgreSQL runs with fsync and synchronous_commit on (durable, like SQLite's "
        "synchronous=FULL). Clients speak TLS to nginx, each from its own loopback address; "
        "nginx round-robins requests, so about half the conversations cross instances "
        "(`connections`: open sockets per instance; a nurse's sign-in request and her "
        "WebSocket alternate in the rotation, which puts most staff sockets on one "
        "instance). The direct figures come from this "
        "run's relay and latency scenarios (absent when they did not run)."
    )
    return result


def _flat(d: dict[str, Any]) -> dict[str, Any]:
    """Details for the report: one level, latency histograms left out."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        if isinstance(value, dict) and key != "connections":
            for k, v in value.items():
                if k not in ("latency", "send_lag"):
                    out[f"{key}.{k}"] = v
        else:
            out[key] = value
    return out
