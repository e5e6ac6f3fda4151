"""The state of one app: its services, and typed slots that features fill.

:func:`chatserver.app.create_app` (the wiring) builds every service and hands
them to :class:`AppState`; nothing here chooses an engine or imports a
feature. Features extend the core through :class:`Hooks` (typed slots, set in
their ``attach``) and keep their own services in :class:`Extensions`, so no
feature patches a method of this class.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from limits import RateLimitItem
from starlette.requests import Request

from chatserver.access.sessions import SessionService
from chatserver.access.signin import Auth
from chatserver.errors import CLOSE_POLICY, RateLimited
from chatserver.fanout.local import Fanout
from chatserver.flow.handling import Conversations
from chatserver.flow.intake import IntakeService
from chatserver.flow.waiting import QueueService
from chatserver.hooks import Hooks
from chatserver.logs import get_logger
from chatserver.metrics import Metrics
from chatserver.presence.local import Presence
from chatserver.ratelimit import Limits
from chatserver.settings import Settings
from chatserver.storage.base import Storage, Unit, User
from chatserver.storage_watch import StorageWatch
from chatserver.ws.hub import Hub

__all__ = ["SESSION_SWEEP_S", "AppState", "Extensions", "Hooks"]

log = get_logger("chatserver.state")

T = TypeVar("T")

# How often live staff sockets are checked against their sessions (expiry,
# logout on another instance, disabled account): "closed within seconds".
SESSION_SWEEP_S = 2.0
# How long the stop waits for acknowledged messages still waiting for their triage.
SETTLE_TRIAGE_S = 10.0


class Extensions:
    """A feature's own services, one per type (e.g. the audit log, the
    operations service): ``state.extensions.get(AuditLog)`` is typed."""

    def __init__(self) -> None:
        self._by_type: dict[type[Any], object] = {}

    def put(self, value: object) -> None:
        self._by_type[type(value)] = value

    def get(self, kind: type[T]) -> T:
        value = self._by_type.get(kind)
        if not isinstance(value, kind):
            raise LookupError(f"no {kind.__name__} attached to this app")
        return value


@dataclass(eq=False)
class AppState:
    """Everything one app serves with; built by :func:`chatserver.app.build_state`."""

    settings: Settings
    clock: Callable[[], float]
    storage: Storage
    metrics: Metrics
    instance_id: str
    limits: Limits
    intake_rate: RateLimitItem
    hooks: Hooks
    hub: Hub
    presence: Presence
    queues: QueueService
    fanout: Fanout
    sessions: SessionService
    auth: Auth
    conversations: Conversations
    intake: IntakeService
    storage_watch: StorageWatch
    extensions: Extensions = field(default_factory=Extensions)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Extra start/stop callbacks registered by feature modules (``attach``).
    on_start: list[Callable[[], Any]] = field(default_factory=list)
    on_stop: list[Callable[[], Any]] = field(default_factory=list)

    @staticmethod
    def new_instance_id() -> str:
        return secrets.token_hex(4)

    # -- what features refine (through self.hooks) --------------------------------
    def unit_status(self, unit: Unit, now: float) -> dict[str, Any]:
        """``open`` and friends for /api/units (opening hours refine this)."""
        return self.hooks.opening.status(unit, now)

    def unit_gate(self, unit: Unit, now: float) -> None:
        """Raise StateConflict('unit_closed') when intake is not possible now."""
        self.hooks.opening.gate(unit, now)

    def welcome_extra(self, role: str) -> dict[str, Any]:
        """Extra fields of the patient/staff ``welcome`` (operations: the banner)."""
        return self.hooks.welcome_extra(role)

    def check_intake_rate(self, request: Request) -> None:
        address = request.client.host if request.client else "unknown"
        if not self.limits.hit(self.intake_rate, "intake-addr", address):
            raise RateLimited("rate_limited", "too many new chats from this address; wait a minute")

    async def audit_event(
        self,
        request: Request | None,
        user: User | None,
        action: str,
        *,
        result: str,
        unit_id: str | None = None,
        contact_id: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a security or patient-data access event (see :class:`Hooks`)."""
        await self.hooks.audit(
            request,
            user,
            action,
            result=result,
            unit_id=unit_id,
            contact_id=contact_id,
            detail=detail,
        )

    # -- life cycle ---------------------------------------------------------------
    async def start(self) -> None:
        # The triage rules compile on first use (~0.5 s of CPU): before serving,
        # not inside the first intake while every socket of the instance waits.
        importlib.import_module("triage.api")
        await self.storage.open()
        await self.fanout.start()
        await self.presence.start()
        await self.queues.start()
        self.tasks.append(asyncio.get_running_loop().create_task(self._sweep_sessions()))
        self.tasks.append(asyncio.get_running_loop().create_task(self.storage_watch.run()))
        for cb in self.on_start:
            res = cb()
            if asyncio.iscoroutine(res):
                await res

    def spawn(self, coro: Any) -> None:
        """Run a background task for the app's lifetime (cancelled on stop)."""
        self.tasks.append(asyncio.get_running_loop().create_task(coro))

    async def stop(self) -> None:
        for cb in reversed(self.on_stop):
            with contextlib.suppress(Exception):
                res = cb()
                if asyncio.iscoroutine(res):
                    await res
        for t in self.tasks:
            t.cancel()
        for t in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self.tasks.clear()
        # Acknowledged messages still waiting for their triage get it first
        # (bounded: a database that stays unavailable does not hold the stop).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.conversations.reassessments.settle(), SETTLE_TRIAGE_S)
        await self.queues.stop()
        await self.presence.stop()
        await self.fanout.stop()
        await self.storage.close()

    async def _sweep_sessions(self) -> None:
        while True:
            await asyncio.sleep(SESSION_SWEEP_S)
            try:
                await self.sweep_sessions_once()
            except Exception:
                log.exception("session_sweep_failed")

    async def sweep_sessions_once(self) -> None:
        """Close every staff socket whose session has ended (1008)."""
        seen: dict[str, bool] = {}
        for conn in self.hub.staff_connections():
            h = conn.session_hash
            if h is None:
                continue
            if h not in seen:
                seen[h] = await self.sessions.resolve_hash(h, touch=False) is not None
            if not seen[h]:
                conn.close_soon(CLOSE_POLICY, "session ended")
