"""Socket floods against a real ``chatserver serve`` (issue 20, "Sockets"; finding 9):
the frame limit before ``hello``, the hello deadline under a flood, the cap on
sockets per client address, and the per-contact message rate and total.

Every client here is a real `websockets` connection; counts and waits are bounded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chatserver.settings import Settings
from tests.helpers import Seed
from tests.live import TIMEOUT_SCALE, LiveServer
from tests.realserver.client import http_intake, login_cookie

WAIT_S = 10.0 * TIMEOUT_SCALE
PING = orjson.dumps({"type": "ping"}).decode()


def _live(settings: Settings, env: dict[str, str]) -> Iterator[LiveServer]:
    with LiveServer(settings.data_dir, env={"CHATSERVER_LOG_LEVEL": "warning", **env}) as srv:
        yield srv


@pytest.fixture
def live(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    """Default limits (what is under test)."""
    yield from _live(settings, {})


async def _open(srv: LiveServer, path: str = "/ws/patient", cookie: str = "") -> ClientConnection:
    headers = {"Cookie": cookie} if cookie else {}
    return await connect(
        srv.ws_url + path,
        origin=srv.origin,  # type: ignore[arg-type]
        additional_headers=headers,
        open_timeout=5,
    )


async def _recv(ws: ClientConnection) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
    return data


async def _hello(ws: ClientConnection, token: str) -> dict[str, Any]:
    await ws.send(orjson.dumps({"type": "hello", "token": token, "last_seq": 0}).decode())
    while True:
        frame = await _recv(ws)
        if frame["type"] == "welcome":
            return frame


async def _drain_until_closed(
    ws: ClientConnection, within_s: float
) -> tuple[list[str], int | None]:
    """Error codes received, and the server's close code (None: no close frame
    within ``within_s``). The close frame counts when it arrives: the TCP close
    may come later (the server's side of the handshake waits behind the frames
    the flooder still had in flight)."""
    codes: list[str] = []
    deadline = time.monotonic() + within_s
    try:
        while time.monotonic() < deadline:
            try:
                frame = orjson.loads(await asyncio.wait_for(ws.recv(), 0.2))
            except TimeoutError:
                if ws.protocol.close_rcvd is not None:
                    break  # closed, and every frame before the close read
                continue
            if frame.get("type") == "error":
                codes.append(frame["code"])
    except ConnectionClosed:
        pass
    rcvd = ws.protocol.close_rcvd
    return codes, rcvd.code if rcvd is not None else None


async def test_frame_limit_applies_before_hello(live: LiveServer) -> None:
    """400 pings before any hello: the frame limit answers `rate_limited` and then
    closes the socket (1008) at once, instead of 400 `hello_required` replies."""
    ws = await _open(live)
    t0 = time.monotonic()
    reader = asyncio.create_task(_drain_until_closed(ws, 5.0 * TIMEOUT_SCALE))
    try:
        for _ in range(400):
            await ws.send(PING)
    except ConnectionClosed:
        pass
    codes, close_code = await reader
    elapsed = time.monotonic() - t0
    await ws.close()
    assert close_code == 1008
    assert "rate_limited" in codes
    assert codes.count("hello_required") <= 30  # the frame limit's 30 a second
    assert elapsed < 5.0 * TIMEOUT_SCALE


@pytest.fixture
def flood_allowed(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    """No frame limit to speak of and a 2 s hello deadline: only the deadline can act."""
    yield from _live(
        settings,
        {"CHATSERVER_FRAME_RATE_LIMIT": "1000000/second", "CHATSERVER_HELLO_TIMEOUT_S": "2"},
    )


async def test_hello_deadline_holds_under_a_flood(flood_allowed: LiveServer) -> None:
    """A socket that sends pings as fast as it can and never says hello is closed with
    4408 when the deadline passes (not only once it falls silent)."""
    ws = await _open(flood_allowed)
    stop = time.monotonic() + 12.0 * TIMEOUT_SCALE
    sent = 0

    async def flood() -> None:
        nonlocal sent
        try:
            while time.monotonic() < stop:
                await ws.send(PING)
                sent += 1
                if sent % 50 == 0:
                    await asyncio.sleep(0)  # let the reader run
        except ConnectionClosed:
            pass

    t0 = time.monotonic()
    flooder = asyncio.create_task(flood())
    _, close_code = await _drain_until_closed(ws, 11.0 * TIMEOUT_SCALE)
    elapsed = time.monotonic() - t0
    flooder.cancel()
    await asyncio.gather(flooder, return_exceptions=True)
    await ws.close()
    assert sent > 1000  # it really flooded
    assert close_code == 4408
    # Closed while the flood goes on (it lasts 12 s); the client reads the
    # pongs already on their way before the close frame.
    assert 1.5 <= elapsed < 10.0 * TIMEOUT_SCALE


@pytest.fixture
def capped(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    yield from _live(settings, {"CHATSERVER_MAX_SOCKETS_PER_ADDRESS": "5"})


async def _status(
    srv: LiveServer, path: str, cookie: str = ""
) -> tuple[int, ClientConnection | None]:
    try:
        ws = await _open(srv, path, cookie)
    except InvalidStatus as exc:
        return exc.response.status_code, None
    return 101, ws


async def test_sockets_per_address_are_capped(capped: LiveServer, seed: Seed) -> None:
    """With a cap of 5: five sockets from 127.0.0.1 upgrade; the sixth, patient or staff,
    is refused with HTTP 429 before the upgrade; once one closes, a new one gets in."""
    cookie = login_cookie(capped, seed["nurse1"])
    opened: list[ClientConnection] = []
    statuses: list[int] = []
    for path in ("/ws/patient",) * 4 + ("/ws/staff",):
        status, ws = await _status(capped, path, cookie)
        statuses.append(status)
        if ws is not None:
            opened.append(ws)
    refused = [(await _status(capped, path, cookie))[0] for path in ("/ws/patient", "/ws/staff")]
    await opened.pop(0).close()
    await asyncio.sleep(0.3)  # the server's handler ends and releases the slot
    again, ws = await _status(capped, "/ws/patient")
    if ws is not None:
        opened.append(ws)
    for w in opened:
        await w.close()
    assert statuses == [101] * 5
    assert refused == [429, 429]
    assert again == 101


async def _send_messages(
    ws: ClientConnection, prefix: str, n: int, body: str
) -> list[dict[str, Any]]:
    """Send ``n`` messages at once, then collect one ack or error for each."""
    for i in range(n):
        frame = {"type": "message", "client_id": f"{prefix}-{i}", "body": body}
        await ws.send(orjson.dumps(frame).decode())
    answers: list[dict[str, Any]] = []
    while len(answers) < n:
        frame = await _recv(ws)
        if frame["type"] in ("ack", "error") and str(frame.get("client_id", "")).startswith(prefix):
            answers.append(frame)
    return answers


async def test_contact_message_rate_across_sockets(live: LiveServer) -> None:
    """Finding 9: four sockets of one contact send 25 messages of 4,000 characters each
    at once. With the default 60 a minute per contact, 60 are stored and the other 40
    answered `rate_limited` with `retry_after_s`."""
    token = http_intake(live)["patient_token"]
    sockets = [await _open(live) for _ in range(4)]
    for ws in sockets:
        await _hello(ws, token)
    results = await asyncio.gather(
        *(_send_messages(ws, f"s{i}", 25, "x" * 4000) for i, ws in enumerate(sockets))
    )
    answers = [a for r in results for a in r]
    for ws in sockets:
        await ws.close()
    acks = [a for a in answers if a["type"] == "ack"]
    refused = [a for a in answers if a["type"] == "error"]
    assert len(acks) == 60
    assert {a["code"] for a in refused} == {"rate_limited"}
    assert len(refused) == 40
    assert all(1 <= a["retry_after_s"] <= 60 for a in refused)


@pytest.fixture
def small_total(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    yield from _live(settings, {"CHATSERVER_MAX_MESSAGES_PER_CONTACT": "20"})


async def test_contact_message_total_cap(small_total: LiveServer) -> None:
    """With a cap of 20 messages per contact, two sockets sending 15 each get the
    contact to exactly 20; the rest are refused `contact_message_limit`."""
    token = http_intake(small_total)["patient_token"]
    a, b = await _open(small_total), await _open(small_total)
    start = (await _hello(a, token))["last_seq"]
    await _hello(b, token)
    answers: list[dict[str, Any]] = []
    for i in range(15):  # one at a time from each, so the count is exact
        answers += await _send_messages(a, f"a{i}", 1, "hej")
        answers += await _send_messages(b, f"b{i}", 1, "hej")
    c = await _open(small_total)
    last_seq = (await _hello(c, token))["last_seq"]
    for ws in (a, b, c):
        await ws.close()
    acks = [x for x in answers if x["type"] == "ack"]
    codes = {x["code"] for x in answers if x["type"] == "error"}
    assert len(acks) == 20 - start
    assert codes == {"contact_message_limit"}
    assert last_seq == 20
