"""Waiting rooms of this instance: positions, estimates and live queue pushes.

The database is the source of truth. After any change to a unit's queues
(intake, pick, transfer, close, ...), :meth:`QueueService.changed` marks the
unit dirty; one background task coalesces bursts, reloads the unit's waiting
contacts (one indexed query per queue), and pushes

- ``{"type": "queue", "position", "estimated_wait_s"}`` to each waiting patient
  connected here whose place changed, and
- ``{"type": "queues", "queues": [...]}`` to staff connected here who see the unit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any

from chatserver.core.wait_estimate import WINDOW_S, PickRate
from chatserver.core.waiting_room import WaitingEntry, WaitingRoom
from chatserver.hub import Hub
from chatserver.logs import get_logger
from chatserver.metrics import Metrics
from chatserver.storage.base import Contact, Queue, Storage
from chatserver.wire import encode, iso

log = get_logger("chatserver.queues")

# The staff view lists at most this many waiting contacts per queue (``count``
# has the total): a dashboard shows the head of the line, and a 1,000-patient
# queue must not turn every update into a 150 KB frame for every dashboard.
QUEUE_VIEW_CONTACTS = 100
# Prometheus scrapes every 15-30 s; refreshing the wait gauges every 5 s keeps
# an "oldest wait > 15 min" alert within seconds of the truth.
GAUGE_REFRESH_S = 5.0


def entry_of(c: Contact) -> WaitingEntry:
    return WaitingEntry(
        contact_id=c.id,
        level=c.level,
        tags=c.tags,
        red_flag=c.red_flag,
        priority_tier=c.priority_tier,
        priority_key=c.priority_key if c.priority_key is not None else c.created_at,
        queued_at=c.queued_at if c.queued_at is not None else c.created_at,
    )


class QueueService:
    def __init__(
        self, storage: Storage, hub: Hub, metrics: Metrics, clock: Callable[[], float]
    ) -> None:
        self.storage = storage
        self.hub = hub
        self.metrics = metrics
        self.clock = clock
        self._queues: dict[str, Queue] = {}
        self._rooms: dict[str, WaitingRoom] = {}
        self._rates: dict[str, PickRate] = {}
        self._pushed: dict[str, dict[str, int]] = {}
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ticker: asyncio.Task[None] | None = None

    # -- life cycle --------------------------------------------------------
    async def start(self) -> None:
        await self.reload_queues()
        self._task = asyncio.get_running_loop().create_task(self._run())
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> None:
        for task in (self._task, self._ticker):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _tick(self) -> None:
        """Keep the oldest-wait gauges current between changes (alerting reads them)."""
        while True:
            await asyncio.sleep(GAUGE_REFRESH_S)
            self.update_gauges()

    def update_gauges(self) -> None:
        now = self.clock()
        for queue_id, room in self._rooms.items():
            summary = room.summary(now)
            self.metrics.waiting.labels(queue_id).set(summary.count)
            self.metrics.oldest_wait.labels(queue_id).set(summary.oldest_wait_s)

    async def reload_queues(self) -> None:
        self._queues = {q.id: q for q in await self.storage.list_queues()}

    async def queue(self, queue_id: str) -> Queue | None:
        q = self._queues.get(queue_id)
        if q is None:
            q = await self.storage.get_queue(queue_id)
            if q is not None:
                self._queues[q.id] = q
        return q

    async def queues_of_units(self, unit_ids: Iterable[str]) -> list[Queue]:
        wanted = set(unit_ids)
        if any(u not in {q.unit_id for q in self._queues.values()} for u in wanted):
            await self.reload_queues()
        return sorted((q for q in self._queues.values() if q.unit_id in wanted), key=lambda q: q.id)

    # -- change notification -------------------------------------------------
    def changed(self, unit_id: str) -> None:
        """A unit's waiting room changed (here or on another instance)."""
        self._dirty.add(unit_id)
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            # Let the burst that woke us finish, so that many changes cost one refresh.
            await asyncio.sleep(0)
            dirty, self._dirty = self._dirty, set()
            for unit_id in dirty:
                try:
                    await self.refresh_unit(unit_id)
                except Exception:
                    log.exception("queue_refresh_failed", unit_id=unit_id)

    async def flush(self) -> None:
        """Process pending changes now (tests, shutdown)."""
        dirty, self._dirty = self._dirty, set()
        for unit_id in dirty:
            await self.refresh_unit(unit_id)

    # -- snapshots ---------------------------------------------------------
    async def load_room(self, queue_id: str) -> WaitingRoom:
        room = WaitingRoom(entry_of(c) for c in await self.storage.waiting([queue_id]))
        self._rooms[queue_id] = room
        return room

    async def rate(self, queue_id: str) -> PickRate:
        rate = self._rates.get(queue_id)
        now = self.clock()
        if rate is None:
            times = await self.storage.recent_pick_times(queue_id, now - WINDOW_S)
            rate = self._rates[queue_id] = PickRate(times)
        return rate

    def record_pick(self, queue_id: str, at: float) -> None:
        rate = self._rates.get(queue_id)
        if rate is not None:
            rate.record(at)

    async def position_of(self, contact: Contact) -> dict[str, int] | None:
        """``{"position", "estimated_wait_s"}`` of a waiting contact, exact.

        Counted by the database along its waiting-room index, so an intake or a
        hello costs no load of the whole queue (which made 10,000 arrivals
        quadratic).
        """
        if contact.status != "queued":
            return None
        pos = await self.storage.queue_position(contact.id)
        if pos is None:
            return None
        est = (await self.rate(contact.queue_id)).estimate(pos, self.clock())
        return {"position": pos, "estimated_wait_s": est}

    async def refresh_unit(self, unit_id: str) -> None:
        now = self.clock()
        queues = await self.queues_of_units([unit_id])
        for q in queues:
            room = await self.load_room(q.id)
            summary = room.summary(now)
            self.metrics.waiting.labels(q.id).set(summary.count)
            self.metrics.oldest_wait.labels(q.id).set(summary.oldest_wait_s)
            previous = self._pushed.get(q.id, {})
            changed = room.changed_since(previous)
            self._pushed[q.id] = dict(room.positions())
            if changed:
                rate = await self.rate(q.id)
                for cid, pos in changed.items():
                    if self.hub.patient_connections(cid):
                        frame = {
                            "type": "queue",
                            "contact_id": cid,
                            "position": pos,
                            "estimated_wait_s": rate.estimate(pos, now),
                        }
                        self.hub.deliver("contact", cid, frame)
        frame_text = encode({"type": "queues", "queues": await self.staff_view([unit_id])})
        self.hub.deliver("unit", unit_id, frame_text)

    async def staff_view(self, unit_ids: Iterable[str]) -> list[dict[str, Any]]:
        """The ``queues`` list staff see for these units (counts, oldest wait, contacts)."""
        now = self.clock()
        out: list[dict[str, Any]] = []
        for q in await self.queues_of_units(unit_ids):
            room = self._rooms.get(q.id) or await self.load_room(q.id)
            s = room.summary(now)
            out.append(
                {
                    "id": q.id,
                    "unit_id": q.unit_id,
                    "competence": q.competence,
                    "name": q.name,
                    "count": s.count,
                    "oldest_wait_s": s.oldest_wait_s,
                    "red_flags": s.red_flags,
                    "levels": dict(s.by_level),
                    "contacts": [
                        {
                            "contact_id": e.contact_id,
                            "position": i + 1,
                            "level": e.level,
                            "tags": list(e.tags),
                            "red_flag": e.red_flag,
                            "queued_at": iso(e.queued_at),
                            "waited_s": max(0, int(now - e.queued_at)),
                        }
                        for i, e in enumerate(room.entries[:QUEUE_VIEW_CONTACTS])
                    ],
                }
            )
        return out
