"""Our three pure-ASGI middlewares hand a WebSocket scope straight to the next
app: the coroutine they return IS the next app's, so a socket keeps no frame of
theirs for its whole life (≈ 0.2 KiB each per idle patient; docs/benchmarks.md,
idle). HTTP still gets its headers, request id and NUL check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from starlette.types import Message, Receive, Scope, Send

from chatserver.http.nul_guard import RefuseNul
from chatserver.http.request_log import RequestLog
from chatserver.http.security_headers import SecurityHeaders


def _websocket_scope() -> Scope:
    return {
        "type": "websocket",
        "path": "/ws/patient",
        "query_string": b"x=%00",  # a NUL is an HTTP matter here
        "headers": [(b"x-request-id", b"trace-4711")],
    }


async def _receive() -> Message:
    return {"type": "websocket.connect"}


async def _send(message: Message) -> None:
    return None


def test_a_websocket_gets_the_next_apps_own_coroutine() -> None:
    seen: list[dict[str, Any]] = []

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(dict(structlog.contextvars.get_contextvars()))

    made: list[Awaitable[None]] = []

    def inner(scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        made.append(endpoint(scope, receive, send))
        return made[-1]

    wrappers: list[Callable[[Any], Any]] = [
        RefuseNul,
        lambda app: SecurityHeaders(app, tls=True),
        RequestLog,
    ]

    async def run() -> None:
        for wrap in wrappers:
            scope = _websocket_scope()
            got = wrap(inner)(scope, _receive, _send)
            assert got is made[-1]  # not a coroutine of the middleware's own
            await got
            structlog.contextvars.clear_contextvars()

    asyncio.run(run())
    # RequestLog still binds the socket's request id for its log lines.
    assert seen[-1] == {"request_id": "trace-4711"}


def test_http_still_goes_through_each_middleware() -> None:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = RequestLog(SecurityHeaders(RefuseNul(endpoint), tls=True))

    def scope(query: bytes) -> Scope:
        return {"type": "http", "method": "GET", "path": "/", "query_string": query, "headers": []}

    async def run() -> None:
        await app(scope(b""), _receive, send)
        await app(scope(b"q=%00"), _receive, send)

    asyncio.run(run())
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert [m["status"] for m in starts] == [200, 422]
    for start in starts:
        names = {k for k, _ in start["headers"]}
        assert {b"x-request-id", b"content-security-policy", b"strict-transport-security"} <= names
