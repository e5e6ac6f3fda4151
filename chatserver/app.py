"""The wiring: ``create_app(settings)`` chooses the engines (storage, fan-out,
presence), builds the services, attaches the features and mounts the routes.

This is the only module that imports an engine or a feature module. Everything
lives on an :class:`~chatserver.state.AppState` on the app, so tests can build
as many independent apps as they like.
"""

from __future__ import annotations

import contextlib
import importlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from limits import parse
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, WebSocketRoute

from chatserver.access.sessions import SessionService
from chatserver.access.signin import Auth
from chatserver.access.totp_secrets import seal_at_start
from chatserver.errors import CLOSE_POLICY, ChatError
from chatserver.fanout.local import Fanout, LocalFanout
from chatserver.flow.handling import Conversations
from chatserver.flow.intake import IntakeService
from chatserver.flow.waiting import QueueService
from chatserver.hooks import Hooks
from chatserver.http import account as account_http
from chatserver.http import public as http_api
from chatserver.http import staff as staff_http
from chatserver.http.nul_guard import RefuseNul
from chatserver.http.request_log import RequestLog
from chatserver.http.security_headers import SecurityHeaders
from chatserver.http.util import json_response
from chatserver.logs import get_logger
from chatserver.metrics import Metrics
from chatserver.presence.local import Presence
from chatserver.ratelimit import Limits
from chatserver.settings import Settings
from chatserver.state import AppState
from chatserver.storage.base import Storage, StorageUnavailable
from chatserver.storage_watch import RETRY_AFTER_S, StorageWatch
from chatserver.ws.hub import Hub
from chatserver.ws.patient import patient_endpoint
from chatserver.ws.staff import staff_endpoint

__all__ = ["FEATURE_MODULES", "AppState", "build_state", "create_app", "open_storage"]

log = get_logger("chatserver.app")

# Feature modules beyond the core. Each has ``routes() -> list[BaseRoute]`` and
# may have ``attach(state: AppState) -> None``, called once when the app is
# built (to fill a slot of ``state.hooks`` or register start/stop callbacks).
FEATURE_MODULES: tuple[str, ...] = (
    "chatserver.survey",
    "chatserver.canned",
    "chatserver.admin",
    "chatserver.audit",
    "chatserver.stats.feature",
    "chatserver.identity",
    # Photo attachments: upload, re-encode, store, read back (PROTOCOL.md v1.1).
    "chatserver.attachments",
    "chatserver.fhir",
    # Notifications while away: Web Push and the "your turn" SMS.
    "chatserver.notify",
    # GET /openapi.json and /api/docs, built from the routes mounted here.
    "chatserver.contract.http",
)


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
        from chatserver.fanout.redis_pubsub import RedisFanout  # noqa: PLC0415

        return RedisFanout(hub, on_queue_change, settings.redis_url, instance_id=instance_id)
    return LocalFanout(hub, on_queue_change)


def open_presence(settings: Settings, clock: Callable[[], float], instance_id: str) -> Presence:
    """Presence shared through Redis when ``redis_url`` is set, else in-process."""
    if not settings.redis_url:
        return Presence(clock)
    from chatserver.presence.redis_shared import RedisPresence  # noqa: PLC0415

    # The other instances' entries must outlive every grace time (plus a sweep
    # or two), so that a person seen on a dead instance is judged from then.
    longest = max(settings.patient_gone_close_s, settings.staff_gone_requeue_s)
    retain_s = longest + 2 * settings.operations_sweep_s + 60
    shared = RedisPresence(
        settings.redis_url, instance_id=instance_id, clock=clock, retain_s=retain_s
    )
    return Presence(clock, shared)


def build_state(settings: Settings, clock: Callable[[], float], storage: Storage) -> AppState:
    """Build every service of one app and hand them to an :class:`AppState`."""
    metrics = Metrics()
    instance_id = AppState.new_instance_id()
    limits = Limits(
        settings.frame_rate_limit,
        settings.contact_message_rate_limit,
        settings.max_messages_per_contact,
    )
    hooks = Hooks()
    hub = Hub(metrics, instance_id)
    queues = QueueService(storage, hub, metrics, clock, hooks)
    fanout = open_fanout(settings, hub, queues.changed, instance_id)
    sessions = SessionService(
        storage,
        settings,
        clock,
        close_session=lambda h: fanout.close_target("session", h, CLOSE_POLICY, "session limit"),
    )
    state = AppState(
        settings=settings,
        clock=clock,
        storage=storage,
        metrics=metrics,
        instance_id=instance_id,
        limits=limits,
        intake_rate=parse(settings.intake_rate_limit),
        hooks=hooks,
        hub=hub,
        presence=open_presence(settings, clock, instance_id),
        queues=queues,
        fanout=fanout,
        sessions=sessions,
        auth=Auth(
            storage,
            clock,
            limits,
            sessions,
            hooks,
            failures_per_address=parse(settings.login_failure_rate_limit),
        ),
        conversations=Conversations(storage, queues, fanout, metrics, clock, hooks),
        intake=IntakeService(
            storage,
            queues,
            fanout,
            metrics,
            clock,
            hooks,
            ack_window_s=settings.emergency_ack_window_s,
        ),
        storage_watch=StorageWatch(storage, metrics),
    )
    state.on_stop.append(sessions.passwords.close)
    return state


async def _chat_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ChatError)
    state: AppState = request.app.state.chat
    state.metrics.errors.labels(exc.code).inc()
    retry_after = exc.extra.get("retry_after_s")
    headers = {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else None
    return json_response(exc.http_body(), exc.status, headers)


async def _storage_unavailable(request: Request, exc: Exception) -> Response:
    """A write the database could not take: 503, retry later (nothing was stored)."""
    state: AppState = request.app.state.chat
    state.storage_watch.failed(exc, path=request.url.path)
    return json_response(
        {
            "error": {
                "code": "storage_unavailable",
                "message": "the service cannot save right now; try again shortly",
                "retryable": True,
                "retry_after_s": RETRY_AFTER_S,
            }
        },
        503,
        {"Retry-After": str(RETRY_AFTER_S)},
    )


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
    state = build_state(settings, clock, storage or open_storage(settings))
    # Clear-text TOTP secrets of older versions are sealed, and a wrong TOTP key
    # stops the start (chatserver/access/totp_secrets.py).
    state.on_start.append(lambda: seal_at_start(state.storage, settings))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await state.start()
        except BaseException:
            # A refused start (e.g. a feature's check) releases what it opened.
            with contextlib.suppress(Exception):
                await state.stop()
            raise
        try:
            yield
        finally:
            await state.stop()

    from chatserver.http import pages as web  # noqa: PLC0415 - pages are optional at import time

    feature_routes: list[BaseRoute] = []
    for name in FEATURE_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "attach"):
            module.attach(state)
        feature_routes.extend(module.routes())
    routes: list[BaseRoute] = [
        # First: the router tries routes in order, and a socket's handshake
        # should not be checked against every HTTP route before its own.
        WebSocketRoute("/ws/patient", patient_endpoint),
        WebSocketRoute("/ws/staff", staff_endpoint),
        *http_api.routes(),
        *staff_http.routes(),
        *account_http.routes(),
        *feature_routes,
        *(extra_routes or []),
        *web.routes(),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            ChatError: _chat_error,
            StorageUnavailable: _storage_unavailable,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
    )
    app.state.chat = state
    app.add_middleware(RefuseNul)  # innermost: its 422 still gets the headers below
    app.add_middleware(SecurityHeaders, tls=settings.tls)
    app.add_middleware(RequestLog)
    return app
