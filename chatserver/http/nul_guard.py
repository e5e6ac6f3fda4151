"""Refuse a NUL character in the path or query string of any HTTP request (pure ASGI).

PostgreSQL's ``text`` cannot hold U+0000: a path or query parameter with
``%00`` that reaches a query (a unit id, an audit filter) makes the driver
raise. No id, date, name or filter of this service contains one, so the
request is refused before routing with 422 ``invalid_field`` naming ``path``
or ``query``, on both engines alike. Limits: docs/security.md "Input limits".
"""

from __future__ import annotations

from collections.abc import Awaitable

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RefuseNul"]


def _has_nul(scope: Scope) -> str | None:
    """``"path"`` or ``"query"`` when that part holds a NUL, else None."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query: bytes = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query:
        return "query"
    return None


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        # A plain method that hands back the next app's coroutine: a WebSocket
        # keeps no frame of this middleware for its whole life (idle memory).
        if scope["type"] == "http":
            where = _has_nul(scope)
            if where is not None:
                return _refuse(where, send)
        return self.app(scope, receive, send)


async def _refuse(where: str, send: Send) -> None:
    body = orjson.dumps(
        {
            "error": {
                "code": "invalid_field",
                "message": f"the {where} holds a NUL character",
                "fields": {where: "no NUL character"},
            }
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 422,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
