"""The operations sweeper: one background task, driven by the app's clock.

Each :meth:`Sweeper.sweep_once` (every ``operations_sweep_s``):

1. reloads opening hours, queues and the banner (changes from other
   instances or the CLI) and announces a banner that started or ended;
2. escalates urgent and red-flag contacts waiting past their target: an
   ``escalation`` frame to every staff connection of the unit, a contact
   event, and ``chat_escalations_total``;
3. puts contacts whose staff member has been gone ``staff_gone_requeue_s``
   back at the front of their queue;
4. closes contacts whose waiting patient has been gone ``patient_gone_close_s``
   as ``patient_left``;
5. once a day, runs the retention purge.

Steps 3 and 4 act only on people gone from every instance: with several
instances :class:`~chatserver.presence.local.Presence` asks Redis first, adopts the
people of instances that died, and acts on nothing while Redis cannot tell.

Tests call ``sweep_once(now)`` directly with a controlled clock.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from chatserver.admin.retention import run_retention
from chatserver.admin.service import Operations
from chatserver.core.lifecycle import ContactStatus
from chatserver.errors import ChatError
from chatserver.logs import get_logger
from chatserver.storage.base import Contact
from chatserver.ws import wire

if TYPE_CHECKING:
    from chatserver.state import AppState

log = get_logger("chatserver.admin.sweeper")

DAY_S = 86400.0


class Sweeper:
    def __init__(self, state: AppState, ops: Operations) -> None:
        self.state = state
        self.ops = ops
        # Contacts already escalated (kept while they wait; a restart re-reads
        # the 'escalation' contact events so nobody is alerted twice).
        self._escalated: set[str] = set()
        self.last_retention: float | None = None

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.state.settings.operations_sweep_s)
            try:
                await self.sweep_once(self.state.clock())
            except Exception:  # keep sweeping
                log.exception("operations_sweep_failed")

    async def sweep_once(self, now: float) -> None:
        await self.refresh(now)
        await self.escalate(now)
        await self.state.presence.adopt_orphans()
        await self.requeue_abandoned()
        await self.close_left()
        if self.last_retention is None or now - self.last_retention >= DAY_S:
            self.last_retention = now
            await run_retention(self.state, self.ops.store, now)

    async def refresh(self, now: float) -> None:
        await self.ops.load_hours()
        await self.ops.load_banner()
        await self.state.queues.reload_queues()
        await self.ops.announce_banner(now)

    # -- escalation ------------------------------------------------------------
    def target_s(self, c: Contact) -> int | None:
        s = self.state.settings
        if c.red_flag or c.level == "emergency":
            return s.escalation_red_flag_s
        if c.level == "urgent":
            return s.escalation_urgent_s
        # 0 = contacts of this level never escalate.
        target = {"standard": s.escalation_standard_s, "non_urgent": s.escalation_non_urgent_s}
        return target.get(c.level) or None

    async def escalate(self, now: float) -> None:
        storage = self.state.storage
        queues = await storage.list_queues()
        waiting = await storage.waiting([q.id for q in queues])
        self._escalated &= {c.id for c in waiting}
        for c in waiting:
            target = self.target_s(c)
            if target is None or c.id in self._escalated:
                continue
            waited = now - (c.queued_at if c.queued_at is not None else c.created_at)
            if waited < target:
                continue
            self._escalated.add(c.id)
            if any(e.kind == "escalation" for e in await storage.events(c.id)):
                continue
            label = "red_flag" if c.red_flag else c.level
            await storage.add_event(
                c.id,
                kind="escalation",
                at=now,
                actor_user_id=None,
                data={"level": label, "waited_s": round(waited), "target_s": target},
            )
            self.state.metrics.escalations.labels(label).inc()
            frame = wire.EscalationFrame(
                c.id, c.unit_id, c.queue_id, c.level, c.red_flag, round(waited), target
            )
            await self.state.fanout.publish("unit", c.unit_id, frame)
            log.warning("contact_escalated", contact_id=c.id, unit_id=c.unit_id, level=label)

    # -- absence ----------------------------------------------------------------
    async def adopt_orphans(self) -> None:
        """At start nobody is connected yet: staff holding contacts start their
        grace time now, so the contacts of someone who never comes back after
        a restart are requeued like those of someone whose socket dropped.
        (Connected on another instance: the check before acting finds them.)"""
        state = self.state
        now = state.clock()
        for user in await self.ops.store.list_users():
            if state.hub.user_connected(user.id):
                continue
            if await state.storage.assigned_to(user.id):
                state.presence.mark_staff_gone(user.id, now)

    async def requeue_abandoned(self) -> None:
        state = self.state
        for user_id in await state.presence.staff_due(state.settings.staff_gone_requeue_s):
            if state.hub.user_connected(user_id):
                continue
            for c in await state.storage.assigned_to(user_id):
                if await state.conversations.requeue_front(c, "staff_disconnected"):
                    log.info("contact_requeued", contact_id=c.id, reason="staff_disconnected")

    async def close_left(self) -> None:
        state = self.state
        for contact_id in await state.presence.patients_due(state.settings.patient_gone_close_s):
            if state.presence.patient_connected(contact_id):
                continue
            c = await state.storage.get_contact(contact_id)
            if c is None or c.status != ContactStatus.QUEUED:
                continue
            try:
                await state.conversations.patient_leave(contact_id)
            except ChatError:
                continue  # closed meanwhile
            log.info("contact_closed", contact_id=contact_id, reason="patient_gone")
