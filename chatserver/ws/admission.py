"""Sockets per client address: a cap on this instance, patient and staff together.

The address is Starlette's ``websocket.client.host``: behind a trusted proxy
uvicorn's proxy-headers middleware has already put the forwarded client
address there (``forwarded_allow_ips``); nothing here reads
``X-Forwarded-For``. A socket over the cap is refused before the upgrade with
HTTP 429 ``too_many_sockets`` and ``Retry-After`` (docs/security.md "Socket
limits"): no WebSocket is made, so refusing costs about what the handshake's
HTTP request did.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket

from chatserver.errors import CLOSE_POLICY
from chatserver.http.origin import origin_allowed

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["RETRY_AFTER_S", "admit", "claim_address"]

# Sockets from one address come back as others close; a browser retries on its own.
RETRY_AFTER_S = 10
_UNKNOWN = "unknown"  # no peer address (a Unix socket): all such sockets share one slot count


async def claim_address(state: AppState, ws: WebSocket) -> str | None:
    """Count this socket against its client address and return the address to
    release when it ends; None when refused (already answered: 429)."""
    address = ws.client.host if ws.client is not None else _UNKNOWN
    if state.hub.claim_address(address, state.settings.max_sockets_per_address):
        return address
    state.metrics.errors.labels("too_many_sockets").inc()
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        body = {
            "error": {
                "code": "too_many_sockets",
                "message": "too many open connections from this address",
                "retry_after_s": RETRY_AFTER_S,
            }
        }
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        await ws.send_denial_response(JSONResponse(body, status_code=429, headers=headers))
    else:  # a server without the denial extension: close before accept (its 403)
        await ws.close(CLOSE_POLICY, "too many connections from this address")
    return None


async def admit(
    state: AppState, ws: WebSocket, serve: Callable[[AppState, WebSocket], Awaitable[None]]
) -> None:
    """The door of both socket endpoints: a refused origin is closed before
    accept (uvicorn answers 403, no upgrade), an address over its cap gets 429;
    otherwise ``serve`` runs, and the address is released when it ends."""
    if not origin_allowed(
        ws.headers.get("origin"), ws.headers, state.settings.allowed_origins, state.settings.tls
    ):
        await ws.close(CLOSE_POLICY)
        return
    address = await claim_address(state, ws)
    if address is None:
        return
    try:
        await serve(state, ws)
    finally:
        state.hub.release_address(address)
