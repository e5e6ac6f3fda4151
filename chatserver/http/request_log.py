"""Request ids and one access log line per HTTP request (pure ASGI middleware).

Each request gets an ``X-Request-ID`` (a client-supplied one of sane shape is
kept, so a proxy's id follows the request), bound into structlog's context
vars so every log line of that request carries it. The path is logged without
its query string; no body, header or cookie is ever logged.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chatserver.logs import get_logger
from chatserver.security.request_id import new_request_id

log = get_logger("chatserver.http")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "http":
            return self._http(scope, receive, send, _bind_request_id(scope))
        if scope["type"] == "websocket":
            # Bound for the socket's own task (the server runs each connection
            # in a task of its own, whose context ends with it), and the next
            # app's coroutine handed back: a WebSocket keeps no frame of this
            # middleware for its whole life (idle memory). Its frames pass
            # straight through: no wrapper on the hot path.
            _bind_request_id(scope)
        return self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "http_request",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")


def _bind_request_id(scope: Scope) -> str:
    """The request's id (the client's ``X-Request-ID`` when it is sane, else a
    new one), kept in the scope's state and bound to the logging context."""
    incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
    # A new id is a process prefix and a counter: no random draw per request.
    request_id = incoming if _SANE_ID.match(incoming) else new_request_id()
    scope.setdefault("state", {})["request_id"] = request_id
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return request_id
