"""The nginx template (deploy/nginx/chatserver.conf.template) as the edge, in front
of one real ``chatserver serve`` on SQLite: unknown host names are dropped
without an answer, /metrics only answers the allowlist, a client cannot choose
the address the per-address limits count, request bursts get 429, and slow
request headers are cut off (issue 20, point 10)."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chatserver.settings import Settings
from tests.helpers import Seed, intake_body
from tests.live import LiveServer

from .cluster import Nginx

PROXY_ENV = {
    # The app believes X-Forwarded-For only from the proxy (nginx on 127.0.0.1).
    "CHATSERVER_FORWARDED_ALLOW_IPS": "127.0.0.1",
    "CHATSERVER_INTAKE_RATE_LIMIT": "3/minute",
}


@pytest.fixture
def app_server(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    with LiveServer(settings.data_dir, env=PROXY_ENV) as srv:
        yield srv


@pytest.fixture
def edge(tmp_path: Path, app_server: LiveServer) -> Iterator[Nginx]:
    proxy = Nginx(tmp_path / "nginx", [app_server.port]).start()
    try:
        yield proxy
    finally:
        proxy.stop()


def _tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _raw(port: int, request: bytes, *, tls: bool, wait_s: float = 5.0) -> bytes:
    """Send ``request`` and read until the server closes (or ``wait_s`` passes)."""
    plain = socket.create_connection(("127.0.0.1", port), timeout=wait_s)
    conn = _tls().wrap_socket(plain) if tls else plain
    got = b""
    with conn:
        conn.sendall(request)
        try:
            while chunk := conn.recv(65536):
                got += chunk
        except (TimeoutError, ConnectionResetError, ssl.SSLError):
            pass
    return got


def _get(host: str, path: str = "/livez") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()


def test_unknown_host_is_dropped(edge: Nginx) -> None:
    """Another Host gets no answer at all (444) on HTTPS and HTTP; the real name does."""
    own = f"127.0.0.1:{edge.port}"
    assert _raw(edge.port, _get(own), tls=True).startswith(b"HTTP/1.1 200")
    for host in ("evil.example", "127.0.0.1.evil.example", "localhost"):
        assert _raw(edge.port, _get(host), tls=True) == b"", host
        assert _raw(edge.http_port, _get(host), tls=False) == b"", host
    # The plain-HTTP server still redirects the real name to HTTPS.
    assert _raw(edge.http_port, _get("127.0.0.1"), tls=False).startswith(b"HTTP/1.1 308")


def test_metrics_only_for_the_allowlist(
    tmp_path: Path, edge: Nginx, app_server: LiveServer
) -> None:
    """/metrics through the proxy: 403 for an address not listed (the default
    renders no allow line at all), 200 for a listed one; the app still serves it."""
    refused = httpx.get(f"{edge.url}/metrics", verify=False, timeout=10)
    assert refused.status_code == 403
    assert "# HELP" not in refused.text
    other = Nginx(tmp_path / "nginx-other", [app_server.port], "allow 192.0.2.1;").start()
    try:
        assert httpx.get(f"{other.url}/metrics", verify=False, timeout=10).status_code == 403
    finally:
        other.stop()
    allowed = Nginx(tmp_path / "nginx-allowed", [app_server.port], "allow 127.0.0.1;").start()
    try:
        ok = httpx.get(f"{allowed.url}/metrics", verify=False, timeout=10)
        assert ok.status_code == 200
        assert "# HELP" in ok.text
    finally:
        allowed.stop()


def test_client_cannot_choose_its_address(edge: Nginx) -> None:
    """Rotating X-Forwarded-For through the proxy does not escape the intake limit
    (3 a minute here): nginx replaces the header with the peer's address."""
    codes = []
    with httpx.Client(verify=False, timeout=10) as client:
        for i in range(5):
            r = client.post(
                f"{edge.url}/api/contacts",
                json=intake_body(),
                headers={"X-Forwarded-For": f"198.51.100.{i + 1}", "Origin": edge.origin},
            )
            codes.append(r.status_code)
    assert codes[:3] == [201, 201, 201]
    assert codes[3:] == [429, 429], codes


def test_request_bursts_get_429(edge: Nginx) -> None:
    """More than the burst (100) of requests at once from one address: 429 from nginx."""
    with httpx.Client(verify=False, timeout=10) as client:
        codes = [client.get(f"{edge.url}/livez").status_code for _ in range(300)]
    assert codes[:100] == [200] * 100
    assert 429 in codes


def test_slow_headers_are_cut_off(edge: Nginx) -> None:
    """A client that never finishes its request headers is disconnected after
    client_header_timeout (10 s), without reaching the app."""
    started = time.monotonic()
    partial = f"GET /livez HTTP/1.1\r\nHost: 127.0.0.1:{edge.port}\r\nX-Slow: ".encode()
    got = _raw(edge.port, partial, tls=True, wait_s=30.0)
    elapsed = time.monotonic() - started
    assert not got.startswith(b"HTTP/1.1 200")
    assert 8.0 < elapsed < 20.0, elapsed
