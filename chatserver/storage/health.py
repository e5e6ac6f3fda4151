"""Whether the database takes writes right now (for /readyz and the probe).

An engine records the outcome of every write: one that failed because the
database is unavailable (:class:`~.base.StorageUnavailable`: disk full, I/O
error, locked too long, PostgreSQL restarting or unreachable) makes it
unhealthy; the next write that commits makes it healthy again. While it is
unhealthy and no write has been tried for a while, the app runs a cheap probe
write (:meth:`~.base.Storage.probe_write`, ``chatserver/storage_watch.py``) so
that an instance the load balancer stopped sending traffic to can come back.

Pure bookkeeping, no I/O and no logging: the engines call it from the event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["WriteHealth"]


class WriteHealth:
    """Consecutive unavailable-write failures and when they started."""

    __slots__ = ("_clock", "failing_since", "failures", "last_outcome_at", "total_failures")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.failing_since: float | None = None  # monotonic time of the first failure
        self.failures = 0  # failed writes since then
        self.total_failures = 0  # since start (for tests and the recovery log)
        self.last_outcome_at = clock()  # the last write that committed or failed

    @property
    def healthy(self) -> bool:
        return self.failing_since is None

    def failed(self) -> None:
        now = self._clock()
        self.last_outcome_at = now
        if self.failing_since is None:
            self.failing_since = now
        self.failures += 1
        self.total_failures += 1

    def succeeded(self) -> None:
        self.last_outcome_at = self._clock()
        self.failing_since = None
        self.failures = 0

    def idle_for(self) -> float:
        """Seconds since the last write outcome (the probe runs only when idle)."""
        return self._clock() - self.last_outcome_at
