"""Watching the storage's write health: readiness, the probe, the outage log.

The engines raise :class:`~chatserver.storage.base.StorageUnavailable` when
the database cannot write (disk full, I/O error, PostgreSQL restarting) and
record each write's outcome (:mod:`chatserver.storage.health`). This service:

* answers whether the instance is ready for writes (``/readyz`` turns 503
  while writes fail, so the load balancer sends new patients elsewhere);
* logs the outage once: its first error in full, then a count per
  :data:`~chatserver.logs.REPEAT_LOG_INTERVAL_S`, and a line when it ends;
* every :data:`PROBE_EVERY_S`, while writes fail and no write has been tried
  for :data:`PROBE_IDLE_S`, runs one cheap probe write, so an instance that
  nobody writes to any more (the load balancer took it out) comes back by itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

from chatserver.logs import RepeatedErrors, get_logger
from chatserver.metrics import Metrics
from chatserver.storage.base import Storage

__all__ = ["PROBE_EVERY_S", "PROBE_IDLE_S", "RETRY_AFTER_S", "StorageWatch"]

log = get_logger("chatserver.storage_watch")

# The retry hint given to clients (HTTP Retry-After, the frame's retry_after_s):
# a PostgreSQL restart takes a few seconds, freeing disk space longer; clients
# back off exponentially from here.
RETRY_AFTER_S = 2
# How often the watch looks (log counts, the probe): readiness changes within this.
PROBE_EVERY_S = 2.0
# The probe only runs when no real write has been tried this long: while
# clients keep retrying, their writes are the probe.
PROBE_IDLE_S = 5.0


class StorageWatch:
    def __init__(self, storage: Storage, metrics: Metrics) -> None:
        self.storage = storage
        self.metrics = metrics
        self.errors = RepeatedErrors(log)
        self._was_healthy = True

    @property
    def writes_ok(self) -> bool:
        return self.storage.write_health.healthy

    def failed(self, exc: BaseException, **fields: Any) -> None:
        """A request failed because storage is unavailable: count it, log it throttled."""
        self.metrics.errors.labels("storage_unavailable").inc()
        self.errors.error("storage_unavailable", exc, **fields)
        self._note_transition()

    def _note_transition(self) -> None:
        health = self.storage.write_health
        if health.healthy and not self._was_healthy:
            log.info("storage_writes_recovered", total_failures=health.total_failures)
        elif not health.healthy and self._was_healthy:
            log.warning("storage_writes_failing")
        self._was_healthy = health.healthy

    async def run(self) -> None:
        """The background loop (one per app, :meth:`chatserver.state.AppState.start`)."""
        while True:
            await asyncio.sleep(PROBE_EVERY_S)
            await self.check_once()

    async def check_once(self) -> None:
        health = self.storage.write_health
        if not health.healthy and health.idle_for() >= PROBE_IDLE_S:
            try:
                await self.storage.probe_write()
            except Exception as exc:  # StorageUnavailable, or anything else: try again later
                self.errors.error("storage_probe_failed", exc)
        self.errors.flush()
        self._note_transition()
