"""Resilient chat clients for the scale-out tests.

A client keeps every message it has seen by ``seq``. When its socket dies (an
instance SIGKILLed, a Redis resync closing it with 1012) it reconnects to
whatever endpoint ``where()`` names now, resyncs from its highest ``seq``
(patient ``hello.last_seq``, staff ``sync``) and re-sends an unacknowledged
message with the same ``client_id``, exactly as the web client does.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from tests.helpers import PASSWORD, Account, intake_body
from tests.live import TIMEOUT_SCALE

RETRYABLE = (ConnectionClosed, OSError, TimeoutError, InvalidHandshake, InvalidStatus)
STEP_TIMEOUT_S = 20.0 * TIMEOUT_SCALE


@dataclass(frozen=True)
class Endpoint:
    """Where a client connects: an instance directly, or nginx (TLS, self-signed)."""

    url: str
    ws_url: str

    @property
    def origin(self) -> str:
        return self.url

    @property
    def tls(self) -> ssl.SSLContext | None:
        if not self.url.startswith("https:"):
            return None
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx


def endpoint(server: Any) -> Endpoint:
    """An Endpoint of a LiveServer or an Nginx."""
    return Endpoint(server.url, server.ws_url)


def intake(ep: Endpoint, **overrides: Any) -> dict[str, Any]:
    r = httpx.post(
        f"{ep.url}/api/contacts", json=intake_body(**overrides), timeout=10, verify=False
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def login_cookie(ep: Endpoint, account: Account) -> str:
    r = httpx.post(
        f"{ep.url}/api/staff/login",
        json={"username": account.username, "password": PASSWORD, "otp": account.otp()},
        headers={"origin": ep.origin},
        timeout=10,
        verify=False,
    )
    assert r.status_code == 200, r.text
    return "; ".join(f"{k}={v}" for k, v in r.cookies.items())


async def recv_json(ws: ClientConnection, timeout: float = STEP_TIMEOUT_S) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
    return data


async def send_json(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(frame).decode())


@dataclass
class Participant:
    """One side of a conversation (patient or staff) that survives reconnects."""

    where: Callable[[], Endpoint]
    role: str  # 'patient' | 'staff'
    token: str = ""  # patient
    cookie: str = ""  # staff
    contact_id: str = ""
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    frames: list[dict[str, Any]] = field(default_factory=list)  # non-message frames
    reconnects: int = 0
    ws: ClientConnection | None = None

    @property
    def last_seq(self) -> int:
        """Highest seq up to which nothing is missing (resync from there: a
        live frame may have been lost before a later one arrived)."""
        n = 0
        while n + 1 in self.seen:
            n += 1
        return n

    def _record(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "message":
            if self.contact_id and frame["contact_id"] != self.contact_id:
                return
            self.seen.setdefault(frame["seq"], frame)
        elif frame["type"] in ("history", "welcome") and "messages" in frame:
            for m in frame["messages"]:
                if not self.contact_id or m.get("contact_id", self.contact_id) == self.contact_id:
                    self.seen.setdefault(m["seq"], m)
            if frame["type"] == "welcome" and frame.get("status") == "closed":
                # Closed while this client was away (e.g. a resync close, 1012):
                # the welcome says so instead of a live `closed` frame.
                self.frames.append(
                    {
                        "type": "closed",
                        "contact_id": frame.get("contact_id"),
                        "outcome": frame.get("outcome"),
                    }
                )
        else:
            self.frames.append(frame)

    async def connect(self) -> None:
        ep = self.where()
        headers = {"Cookie": self.cookie} if self.cookie else None
        ws = await connect(
            f"{ep.ws_url}/ws/{self.role}",
            origin=ep.origin,  # type: ignore[arg-type]
            additional_headers=headers,
            ssl=ep.tls,
            open_timeout=5,
        )
        if self.role == "patient":
            await send_json(ws, {"type": "hello", "token": self.token, "last_seq": self.last_seq})
        welcome = await self._until(ws, "welcome")
        if self.role == "staff" and self.contact_id:
            await send_json(
                ws, {"type": "sync", "contact_id": self.contact_id, "after_seq": self.last_seq}
            )
            await self._until(ws, "history")
        del welcome
        self.ws = ws

    async def _until(self, ws: ClientConnection, type_: str) -> dict[str, Any]:
        while True:
            frame = await recv_json(ws)
            self._record(frame)
            if frame["type"] == type_:
                return frame

    async def _retry(self, step: Callable[[ClientConnection], Any]) -> Any:
        """Run ``step`` on a live socket, reconnecting and re-running it on failure."""
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while True:
            try:
                if self.ws is None:
                    await self.connect()
                assert self.ws is not None
                return await step(self.ws)
            except RETRYABLE:
                if time.monotonic() > deadline:
                    raise
                if self.ws is not None:
                    await self.ws.close()
                self.ws = None
                self.reconnects += 1
                await asyncio.sleep(0.1)  # a client's reconnect backoff; the loop retries

    async def send(self, client_id: str, body: str) -> int:
        """Send until acknowledged (re-sent with the same client_id after a failure); the seq."""
        frame: dict[str, Any] = {"type": "message", "client_id": client_id, "body": body}
        if self.role == "staff":
            frame["contact_id"] = self.contact_id

        async def step(ws: ClientConnection) -> int:
            await send_json(ws, frame)
            while True:
                got = await recv_json(ws)
                self._record(got)
                if got["type"] == "ack" and got["client_id"] == client_id:
                    # The sending socket gets the ack, not its own message back.
                    self.seen.setdefault(got["seq"], {"seq": got["seq"], "client_id": client_id})
                    return int(got["seq"])

        seq: int = await self._retry(step)
        return seq

    async def wait_seq(self, seq: int) -> dict[str, Any]:
        """The message with this seq, live or from a resync after a reconnect."""

        async def step(ws: ClientConnection) -> dict[str, Any]:
            while seq not in self.seen:
                self._record(await recv_json(ws))
            return self.seen[seq]

        found: dict[str, Any] = await self._retry(step)
        return found

    async def wait_frame(self, type_: str) -> dict[str, Any]:
        """The next (or an already received) non-message frame of ``type_``."""

        async def step(ws: ClientConnection) -> dict[str, Any]:
            while True:
                for f in self.frames:
                    if f["type"] == type_:
                        self.frames.remove(f)
                        return f
                self._record(await recv_json(ws))

        found: dict[str, Any] = await self._retry(step)
        return found

    async def request(self, frame: dict[str, Any], reply: str) -> dict[str, Any]:
        """Send a frame and wait for the reply of type ``reply`` (or an error)."""

        async def step(ws: ClientConnection) -> dict[str, Any]:
            await send_json(ws, frame)
            while True:
                got = await recv_json(ws)
                self._record(got)
                if got["type"] in (reply, "error"):
                    return got

        found: dict[str, Any] = await self._retry(step)
        return found

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
