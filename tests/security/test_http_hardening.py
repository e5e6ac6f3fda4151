"""HTTP hardening: CSRF (token, Origin, Fetch Metadata), security headers, request ids,
and the WebSocket connection caps."""

from __future__ import annotations

import re
from contextlib import ExitStack

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from chatserver.http.security_headers import CSP
from chatserver.ws.hub import MAX_CONNECTIONS_PER_CONTACT, MAX_CONNECTIONS_PER_USER
from tests.helpers import Seed, intake, login, receive_until

FORBID = "origin_refused"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, (403, "csrf_failed")),
        ({"x-csrf-token": "wrong"}, (403, "csrf_failed")),
        ({"x-csrf-token": "{csrf}", "origin": "http://evil.example"}, (403, "origin_refused")),
        ({"x-csrf-token": "{csrf}", "origin": "null"}, (403, "origin_refused")),
        (
            {"x-csrf-token": "{csrf}", "origin": "", "sec-fetch-site": "cross-site"},
            (403, "origin_refused"),
        ),
        (
            {"x-csrf-token": "{csrf}", "origin": "", "sec-fetch-site": "same-site"},
            (403, "origin_refused"),
        ),
        ({"x-csrf-token": "{csrf}", "origin": "", "sec-fetch-site": "same-origin"}, (200, "ok")),
        ({"x-csrf-token": "{csrf}"}, (200, "ok")),
    ],
)
def test_csrf_on_logout(
    client: TestClient, seed: Seed, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    """A change needs the token, and an allowed Origin or same-origin Fetch Metadata."""
    csrf = login(client, seed["nurse1"])
    sent = {k: v.replace("{csrf}", csrf) for k, v in headers.items()}
    if sent.get("origin") == "":
        # No Origin header at all (the client's default one removed).
        client.headers.pop("origin", None)
        sent.pop("origin")
    r = client.post("/api/staff/logout", headers=sent)
    body = r.json()
    assert (r.status_code, body.get("error", {}).get("code", "ok")) == expected


def test_security_headers(client: TestClient) -> None:
    """Every response carries the strict CSP, nosniff, no-referrer, DENY and a request id."""
    r = client.get("/api/units", headers={"x-request-id": "trace-42"})
    assert r.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP
    assert "frame-ancestors 'none'" in CSP
    assert "unsafe-inline" not in CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-request-id"] == "trace-42"
    assert "strict-transport-security" not in r.headers  # only under TLS
    odd = client.get("/api/units", headers={"x-request-id": "bad id with spaces"})
    again = client.get("/api/units")
    # A new id instead: this process's random prefix and a counter.
    assert re.fullmatch(r"[0-9a-f]{12}-[0-9a-f]+", odd.headers["x-request-id"])
    assert again.headers["x-request-id"] != odd.headers["x-request-id"]


def test_intake_rate_limit(client: TestClient) -> None:
    """The 61st intake within a minute from one address gets 429 rate_limited."""
    for _ in range(60):
        intake(client)
    r = client.post("/api/contacts", json={})
    assert (r.status_code, r.json()["error"]["code"]) == (429, "rate_limited")


def test_staff_connection_cap(client: TestClient, seed: Seed) -> None:
    """16 staff sockets of one account are served; the 17th is closed with 1008."""
    login(client, seed["nurse1"])
    with ExitStack() as stack:
        for _ in range(MAX_CONNECTIONS_PER_USER):
            ws = stack.enter_context(client.websocket_connect("/ws/staff"))
            assert ws.receive_json()["type"] == "welcome"
        with (
            client.websocket_connect("/ws/staff") as extra,
            pytest.raises(WebSocketDisconnect) as exc,
        ):
            extra.receive_json()
        assert exc.value.code == 1008


def test_patient_connection_cap(client: TestClient) -> None:
    """4 sockets per patient contact are served; the 5th is closed with 1008."""
    token = intake(client)["patient_token"]
    hello = {"type": "hello", "token": token, "last_seq": 0}
    with ExitStack() as stack:
        for _ in range(MAX_CONNECTIONS_PER_CONTACT):
            ws = stack.enter_context(client.websocket_connect("/ws/patient"))
            ws.send_json(hello)
            assert receive_until(ws, "welcome")["type"] == "welcome"
        with client.websocket_connect("/ws/patient") as extra:
            extra.send_json(hello)
            with pytest.raises(WebSocketDisconnect) as exc:
                extra.receive_json()
        assert exc.value.code == 1008
