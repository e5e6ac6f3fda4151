"""What the benchmark needs from the OS: CPU pinning, open-file limit, /proc readings.

The machine has two cores: servers are pinned to :data:`SERVER_CPU` and the load
generator to :data:`GENERATOR_CPU` so neither steals the other's time.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import resource
from dataclasses import asdict, dataclass
from typing import Any

SERVER_CPU = 0
GENERATOR_CPU = 1
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def pin_to(cpu: int) -> None:
    """Pin the calling process (and threads it creates later) to one CPU, if it exists.

    Checked against the machine's CPUs, not the current affinity: a server child
    inherits the generator's single-CPU mask and must still move to its own CPU.
    """
    if (os.cpu_count() or 1) > 1 and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def pin_generator() -> None:
    pin_to(GENERATOR_CPU)


def pin_server() -> None:
    """``preexec_fn`` for server subprocesses: runs in the child before exec."""
    pin_to(SERVER_CPU)


def raise_nofile() -> int:
    """Raise the soft open-file limit to the hard limit (10,000 sockets need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1_048_576
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc/PID/statm (pages → KiB)."""
    with open(f"/proc/{pid}/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * PAGE_KIB


def cpu_seconds(pid: int) -> float:
    """User + system CPU time consumed so far by a process (all its threads)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class CpuMeter:
    """CPU utilisation (0..1 of one core) of a process over a window."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._cpu0 = 0.0
        self._wall0 = 0.0

    def start(self, now: float) -> None:
        self._cpu0 = cpu_seconds(self.pid)
        self._wall0 = now

    def stop(self, now: float) -> float:
        wall = now - self._wall0
        return (cpu_seconds(self.pid) - self._cpu0) / wall if wall > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Machine:
    cpu_model: str
    cores: int
    python: str
    kernel: str
    date: str
    load_average: str  # other work on the machine skews every figure: record it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> Machine:
    return Machine(
        cpu_model=cpu_model(),
        cores=os.cpu_count() or 1,
        python=platform.python_version(),
        kernel=platform.release(),
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        load_average=" ".join(f"{x:.2f}" for x in os.getloadavg()),
    )
