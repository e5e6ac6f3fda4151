"""Slow and oversized requests against a real ``chatserver serve`` (issue 20,
point 10): uvicorn alone holds a silent or trickling connection forever and
takes headers of any size; chatserver/http/server_protocol.py closes them."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import connect

from chatserver.settings import Settings
from tests.helpers import Seed
from tests.live import LiveServer
from tests.realserver.client import http_intake

DEADLINES = {"CHATSERVER_HTTP_HEADER_TIMEOUT_S": "1", "CHATSERVER_HTTP_BODY_TIMEOUT_S": "1"}


@pytest.fixture
def live(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    with LiveServer(settings.data_dir, env=DEADLINES) as srv:
        yield srv


def _closed_after(sock: socket.socket, send: list[bytes], gap_s: float = 0.0) -> float:
    """Send the pieces (``gap_s`` apart) and return when the server closed the socket."""
    started = time.monotonic()
    try:
        for piece in send:
            sock.sendall(piece)
            time.sleep(gap_s)
        while sock.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    return time.monotonic() - started


def _connect(live: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", live.port), timeout=15)


def test_silent_connection_is_closed(live: LiveServer) -> None:
    with _connect(live) as s:
        assert _closed_after(s, []) < 5


def test_trickled_headers_are_cut_off(live: LiveServer) -> None:
    """One byte every 0.2 s never completes the head within the deadline."""
    head = b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 40
    with _connect(live) as s:
        elapsed = _closed_after(s, [bytes([b]) for b in head], gap_s=0.2)
    assert elapsed < 5


def test_slow_body_is_cut_off(live: LiveServer) -> None:
    head = b"POST /api/contacts HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n"
    with _connect(live) as s:
        assert _closed_after(s, [head, b"{"]) < 5


def test_huge_head_is_refused(live: LiveServer) -> None:
    with _connect(live) as s:
        s.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
        assert s.recv(100).startswith(b"HTTP/1.1 431")


def test_normal_requests_and_sockets_are_untouched(live: LiveServer) -> None:
    """Keep-alive requests after the deadline, and a WebSocket held past it."""
    with _connect(live) as s:
        for _ in range(2):
            s.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
            got = b""
            while b'{"status":"ok"}' not in got:
                got += s.recv(4096)
            assert got.startswith(b"HTTP/1.1 200")
            time.sleep(0.5)
    token = http_intake(live)["patient_token"]

    async def socket_past_deadline() -> str:
        async with connect(f"{live.ws_url}/ws/patient", origin=live.origin) as ws:  # type: ignore[arg-type]
            await ws.send(json.dumps({"type": "hello", "token": token, "last_seq": 0}))
            await ws.recv()
            await asyncio.sleep(2.5)
            await ws.send('{"type": "ping"}')
            while True:
                frame = str(await asyncio.wait_for(ws.recv(), 5))
                if '"pong"' in frame:
                    return frame

    assert '"pong"' in asyncio.run(socket_past_deadline())
