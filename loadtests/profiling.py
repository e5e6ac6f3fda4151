"""Sampling profiles of the server with py-spy, summarised as hot spots.

``python -m loadtests profile --profile-scenario relay`` runs one scenario against
the service only, with ``py-spy record`` attached to the server during each
measuring window (set-up such as logins is left out), and saves
``results/profile-SCENARIO.json``: the functions where samples were taken
(self) and the functions on the stack (inclusive), top first.
"""

from __future__ import annotations

import collections
import json
import shutil
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from loadtests.runner import Options

SAMPLE_RATE_HZ = 250
profile_dir: Path | None = None  # set while `profile` runs
TOP = 25
STOP_TIMEOUT_S = 20.0


def py_spy() -> str | None:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy")


class Sampler:
    """``py-spy record`` attached to one process until :meth:`stop`."""

    def __init__(self, pid: int, out: Path) -> None:
        self.out = out
        exe = py_spy()
        self.proc: subprocess.Popen[bytes] | None = None
        if exe is None:
            return
        self.proc = subprocess.Popen(
            [
                exe,
                "record",
                "-p",
                str(pid),
                "-r",
                str(SAMPLE_RATE_HZ),
                "-f",
                "raw",
                "-o",
                str(out),
                "--nonblocking",
                # Only samples of a thread holding the GIL: Python CPU, not a
                # writer thread waiting in fsync or an idle event loop.
                "--gil",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(STOP_TIMEOUT_S)


def summarise(raw: Path, top: int = TOP) -> dict[str, Any]:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f]
        total += count
        if frames:
            own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count

    def share(counter: collections.Counter[str]) -> list[dict[str, Any]]:
        return [{"function": f, "share": round(c / total, 4)} for f, c in counter.most_common(top)]

    return {"samples": total, "self": share(own), "inclusive": share(inclusive)}


async def profile(scenario: str, opts: Options) -> None:
    from loadtests.scenarios import SCENARIOS  # noqa: PLC0415

    global profile_dir  # noqa: PLW0603 - read by CpuWindow around each measuring window
    profile_dir = opts.work_dir / "profiles"
    profile_dir.mkdir(parents=True, exist_ok=True)
    result = await SCENARIOS[scenario].run(replace(opts, targets=("service",)))
    summaries = {
        raw.stem: summarise(raw) for raw in sorted(profile_dir.glob("*.txt")) if raw.stat().st_size
    }
    out = opts.out_dir / f"profile-{scenario}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"scenario": scenario, "details": result.details, "profiles": summaries},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    for name, summary in summaries.items():
        print(f"== {name}: {summary['samples']} samples")
        for row in summary["self"][:15]:
            print(f"  {row['share']:6.1%}  {row['function']}")
    print(f"→ {out}")
