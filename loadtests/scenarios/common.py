"""Per-target measurement loop shared by the scenarios."""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

from loadtests import profiling
from loadtests.profiling import Sampler
from loadtests.results import ScenarioResult
from loadtests.runner import Options, failure_text, open_target
from loadtests.system import CpuMeter
from loadtests.targets import Target

Measure = Callable[[Target], Awaitable[dict[str, Any]]]


async def each_target(
    result: ScenarioResult,
    opts: Options,
    measure: Measure,
    targets: tuple[str, ...] | None = None,
    label: str = "",
) -> dict[str, dict[str, Any]]:
    """Run ``measure`` against each target in turn (its own fresh server each time).

    A target that fails is recorded with its error and the others still run.
    """
    out: dict[str, dict[str, Any]] = {}
    for name in targets or opts.targets:
        if name not in opts.targets:
            continue
        try:
            async with open_target(name, opts) as target:
                out[name] = await measure(target)
        except Exception as exc:
            out[name] = {"error": failure_text(exc)}
        result.details[f"{label}:{name}" if label else name] = out[name]
    return out


class CpuWindow:
    """CPU use of the server and of this generator process over one window."""

    def __init__(self, server_pid: int) -> None:
        self._pid = server_pid
        self._server = CpuMeter(server_pid)
        self._generator = CpuMeter(os.getpid())
        self._sampler: Sampler | None = None
        self._started = 0.0

    def start(self) -> None:
        if profiling.profile_dir is not None:  # `python -m loadtests profile`: sample the window
            out = profiling.profile_dir / f"service-{self._pid}-{time.monotonic_ns()}.txt"
            self._sampler = Sampler(self._pid, out)
        now = time.perf_counter()
        self._started = now
        self._server.start(now)
        self._generator.start(now)

    def stop(self) -> dict[str, float]:
        if self._sampler is not None:
            self._sampler.stop()
        now = time.perf_counter()
        return {
            "server_cpu": round(self._server.stop(now), 3),
            "generator_cpu": round(self._generator.stop(now), 3),
            # With server_cpu, the server's CPU-seconds: a figure that holds
            # when other processes competed for the core.
            "window_s": round(now - self._started, 3),
        }


def value(data: dict[str, dict[str, Any]], target: str, key: str) -> float | None:
    got = data.get(target, {}).get(key)
    return float(got) if isinstance(got, int | float) else None
