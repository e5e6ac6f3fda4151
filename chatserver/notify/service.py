"""The notifier: carries out :mod:`.rules` off the request path.

The flow calls ``hooks.contact_notice`` (this object) after a pick, a staff
message, a close or a new queued contact. That only puts the notice on a
bounded queue; ``push_concurrency`` workers take notices off it, ask the rules
what to send, look up who is connected (on any instance) and send Web Push
messages and the SMS, each request under ``push_timeout_s``. A full queue
drops the notice with a warning (a burst must never slow a frame down).

Log lines name the kind of notice, the audience and the push service's status:
never the endpoint (a capability URL), the phone number, the contact's text or
name. A 404/410 from the push service deletes the subscription; a patient's
subscriptions are deleted after the ``closed`` notice (and, for closes whose
notice was never sent, at the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from prometheus_client import CollectorRegistry, Counter

from chatserver.access.sessions import SessionService
from chatserver.hooks import ContactNotice
from chatserver.logs import get_logger
from chatserver.notify import rules
from chatserver.notify.sms import SmsGateway, sms_text
from chatserver.notify.vapid import VapidKey
from chatserver.notify.webpush import PushOutcome, send_push
from chatserver.presence.local import Presence, PresenceUnknown
from chatserver.storage import reach
from chatserver.storage.base import Storage
from chatserver.ws.hub import Hub

__all__ = ["QUEUE_LIMIT", "Notifier", "PushTuning"]

log = get_logger("chatserver.notify")

# Notices waiting for a worker. One per pick, staff message, close or arrival:
# a busy unit makes a few a second, so 1,000 is minutes of backlog while the
# push services are slow, and a bounded amount of memory when they are down.
QUEUE_LIMIT = 1000
# How long a push service keeps a message for an offline browser: a chat
# notice older than an hour is no longer news (RFC 8030 section 5.2).
PUSH_TTL_S = 3600


@dataclass(frozen=True)
class PushTuning:
    concurrency: int
    timeout_s: float
    public_url: str | None = None


class Notifier:
    """``hooks.contact_notice``: queue a notice; the workers send."""

    def __init__(
        self,
        storage: Storage,
        presence: Presence,
        hub: Hub,
        sessions: SessionService,
        clock: Callable[[], float],
        vapid: VapidKey,
        tuning: PushTuning,
        sms: SmsGateway | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.storage = storage
        self.presence = presence
        self.hub = hub
        self.sessions = sessions
        self.clock = clock
        self.vapid = vapid
        self.tuning = tuning
        self.sms = sms
        self.queue: asyncio.Queue[ContactNotice] = asyncio.Queue(QUEUE_LIMIT)
        self.client: httpx.AsyncClient | None = None
        self.workers: list[asyncio.Task[None]] = []
        # The app's registry (GET /metrics); a throw-away one when none is given.
        self.sent = Counter(
            "chat_notifications_total",
            "Push and SMS notifications by outcome",
            ["channel", "kind", "result"],
            registry=registry if registry is not None else CollectorRegistry(),
        )

    # -- the hook -----------------------------------------------------------------
    def __call__(self, notice: ContactNotice) -> None:
        try:
            self.queue.put_nowait(notice)
        except asyncio.QueueFull:
            log.warning("notify_queue_full", kind=notice.kind)

    # -- life cycle ---------------------------------------------------------------
    async def start(self) -> None:
        self.client = httpx.AsyncClient(
            timeout=self.tuning.timeout_s, follow_redirects=False, trust_env=False
        )
        forgotten = await self.storage.write(reach.forget_closed())
        if forgotten:
            log.info("push_subscriptions_of_closed_deleted", count=forgotten)
        loop = asyncio.get_running_loop()
        self.workers = [loop.create_task(self._work()) for _ in range(self.tuning.concurrency)]

    async def stop(self) -> None:
        for w in self.workers:
            w.cancel()
        for w in self.workers:
            with contextlib.suppress(asyncio.CancelledError):
                await w
        self.workers = []
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    async def idle(self) -> None:
        """Return when every queued notice has been handled (tests, shutdown)."""
        await self.queue.join()

    async def _work(self) -> None:
        while True:
            notice = await self.queue.get()
            try:
                await self.handle(notice)
            except Exception:
                log.exception("notify_failed", kind=notice.kind)
            finally:
                self.queue.task_done()

    # -- one notice ---------------------------------------------------------------
    async def handle(self, notice: ContactNotice) -> None:
        delivery = rules.delivery_for(notice)
        if delivery is None:
            return
        if delivery.audience == "patient":
            await self._to_patient(notice.contact_id, delivery)
        else:
            await self._to_staff(notice.unit_id, delivery)

    async def _to_patient(self, contact_id: str, delivery: rules.Delivery) -> None:
        if rules.away({contact_id: await self._patient_connected(contact_id)}):
            subs = await self.storage.read(reach.patient_subscriptions(contact_id))
            body = rules.payload(delivery.kind, "patient")
            for sub in subs:
                await self._push(sub, body, delivery.kind, "patient")
            if delivery.sms and self.sms is not None:
                await self._sms(contact_id)
        if delivery.forget_after:
            await self.storage.write(reach.forget_contact_subscriptions(contact_id))

    async def _to_staff(self, unit_id: str, delivery: rules.Delivery) -> None:
        subs = await self.storage.read(reach.unit_staff_subscriptions(unit_id))
        users = sorted({sub.user_id for sub in subs if sub.user_id is not None})
        connected = {str(uid): await self._staff_connected(uid) for uid in users}
        wanted = {int(k) for k in rules.away(connected)}
        body = rules.payload(delivery.kind, "staff")
        for sub in subs:
            if sub.user_id not in wanted or sub.session_hash is None:
                continue
            # A signed-out or expired session's subscription goes with it (cascade).
            if await self.sessions.resolve_hash(sub.session_hash, touch=False) is None:
                continue
            await self._push(sub, body, delivery.kind, "staff")

    async def _push(
        self, sub: reach.Subscription, body: bytes, kind: rules.PushKind, audience: str
    ) -> PushOutcome:
        assert self.client is not None
        outcome = await send_push(
            self.client,
            self.vapid,
            sub,
            body,
            now=self.clock(),
            ttl_s=PUSH_TTL_S,
            urgency="high" if kind == "red_flag" else "normal",
        )
        if outcome.gone:
            await self.storage.write(reach.delete_subscription(sub.endpoint))
        result = "delivered" if outcome.delivered else "gone" if outcome.gone else "failed"
        self.sent.labels("push", kind, result).inc()
        if outcome.delivered:
            log.info("push_sent", kind=kind, audience=audience, status=outcome.status)
        else:
            log.warning(
                "push_failed",
                kind=kind,
                audience=audience,
                status=outcome.status,
                error=outcome.error,
                subscription_deleted=outcome.gone,
            )
        return outcome

    async def _sms(self, contact_id: str) -> None:
        assert self.client is not None
        assert self.sms is not None
        phone = await self.storage.read(reach.phone_of(contact_id))
        contact = await self.storage.get_contact(contact_id)
        if phone is None or contact is None:
            return
        result = await self.sms.send(
            self.client, phone, sms_text(contact.lang, self.tuning.public_url)
        )
        ok = isinstance(result, int) and 200 <= result < 300
        self.sent.labels("sms", "picked", "delivered" if ok else "failed").inc()
        if ok:
            log.info("sms_sent", status=result)
        else:
            log.warning(
                "sms_failed",
                status=result if isinstance(result, int) else None,
                error=result if isinstance(result, str) else None,
            )

    # -- who is connected ---------------------------------------------------------
    async def _patient_connected(self, contact_id: str) -> bool:
        if self.presence.patient_connected(contact_id):
            return True
        return await self._connected_elsewhere("patient", str(contact_id))

    async def _staff_connected(self, user_id: int) -> bool:
        if self.hub.user_connected(user_id):
            return True
        return await self._connected_elsewhere("staff", str(user_id))

    async def _connected_elsewhere(self, kind: str, key: str) -> bool:
        shared = self.presence.shared
        if shared is None:
            return False
        try:
            seen = await shared.seen("patient" if kind == "patient" else "staff", [key])
        except PresenceUnknown:
            return False  # a notice too many rather than a red flag missed
        return seen[key].connected
