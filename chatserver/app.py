"""``create_app(settings)``: wires storage, services, routes and sockets together.

Everything lives on an :class:`AppState` on the app, so tests can build as
many independent apps as they like.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from limits import parse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, WebSocketRoute

from chatserver import http_api, staff_http
from chatserver.auth import Auth
from chatserver.conversation import Conversations
from chatserver.errors import CLOSE_POLICY, ChatError, RateLimited
from chatserver.fanout import Fanout, LocalFanout
from chatserver.http_util import json_response
from chatserver.hub import Hub
from chatserver.intake import IntakeService
from chatserver.logs import get_logger
from chatserver.metrics import Metrics
from chatserver.patient_ws import patient_endpoint
from chatserver.presence import open_presence
from chatserver.queue_service import QueueService
from chatserver.ratelimit import Limits
from chatserver.request_log import RequestLog
from chatserver.security_headers import SecurityHeaders
from chatserver.sessions import SessionService
from chatserver.settings import Settings
from chatserver.staff_ws import staff_endpoint
from chatserver.storage.base import Storage, Unit, User

log = get_logger("chatserver.app")

# Feature modules beyond the core. Each has ``routes() -> list[BaseRoute]`` and
# may have ``attach(state: AppState) -> None``, called once when the app is
# built (to replace a hook of AppState or register start/stop callbacks).
FEATURE_MODULES: tuple[str, ...] = (
    "chatserver.survey",
    "chatserver.canned",
    "chatserver.operations",
    "chatserver.audit",
    "chatserver.stats.feature",
)

# How often live staff sockets are checked against their sessions (expiry,
# logout on another instance, disabled account): "closed within seconds".
SESSION_SWEEP_S = 2.0


def open_storage(settings: Settings) -> Storage:
    url = settings.database_url
    if url and url.startswith(("postgresql://", "postgres://")):
        from chatserver.storage.postgres import PostgresStorage  # noqa: PLC0415

        return PostgresStorage(url)
    from chatserver.storage.sqlite import SqliteStorage  # noqa: PLC0415

    return SqliteStorage(settings.sqlite_path, synchronous=settings.sqlite_synchronous)


def open_fanout(
    settings: Settings, hub: Hub, on_queue_change: Callable[[str], None], instance_id: str
) -> Fanout:
    """Redis pub/sub across instances when ``redis_url`` is set, else in-process."""
    if settings.redis_url:
        from chatserver.fanout_redis import RedisFanout  # noqa: PLC0415

        return RedisFanout(hub, on_queue_change, settings.redis_url, instance_id=instance_id)
    return LocalFanout(hub, on_queue_change)


@dataclass
class AppState:
    settings: Settings
    clock: Callable[[], float]
    storage: Storage
    metrics: Metrics = field(default_factory=Metrics)
    instance_id: str = field(default_factory=lambda: secrets.token_hex(4))
    limits: Limits = field(default_factory=Limits)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Extra start/stop callbacks registered by feature modules (``attach``).
    on_start: list[Callable[[], Any]] = field(default_factory=list)
    on_stop: list[Callable[[], Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.intake_rate = parse(self.settings.intake_rate_limit)
        self.limits = Limits(self.settings.frame_rate_limit)
        self.hub = Hub(self.metrics, self.instance_id)
        self.presence = open_presence(self.settings, self.clock, self.instance_id)
        self.queues = QueueService(self.storage, self.hub, self.metrics, self.clock)
        self.fanout: Fanout = open_fanout(
            self.settings, self.hub, self.queues.changed, self.instance_id
        )
        self.sessions = SessionService(self.storage, self.settings, self.clock)
        self.auth = Auth(self)
        self.conversations = Conversations(
            self.storage, self.queues, self.fanout, self.metrics, self.clock
        )
        self.intake = IntakeService(
            self.storage, self.queues, self.fanout, self.metrics, self.clock, self.unit_gate
        )

    # -- hooks other features extend -------------------------------------------
    def unit_status(self, unit: Unit, now: float) -> dict[str, Any]:
        """``open`` and friends for /api/units (opening hours refine this)."""
        return {"open": True, "always_open": unit.always_open}

    def unit_gate(self, unit: Unit, now: float) -> None:
        """Raise StateConflict('unit_closed') when intake is not possible now."""
        return

    def welcome_extra(self, role: str) -> dict[str, Any]:
        """Extra fields of the patient/staff ``welcome`` (operations: the banner)."""
        return {}

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
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Record a security or patient-data access event (the audit log refines this)."""
        log.info(
            "audit",
            action=action,
            result=result,
            user_id=user.id if user else None,
            unit_id=unit_id,
            contact_id=contact_id,
        )

    # -- life cycle --------------------------------------------------------------
    async def start(self) -> None:
        # The triage rules compile on first use (~0.5 s of CPU): before serving,
        # not inside the first intake while every socket of the instance waits.
        importlib.import_module("triage.api")
        await self.storage.open()
        await self.fanout.start()
        await self.presence.start()
        await self.queues.start()
        self.tasks.append(asyncio.get_running_loop().create_task(self._sweep_sessions()))
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


async def _chat_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChatError)
    state: AppState = request.app.state.chat
    state.metrics.errors.labels(exc.code).inc()
    return json_response(exc.http_body(), exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return json_response(
        {"error": {"code": code, "message": str(exc.detail)}},
        exc.status_code,
        dict(exc.headers) if exc.headers else None,
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled_error", path=request.url.path)
    return json_response(
        {"error": {"code": "internal_error", "message": "something went wrong"}}, 500
    )


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], float] = time.time,
    storage: Storage | None = None,
    extra_routes: list[BaseRoute] | None = None,
) -> Starlette:
    settings = settings or Settings()
    state = AppState(settings=settings, clock=clock, storage=storage or open_storage(settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.stop()

    from chatserver import web  # noqa: PLC0415 - pages are optional at import time

    feature_routes: list[BaseRoute] = []
    for name in FEATURE_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "attach"):
            module.attach(state)
        feature_routes.extend(module.routes())
    routes: list[BaseRoute] = [
        *http_api.routes(),
        *staff_http.routes(),
        WebSocketRoute("/ws/patient", patient_endpoint),
        WebSocketRoute("/ws/staff", staff_endpoint),
        *feature_routes,
        *(extra_routes or []),
        *web.routes(),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            ChatError: _chat_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.chat = state
    app.add_middleware(SecurityHeaders, tls=settings.tls)
    app.add_middleware(RequestLog)
    return app
