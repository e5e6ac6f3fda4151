"""A request id for every HTTP request and every WebSocket frame.

It ties an audit event to the log lines of the same request. An id sent by a
trusted proxy in ``X-Request-ID`` is kept if it is short and plain; otherwise
a new random one is made. The response carries it back in ``X-Request-ID``.
"""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def new_request_id() -> str:
    return secrets.token_hex(8)


def set_request_id(value: str | None = None) -> str:
    """Start a new request context (a WebSocket frame, a CLI command)."""
    rid = value if value and _ACCEPTABLE.match(value) else new_request_id()
    _REQUEST_ID.set(rid)
    structlog.contextvars.bind_contextvars(request_id=rid)
    return rid


def current_request_id() -> str:
    rid = _REQUEST_ID.get()
    return rid if rid is not None else set_request_id()


class RequestIdMiddleware:
    """Pure ASGI middleware: sets the context and echoes ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        rid = set_request_id(sent.decode("latin-1") if sent else None)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)
