"""The size limit holds while the body streams in: a body far over it is never read whole."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.attachments import images
from tests.attachments.conftest import LIVE_LIMIT
from tests.helpers import ORIGIN, Seed, intake
from tests.live import LiveServer
from tests.realserver.client import http_intake

BOUNDARY = "stream-boundary-42"
CHUNK = 64 * 1024
OFFERED = 64 * 1024 * 1024  # 64 MiB offered against a 256 KiB limit
LIMIT = 256 * 1024


def _preamble() -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="client_id"\r\n\r\nbig-1\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + b"\xff\xd8\xff"


@pytest.fixture
def app_client(tmp_path: Any, seed: Seed, settings: Settings) -> Iterator[TestClient]:
    small = settings.model_copy(update={"attachment_max_bytes": LIMIT})
    with TestClient(create_app(small), headers={"origin": ORIGIN}) as c:
        yield c


def test_app_pulls_little_more_than_the_limit(app_client: TestClient) -> None:
    """Fed 64 MiB chunk by chunk (no Content-Length), the app stops pulling just past the limit."""
    made = intake(app_client)
    pulled = 0
    sent: list[dict[str, Any]] = []
    zeros = b"\x00" * CHUNK

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = _preamble() if pulled == 0 else zeros
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": pulled < OFFERED}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/api/contacts/{made['contact_id']}/attachments",
        "raw_path": f"/api/contacts/{made['contact_id']}/attachments".encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"authorization", f"Bearer {made['patient_token']}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    app = app_client.app
    portal = app_client.portal
    assert portal is not None
    portal.call(app, scope, receive, send)  # type: ignore[arg-type, call-arg]
    assert sent[0]["type"] == "http.response.start"
    assert sent[0]["status"] == 413
    assert b'"too_large"' in sent[1]["body"]
    # At most one chunk past the limit (plus the small form overhead) was read.
    assert pulled <= LIMIT + 2 * CHUNK, pulled


def test_declared_length_over_limit_refused_unread(app_client: TestClient) -> None:
    """A Content-Length over the limit is 413 before any of the body is read."""
    made = intake(app_client)
    r = app_client.post(
        f"/api/contacts/{made['contact_id']}/attachments",
        content=b"x" * 10,
        headers={
            "content-type": f"multipart/form-data; boundary={BOUNDARY}",
            "content-length": str(LIMIT * 4),
            "authorization": f"Bearer {made['patient_token']}",
        },
    )
    assert (r.status_code, r.json()["error"]["code"]) == (413, "too_large")


def test_real_server_cuts_a_huge_chunked_upload_short(live: LiveServer) -> None:
    """Over a real socket, a 64 MiB chunked upload gets 413 long before it is all sent."""
    made = http_intake(live)
    path = f"/api/contacts/{made['contact_id']}/attachments"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n"
        f"Authorization: Bearer {made['patient_token']}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    zeros = b"\x00" * CHUNK
    chunk = f"{len(zeros):x}\r\n".encode() + zeros + b"\r\n"
    pre = _preamble()
    sent = 0
    reply = b""
    with socket.create_connection(("127.0.0.1", live.port), timeout=10) as s:
        s.sendall(head + f"{len(pre):x}\r\n".encode() + pre + b"\r\n")
        s.setblocking(False)
        deadline = time.monotonic() + 30
        while sent < OFFERED and time.monotonic() < deadline:
            try:
                reply += s.recv(65536)
                if b"\r\n\r\n" in reply:
                    break
            except BlockingIOError:
                pass
            try:
                sent += s.send(chunk)
            except BlockingIOError:
                time.sleep(0.001)
            except OSError:  # the server closed the connection after its answer
                break
        s.setblocking(True)
        while b"too_large" not in reply:
            more = s.recv(65536)
            if not more:
                break
            reply += more
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b'"too_large"' in reply
    # Loopback socket buffers hold a few MiB; the rest of the 64 MiB was never sent.
    assert sent < OFFERED // 4, sent
    assert LIVE_LIMIT < OFFERED // 4


def test_big_photo_under_the_limit_accepted(live: LiveServer) -> None:
    """A real photo near the limit goes through the real server."""
    import httpx  # noqa: PLC0415

    made = http_intake(live)
    photo = images.jpeg((2000, 1500))
    assert len(photo) < LIVE_LIMIT
    r = httpx.post(
        f"{live.url}/api/contacts/{made['contact_id']}/attachments",
        data={"client_id": "big-ok"},
        files={"file": ("x.jpg", photo, "image/jpeg")},
        headers={"authorization": f"Bearer {made['patient_token']}"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
