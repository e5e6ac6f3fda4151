"""What the benchmark needs from the OS: CPU pinning, open-file limit, /proc readings.

The machine has two cores: servers are pinned to :data:`SERVER_CPU` and the load
generator to :data:`GENERATOR_CPU` so neither steals the other's time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import resource
from collections.abc import Iterable, Iterator
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


@contextlib.contextmanager
def server_affinity() -> Iterator[None]:
    """Processes started inside run on the server CPU: a child inherits the
    affinity of the thread that forks it. For servers started by helpers that
    take no ``preexec_fn`` (PostgreSQL, Redis, nginx)."""
    before = os.sched_getaffinity(0)
    pin_to(SERVER_CPU)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


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


def descendants(roots: Iterable[int]) -> set[int]:
    """``roots`` and every live process below them (from /proc/*/stat)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        children.setdefault(ppid, []).append(int(entry))
    found: set[int] = set()
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += children.get(pid, [])
    return found


class TreeCpuMeter:
    """CPU utilisation (in cores) of named process trees over a window: a
    whole server stack (instances, database, Redis, proxy), each part apart.
    Processes that start or end inside the window count from when they exist."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = dict(roots)
        self._cpu0: dict[int, float] = {}
        self._wall0 = 0.0
        self.by_root: dict[str, float] = {}

    def _sample(self) -> dict[str, dict[int, float]]:
        out: dict[str, dict[int, float]] = {}
        for name, root in self.roots.items():
            tree = out.setdefault(name, {})
            for pid in descendants([root]):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    tree[pid] = cpu_seconds(pid)
        return out

    def start(self, now: float) -> None:
        self._cpu0 = {pid: cpu for tree in self._sample().values() for pid, cpu in tree.items()}
        self._wall0 = now

    def stop(self, now: float) -> float:
        """The total; :attr:`by_root` has each tree's share."""
        wall = now - self._wall0
        if wall <= 0:
            return 0.0
        self.by_root = {
            name: sum(cpu - self._cpu0.get(pid, 0.0) for pid, cpu in tree.items()) / wall
            for name, tree in self._sample().items()
        }
        return sum(self.by_root.values())


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
