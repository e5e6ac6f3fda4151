"""Waiting rooms of this instance: positions, estimates and live queue pushes.

The database is the source of truth; this instance keeps an ordered copy of
each unit's waiting room and pushes, after any change to a unit's queues,

- a ``queue`` frame (:class:`~chatserver.ws.wire.QueueFrame`) to each waiting
  patient connected here whose place changed, and
- a ``queues`` frame (:class:`~chatserver.ws.wire.QueuesFrame`, encoded once)
  to staff connected here who see the unit.

How the copy is kept current: a change made on this instance (intake, pick,
transfer, close, requeue, level change) is announced with
:meth:`QueueService.announce`, which carries the contact as committed; the
refresher applies it to the copy (an insert or removal in order) instead of
reloading the queue. Every other change (another instance's, an admin's) is
ambiguous and makes the next refresh reload the unit from the database, as
does a copy older than :data:`RELOAD_S`; and every :data:`VERIFY_S` a unit
changed from announcements is reloaded and compared, so a change applied out
of order lives seconds at most. One background task coalesces bursts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import replace

from chatserver.core.lifecycle import ContactStatus
from chatserver.core.wait_estimate import WINDOW_S, PickRate, Place
from chatserver.core.waiting_room import WaitingEntry, WaitingRoom, preview_of
from chatserver.fanout.local import Fanout
from chatserver.flow.queue_audit import QueuePreviewAudit
from chatserver.hooks import Hooks
from chatserver.logs import get_logger
from chatserver.metrics import Metrics
from chatserver.storage.base import Contact, Queue, Storage
from chatserver.storage.waiting_entries import waiting_entries
from chatserver.ws import wire
from chatserver.ws.hub import Hub

log = get_logger("chatserver.queues")

# The staff view lists at most this many waiting contacts per queue (``count``
# has the total): a dashboard shows the head of the line, and a 1,000-patient
# queue must not turn every update into a 150 KB frame for every dashboard.
QUEUE_VIEW_CONTACTS = 100
# Prometheus scrapes every 15-30 s; refreshing the wait gauges every 5 s keeps
# an "oldest wait > 15 min" alert within seconds of the truth.
GAUGE_REFRESH_S = 5.0
# A unit's copy kept from announcements is reloaded at the next change once it
# is this old (service clock), and checked against the database every VERIFY_S
# (wall time, with the gauges) if changes stopped: a dashboard sees at most a
# few seconds of a view that an out-of-order announcement made wrong. Reloading
# at every change instead cost a query and a thousand row decodings per
# arrival, which at 200 arrivals/s saturated the event loop (p99 over 1 s).
RELOAD_S = 2.0
VERIFY_S = GAUGE_REFRESH_S


def entry_of(c: Contact, identified: bool = False) -> WaitingEntry:
    return WaitingEntry(
        contact_id=c.id,
        level=c.level,
        tags=c.tags,
        red_flag=c.red_flag,
        priority_tier=c.priority_tier,
        priority_key=c.priority_key if c.priority_key is not None else c.created_at,
        queued_at=c.queued_at if c.queued_at is not None else c.created_at,
        created_at=c.created_at,
        reasons=c.reasons,
        identified=identified,
        name=c.name,
        lang=c.lang,
        preview=preview_of(c.text),
    )


class QueueService:
    def __init__(
        self,
        storage: Storage,
        hub: Hub,
        metrics: Metrics,
        clock: Callable[[], float],
        hooks: Hooks | None = None,
    ) -> None:
        self.storage = storage
        self.hub = hub
        self.metrics = metrics
        self.clock = clock
        # Which waiting contacts are identified (hooks.identities): one query
        # per room load and per round of announced arrivals, never per message.
        self.hooks = hooks if hooks is not None else Hooks()
        self._queues: dict[str, Queue] = {}
        self._rooms: dict[str, WaitingRoom] = {}
        self._rates: dict[str, PickRate] = {}
        # Positions last pushed per queue (the room's own position map, which
        # it replaces rather than mutates on a change: no copy needed).
        self._pushed: dict[str, Mapping[str, int]] = {}
        self._dirty: set[str] = set()
        # Announced changes not applied yet: unit -> contact id -> the contact
        # as committed (a later announcement of the same contact supersedes).
        self._pending: dict[str, dict[str, Contact]] = {}
        self._stale: set[str] = set()  # units whose next refresh reloads
        self._loaded_at: dict[str, float] = {}  # unit -> service clock at its load
        self._unverified: set[str] = set()  # units changed from announcements since load
        self._verify: set[str] = set()  # units reloaded only to check their copy
        self._announcing: str | None = None
        # Queue previews (names, first words) sent to nurses and doctors are
        # audited as list accesses, throttled (flow/queue_audit.py).
        self.preview_audit = QueuePreviewAudit(hub, self.hooks)
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
        await self.preview_audit.stop()

    async def _tick(self) -> None:
        """Keep the oldest-wait gauges current between changes (alerting reads
        them), and check copies kept from announcements against the database."""
        while True:
            await asyncio.sleep(GAUGE_REFRESH_S)
            self.update_gauges()
            self.verify_soon()

    def verify_soon(self) -> None:
        """Reload every unit changed from announcements since its last load;
        staff get a push only if the database disagreed."""
        for unit_id in self._unverified:
            if unit_id not in self._stale:
                self._verify.add(unit_id)
            self._stale.add(unit_id)
            self._dirty.add(unit_id)
        self._unverified = set()
        if self._dirty:
            self._wake.set()

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
        """A unit's waiting room changed (the fan-out's listener, every instance).

        A change this instance announced (see :meth:`announce`) is already
        recorded; any other one (another instance, an admin) is ambiguous and
        makes the next refresh reload the unit.
        """
        if self._announcing == unit_id:
            self._announcing = None
        else:
            self._stale.add(unit_id)
        self._verify.discard(unit_id)  # a real change: staff get a push either way
        self._dirty.add(unit_id)
        self._wake.set()

    async def announce(self, fanout: Fanout, contact: Contact, unit_id: str | None = None) -> None:
        """Tell every instance that ``contact`` (as committed) changed the waiting
        room of ``unit_id`` (default: its own unit, e.g. the old unit of a
        transfer). Call after the write committed.

        This instance applies the change to its copy; the fan-out calls
        :meth:`changed` on every instance, here synchronously before its first
        await (both implementations), which ``_announcing`` tells apart from an
        ambiguous change. A fan-out that did not would only make this instance
        keep its copy for a changed notice it did not need (verified later).
        """
        unit = unit_id if unit_id is not None else contact.unit_id
        self._pending.setdefault(unit, {})[contact.id] = contact
        self._announcing = unit
        try:
            await fanout.queue_changed(unit)
        finally:
            self._announcing = None

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
        # Read straight into entries (no Contact per row): a reload reads the whole queue.
        entries = await self.storage.read(waiting_entries(queue_id))
        ids = [e.contact_id for e in entries]
        identified = await self.hooks.identities.identified(ids) if ids else set()
        room = WaitingRoom(
            replace(e, identified=True) if e.contact_id in identified else e for e in entries
        )
        self._rooms[queue_id] = room
        return room

    async def _identified(self, contacts: Iterable[Contact]) -> set[str]:
        """Those of the waiting ``contacts`` that are identified (one query, none if empty)."""
        ids = [c.id for c in contacts if c.status == ContactStatus.QUEUED]
        return await self.hooks.identities.identified(ids) if ids else set()

    def _apply(
        self,
        unit_id: str,
        queues: list[Queue],
        changes: Iterable[Contact],
        identified: Container[str] = frozenset(),
    ) -> bool:
        """Apply announced changes to the unit's rooms; False if one cannot be
        applied (a queue not loaded here: the caller reloads instead).
        ``identified``: those of the changed contacts bound to a person."""
        rooms: dict[str, WaitingRoom] = {}
        for q in queues:
            room = self._rooms.get(q.id)
            if room is None:
                return False
            rooms[q.id] = room
        plan: list[tuple[Contact, WaitingRoom | None]] = []
        for c in changes:
            target = None
            if c.status == ContactStatus.QUEUED and c.unit_id == unit_id:
                target = rooms.get(c.queue_id)
                if target is None:
                    return False
            plan.append((c, target))
        for c, target in plan:
            for room in rooms.values():
                room.remove(c.id)
            if target is not None:
                target.add(entry_of(c, c.id in identified))
        return True

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

    async def position_of(self, contact: Contact) -> Place | None:
        """The place in line and estimated wait of a waiting contact, exact.

        Counted by the database along its waiting-room index, so an intake or a
        hello costs no load of the whole queue (which made 10,000 arrivals
        quadratic).
        """
        if contact.status != ContactStatus.QUEUED:
            return None
        return await self.place_at(contact, await self.storage.queue_position(contact.id))

    async def place_at(self, contact: Contact, position: int | None) -> Place | None:
        """:meth:`position_of` for a position already read (None: not waiting)."""
        if position is None:
            return None
        est = (await self.rate(contact.queue_id)).estimate(position, self.clock())
        return Place(position, est)

    async def refresh_unit(self, unit_id: str) -> None:
        """Bring the unit's rooms up to date and push what changed."""
        now = self.clock()
        queues = await self.queues_of_units([unit_id])
        changes = self._pending.pop(unit_id, {})
        verifying = unit_id in self._verify
        self._verify.discard(unit_id)
        reload = (
            unit_id in self._stale or now - self._loaded_at.get(unit_id, float("-inf")) >= RELOAD_S
        )
        if not reload:
            identified = await self._identified(changes.values())
            reload = not self._apply(unit_id, queues, changes.values(), identified)
        if reload:
            # Announced changes popped above committed before this read: the
            # reload includes them. Later ones wait in _pending for the next round.
            self._stale.discard(unit_id)
            self._unverified.discard(unit_id)
            self._loaded_at[unit_id] = now
            before = {q.id: self._rooms.get(q.id) for q in queues}
            for q in queues:
                await self.load_room(q.id)
            if verifying:
                if all(
                    (old := before[q.id]) is not None and old.same_as(self._rooms[q.id])
                    for q in queues
                ):
                    return
                log.info("queue_copy_corrected", unit_id=unit_id)
        else:
            self._unverified.add(unit_id)
        await self._push(unit_id, queues, now)

    async def _push(self, unit_id: str, queues: list[Queue], now: float) -> None:
        for q in queues:
            room = self._rooms[q.id]
            summary = room.summary(now)
            self.metrics.waiting.labels(q.id).set(summary.count)
            self.metrics.oldest_wait.labels(q.id).set(summary.oldest_wait_s)
            previous = self._pushed.get(q.id, {})
            changed = room.changed_since(previous)
            self._pushed[q.id] = room.positions()
            connected = [cid for cid in changed if self.hub.patient_connections(cid)]
            if connected:
                rate = await self.rate(q.id)
                for cid in connected:
                    pos = changed[cid]
                    frame = wire.QueueFrame(cid, pos, rate.estimate(pos, now))
                    self.hub.deliver("contact", cid, frame)
        views = self._view(queues, now)
        # Managers and admins get the counts only, never a waiting contact's tags.
        self.hub.deliver("unit_clinical", unit_id, wire.QueuesFrame(views))
        self.hub.deliver("unit_counts", unit_id, wire.QueuesFrame(views, counts_only=True))
        self.preview_audit.pushed(unit_id, views, now)

    async def staff_view(self, unit_ids: Iterable[str]) -> list[wire.QueueView]:
        """The ``queues`` list staff see for these units (counts, oldest wait, contacts)."""
        queues = await self.queues_of_units(unit_ids)
        for q in queues:
            if q.id not in self._rooms:
                await self.load_room(q.id)
        return self._view(queues, self.clock())

    def _view(self, queues: list[Queue], now: float) -> list[wire.QueueView]:
        rooms = self._rooms
        return [
            wire.QueueView(q, rooms[q.id].summary(now), rooms[q.id].head(QUEUE_VIEW_CONTACTS), now)
            for q in queues
        ]
