"""WebSocket client connections as browsers open them (Origin header, optional cookie).

Browsers always offer permessage-deflate; ``COMPRESSION`` follows them by
default and ``--no-deflate`` turns it off for every client of a run.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin

OPEN_TIMEOUT_S = 30.0  # 10,000 simultaneous handshakes queue behind each other
CLOSE_TIMEOUT_S = 2.0
FRAME_TIMEOUT_S = 10.0  # a reply slower than this is a failure
SKIP_LIMIT = 100_000  # frames to skip while waiting for one type (queue pushes pile up)

_compression: str | None = "deflate"


def set_compression(enabled: bool) -> None:
    global _compression  # noqa: PLW0603 - one switch for the whole generator run
    _compression = "deflate" if enabled else None


def compression() -> str | None:
    return _compression


async def ws_connect(
    url: str,
    origin: str,
    cookie: str | None = None,
    *,
    tls: ssl.SSLContext | None = None,
    source: str | None = None,
) -> ClientConnection:
    """``tls`` for ``wss://`` URLs; ``source``: the local address to connect
    from (a proxy in front counts its limits per client address)."""
    headers = {"Cookie": cookie} if cookie else None
    extra: dict[str, Any] = {}
    if tls is not None:
        extra["ssl"] = tls
    if source is not None:
        extra["local_addr"] = (source, 0)
    return await connect(
        url,
        origin=Origin(origin),
        additional_headers=headers,
        compression=_compression,
        ping_interval=None,  # browsers do not ping; the server may
        max_size=1 << 20,
        open_timeout=OPEN_TIMEOUT_S,
        close_timeout=CLOSE_TIMEOUT_S,
        proxy=None,
        **extra,
    )


async def send_json(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(frame).decode())


async def expect(
    ws: ClientConnection, kind: str, timeout: float = FRAME_TIMEOUT_S
) -> dict[str, Any]:
    """Next frame of type ``kind``, skipping others; raises on ``error`` frames or timeout."""
    async with asyncio.timeout(timeout):
        for _ in range(SKIP_LIMIT):
            frame: dict[str, Any] = orjson.loads(await ws.recv())
            if frame.get("type") == kind:
                return frame
            if frame.get("type") == "error":
                raise ProtocolError(f"expected {kind}, got error {frame}")
    raise ProtocolError(f"no {kind} frame within {SKIP_LIMIT} frames")


class ProtocolError(RuntimeError):
    """The server answered something the protocol does not allow here."""
