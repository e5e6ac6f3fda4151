"""Real-socket clients for tests against a live server: sign-in over HTTP,
sockets with the `websockets` library, and a resilient sender that reconnects,
resumes by seq and resends unacknowledged messages with the same client_id."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from tests.helpers import PASSWORD, Account, intake_body
from tests.live import TIMEOUT_SCALE, LiveServer

RETRYABLE = (ConnectionClosed, OSError, TimeoutError, InvalidHandshake, InvalidStatus)
# Generous: a loaded CI machine can stall a server for seconds (tests/live.py scales it).
RECV_TIMEOUT_S = 30.0 * TIMEOUT_SCALE


def login_cookie(srv: LiveServer, account: Account) -> str:
    """Cookie header value of a fresh session."""
    r = httpx.post(
        f"{srv.url}/api/staff/login",
        json={"username": account.username, "password": PASSWORD, "otp": account.otp()},
        headers={"origin": srv.origin},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return "; ".join(f"{k}={v}" for k, v in r.cookies.items())


def http_intake(srv: LiveServer, **overrides: Any) -> dict[str, Any]:
    r = httpx.post(f"{srv.url}/api/contacts", json=intake_body(**overrides), timeout=10)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def open_patient(srv: LiveServer) -> ClientConnection:
    return await connect(f"{srv.ws_url}/ws/patient", origin=srv.origin, open_timeout=5)  # type: ignore[arg-type]


async def open_staff(srv: LiveServer, cookie: str) -> ClientConnection:
    return await connect(
        f"{srv.ws_url}/ws/staff",
        origin=srv.origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        open_timeout=5,
    )


async def recv_json(ws: ClientConnection, timeout: float = RECV_TIMEOUT_S) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
    return data


async def recv_until(
    ws: ClientConnection, type_: str, timeout: float = RECV_TIMEOUT_S
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = await recv_json(ws, max(0.01, deadline - time.monotonic()))
        if frame["type"] == type_:
            return frame


async def send_json(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(frame).decode())


@dataclass
class Sender:
    """Sends ``total`` messages with at most ``window`` in flight, surviving
    crashes: on any socket failure it reconnects (``connect``, which returns a
    welcomed socket) and resends everything not yet acknowledged."""

    name: str
    total: int
    connect: Callable[[], Awaitable[ClientConnection]]
    contact_id: str | None = None  # staff messages name their contact
    window: int = 4
    pace_s: float = 0.0  # pause before each new message (a scripted conversation's rhythm)
    acked: dict[str, int] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    reconnects: int = 0

    def frame(self, cid: str) -> dict[str, Any]:
        f: dict[str, Any] = {"type": "message", "client_id": cid, "body": f"{self.name} {cid}"}
        if self.contact_id is not None:
            f["contact_id"] = self.contact_id
        return f

    async def run(self, deadline: float) -> None:
        pending: list[str] = []
        while len(self.acked) < self.total:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: {len(self.acked)}/{self.total} acked in time")
            try:
                ws = await self.connect()
            except RETRYABLE:
                await asyncio.sleep(0.05)  # a client's reconnect backoff (server mid-restart)
                continue
            try:
                for cid in pending:
                    await send_json(ws, self.frame(cid))
                while len(self.acked) < self.total:
                    while len(pending) < self.window and len(self.order) < self.total:
                        if self.pace_s:
                            await asyncio.sleep(self.pace_s)  # deliberate pacing (see pace_s)
                        cid = f"{self.name}-{len(self.order):04d}"
                        self.order.append(cid)
                        pending.append(cid)
                        await send_json(ws, self.frame(cid))
                    frame = await recv_json(ws)
                    if frame["type"] == "ack" and frame["client_id"] in pending:
                        self.acked[frame["client_id"]] = frame["seq"]
                        pending.remove(frame["client_id"])
            except RETRYABLE:
                self.reconnects += 1
                await asyncio.sleep(0.02)  # a client's reconnect backoff (server mid-restart)
            finally:
                await ws.close()
