"""WebSocket hardening against a real ``chatserver serve`` (uvicorn, `websockets`):
the Origin grid (no upgrade, 403) and a table of adversarial frames, each with a
control connection that keeps working."""

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


@pytest.fixture
def live(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    """A real server with the default limits (the limits are what is under test)."""
    with LiveServer(settings.data_dir) as srv:
        yield srv


async def _handshake_status(url: str, headers: dict[str, str]) -> int:
    """101 when the upgrade was accepted, else the HTTP status of the refusal."""
    try:
        ws = await connect(url, additional_headers=headers, open_timeout=5, origin=None)
    except InvalidStatus as exc:
        return exc.response.status_code
    await ws.close()
    return 101


ORIGINS: dict[str, str | None] = {
    "bad": "http://evil.example",
    "missing": None,
    "null": "null",
    "lookalike": "http://127.0.0.1.evil.example",
}


async def test_origin_grid(live: LiveServer, seed: Seed) -> None:
    """Bad, missing, null and look-alike Origins × with/without a session cookie × both
    endpoints: every handshake answers 403 and none upgrades; the own origin upgrades."""
    cookie = login_cookie(live, seed["nurse1"])
    got: dict[tuple[str, str, bool], int] = {}
    for path in ("/ws/patient", "/ws/staff"):
        for name, origin in ORIGINS.items():
            for with_cookie in (False, True):
                headers = {}
                if origin is not None:
                    headers["Origin"] = origin
                if with_cookie:
                    headers["Cookie"] = cookie
                got[(path, name, with_cookie)] = await _handshake_status(
                    live.ws_url + path, headers
                )
    assert got == dict.fromkeys(got, 403)
    assert len(got) == 16
    ok = {"Origin": live.origin, "Cookie": cookie}
    assert await _handshake_status(live.ws_url + "/ws/staff", ok) == 101
    assert await _handshake_status(live.ws_url + "/ws/patient", {"Origin": live.origin}) == 101


async def _patient(live: LiveServer) -> tuple[ClientConnection, str]:
    token = http_intake(live)["patient_token"]
    ws = await connect(f"{live.ws_url}/ws/patient", origin=live.origin, open_timeout=5)  # type: ignore[arg-type]
    return ws, token


async def _recv(ws: ClientConnection) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
    return data


async def _recv_type(ws: ClientConnection, *types: str) -> dict[str, Any]:
    while True:
        frame = await _recv(ws)
        if frame["type"] in types:
            return frame


async def _hello(ws: ClientConnection, token: str) -> None:
    await ws.send(orjson.dumps({"type": "hello", "token": token, "last_seq": 0}).decode())
    assert (await _recv_type(ws, "welcome"))["type"] == "welcome"


async def _closed_with(ws: ClientConnection) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), WAIT_S)
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd is not None else None


async def _control_still_served(control: ClientConnection, n: int) -> float:
    """The control patient's message is acknowledged; returns the latency."""
    t0 = time.perf_counter()
    msg = {"type": "message", "client_id": f"ctl-{n}", "body": "Kontroll"}
    await control.send(orjson.dumps(msg).decode())
    ack = await _recv_type(control, "ack")
    assert ack["client_id"] == f"ctl-{n}"
    return time.perf_counter() - t0


async def test_adversarial_frames(live: LiveServer) -> None:
    """Garbage before hello, a frame over 64 KiB, invalid UTF-8 (text and binary) and a
    flood each get their documented answer, while a control connection stays served."""
    control, control_token = await _patient(live)
    await _hello(control, control_token)
    outcomes: dict[str, Any] = {}

    # Garbage before hello: an error frame, the socket stays open, hello still works.
    ws, token = await _patient(live)
    await ws.send("\x00\x01 not json {{{")
    outcomes["garbage_before_hello"] = (await _recv(ws))["code"]
    await ws.send(orjson.dumps({"type": "message", "client_id": "x", "body": "y"}).decode())
    outcomes["message_before_hello"] = (await _recv(ws))["code"]
    await _hello(ws, token)
    outcomes["hello_after_garbage"] = "welcome"
    await ws.close()

    # A frame over 64 KiB: closed with 1009 by the server.
    ws, token = await _patient(live)
    await _hello(ws, token)
    await ws.send("x" * (64 * 1024 + 1))
    outcomes["huge_frame"] = await _closed_with(ws)
    await ws.close()

    # Invalid UTF-8 in a text frame: the WebSocket layer closes with 1007 (RFC 6455 8.1).
    ws, token = await _patient(live)
    await _hello(ws, token)
    await ws.send(b"\xff\xfe{}", text=True)
    outcomes["invalid_utf8_text"] = await _closed_with(ws)
    await ws.close()

    # Invalid UTF-8 in a binary frame: an error frame, the socket stays open.
    ws, token = await _patient(live)
    await _hello(ws, token)
    await ws.send(b"\xff\xfe{}")
    outcomes["invalid_utf8_binary"] = (await _recv(ws))["code"]
    await ws.send(orjson.dumps({"type": "ping"}).decode())
    outcomes["still_open_after_binary"] = (await _recv_type(ws, "pong"))["type"]
    await ws.close()

    # A flood: rate_limited errors first, then the socket is closed with 1008.
    ws, token = await _patient(live)
    await _hello(ws, token)
    ping = orjson.dumps({"type": "ping"}).decode()
    for _ in range(400):
        await ws.send(ping)
    codes: list[str] = []
    close_code: int | None = None
    try:
        while True:
            frame = await _recv(ws)
            if frame["type"] == "error":
                codes.append(frame["code"])
    except ConnectionClosed as exc:
        close_code = exc.rcvd.code if exc.rcvd is not None else None
    outcomes["flood_errors"] = sorted(set(codes))
    outcomes["flood_refusals_before_close"] = len(codes) >= 1
    outcomes["flood_close"] = close_code
    await ws.close()

    latency = await _control_still_served(control, 1)
    await control.close()
    assert outcomes == {
        "garbage_before_hello": "invalid_json",
        "message_before_hello": "hello_required",
        "hello_after_garbage": "welcome",
        "huge_frame": 1009,
        "invalid_utf8_text": 1007,
        "invalid_utf8_binary": "invalid_json",
        "still_open_after_binary": "pong",
        "flood_errors": ["rate_limited"],
        "flood_refusals_before_close": True,
        "flood_close": 1008,
    }
    assert latency < 2.0 * TIMEOUT_SCALE


async def test_hello_timeout(live: LiveServer) -> None:
    """A patient socket that never says hello is closed with 4408 after 10 s."""
    ws = await connect(f"{live.ws_url}/ws/patient", origin=live.origin, open_timeout=5)  # type: ignore[arg-type]
    t0 = time.monotonic()
    with pytest.raises(ConnectionClosed) as exc:
        await asyncio.wait_for(ws.recv(), 15 * TIMEOUT_SCALE)
    await ws.close()
    assert exc.value.rcvd is not None
    assert exc.value.rcvd.code == 4408
    assert 9.5 <= time.monotonic() - t0 < 15 * TIMEOUT_SCALE


async def test_huge_frame_on_staff_socket(live: LiveServer, seed: Seed) -> None:
    """Staff sockets close with 1009 on a frame over 64 KiB too."""
    cookie = login_cookie(live, seed["nurse1"])
    ws = await connect(
        f"{live.ws_url}/ws/staff",
        origin=live.origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        open_timeout=5,
    )
    assert (await _recv_type(ws, "welcome"))["type"] == "welcome"
    await ws.send("y" * (64 * 1024 + 1))
    code = await _closed_with(ws)
    await ws.close()
    assert code == 1009
