"""Server-side sessions: idle and absolute timeouts on an injected clock, logout and
disabled accounts; every end closes the session's live sockets with 1008."""

from __future__ import annotations

import hashlib
import sqlite3

import pyotp
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from chatserver.settings import Settings
from tests.helpers import PASSWORD, Seed, receive_until
from tests.security.conftest import FakeClock, state_of


def _sign_in(c: TestClient, seed: Seed, clock: FakeClock, username: str = "nurse1") -> str:
    secret = seed[username].otp_secret
    assert secret is not None
    r = c.post(
        "/api/staff/login",
        json={"username": username, "password": PASSWORD, "otp": pyotp.TOTP(secret).at(clock.now)},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def _assert_closed_1008(ws: object) -> None:
    """Skip pushes until the close; its code must be 1008."""
    code = None
    for _ in range(20):
        try:
            ws.receive_json()  # type: ignore[attr-defined]
        except WebSocketDisconnect as exc:
            code = exc.code
            break
    assert code == 1008


def test_idle_timeout_closes_socket(clocked: TestClient, seed: Seed, clock: FakeClock) -> None:
    """30 idle minutes end the session: the sweep closes its socket with 1008, HTTP says 401."""
    _sign_in(clocked, seed, clock)
    with clocked.websocket_connect("/ws/staff") as ws:
        assert ws.receive_json()["type"] == "welcome"
        clock.advance(29 * 60)
        clocked.portal.call(state_of(clocked).sweep_sessions_once)  # type: ignore[union-attr]
        assert clocked.get("/api/staff/me").status_code == 200  # still alive, and touched
        clock.advance(30 * 60 + 1)
        clocked.portal.call(state_of(clocked).sweep_sessions_once)  # type: ignore[union-attr]
        _assert_closed_1008(ws)
    r = clocked.get("/api/staff/me")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "not_authenticated")


def test_absolute_timeout(clocked: TestClient, seed: Seed, clock: FakeClock) -> None:
    """However active, a session ends 12 h after sign-in."""
    _sign_in(clocked, seed, clock)
    for _ in range(12 * 4):
        clock.advance(15 * 60)
        assert clocked.get("/api/staff/me").status_code == 200
    clock.advance(1)
    with clocked.websocket_connect("/ws/staff") as ws:
        _assert_closed_4401(ws)


def _assert_closed_4401(ws: object) -> None:
    with pytest.raises(WebSocketDisconnect) as exc:
        ws.receive_json()  # type: ignore[attr-defined]
    assert exc.value.code == 4401


def test_logout_closes_every_socket_of_the_session(
    clocked: TestClient, seed: Seed, clock: FakeClock
) -> None:
    """Logout closes both tabs of the session with 1008 at once, and is audited."""
    csrf = _sign_in(clocked, seed, clock)
    with clocked.websocket_connect("/ws/staff") as a, clocked.websocket_connect("/ws/staff") as b:
        assert a.receive_json()["type"] == "welcome"
        assert b.receive_json()["type"] == "welcome"
        r = clocked.post("/api/staff/logout", headers={"x-csrf-token": csrf})
        assert r.json() == {"status": "logged_out"}
        _assert_closed_1008(a)
        _assert_closed_1008(b)


def test_logout_needs_csrf(clocked: TestClient, seed: Seed, clock: FakeClock) -> None:
    """Logout without the X-CSRF-Token is refused with 403 csrf_failed."""
    _sign_in(clocked, seed, clock)
    r = clocked.post("/api/staff/logout")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "csrf_failed")


def test_disabled_account_closes_socket(
    clocked: TestClient, seed: Seed, clock: FakeClock, settings: Settings
) -> None:
    """Disabling an account ends its sessions: the next sweep closes the socket with 1008."""
    _sign_in(clocked, seed, clock)
    with clocked.websocket_connect("/ws/staff") as ws:
        assert ws.receive_json()["type"] == "welcome"
        db = sqlite3.connect(settings.sqlite_path)
        with db:
            db.execute("UPDATE users SET disabled = 1 WHERE username = 'nurse1'")
        db.close()
        clocked.portal.call(state_of(clocked).sweep_sessions_once)  # type: ignore[union-attr]
        _assert_closed_1008(ws)


def test_session_id_not_stored(
    clocked: TestClient, seed: Seed, clock: FakeClock, settings: Settings
) -> None:
    """The database holds only the SHA-256 of the cookie value."""
    _sign_in(clocked, seed, clock)
    cookie = next(iter(clocked.cookies.values()))
    db = sqlite3.connect(settings.sqlite_path)
    stored = [r[0] for r in db.execute("SELECT id_hash FROM sessions")]
    db.close()
    assert stored == [hashlib.sha256(cookie.encode()).hexdigest()]


def _sweep(c: TestClient) -> None:
    c.portal.call(state_of(c).sweep_sessions_once)  # type: ignore[union-attr]


def test_keepalive_pings_do_not_keep_the_session(
    clocked: TestClient, seed: Seed, clock: FakeClock
) -> None:
    """An open tab that only pings (here every 2 minutes) and the 2 s sweep do not count
    as activity: the session idles out after 30 minutes and the socket is closed with 1008."""
    _sign_in(clocked, seed, clock)
    with clocked.websocket_connect("/ws/staff") as ws:
        receive_until(ws, "welcome")
        # Few frames per real second: the per-connection frame limit is not under test.
        for _ in range(15):
            clock.advance(120)
            ws.send_json({"type": "ping"})
            assert receive_until(ws, "pong") == {"type": "pong"}
            _sweep(clocked)
        clock.advance(1)
        _sweep(clocked)
        _assert_closed_1008(ws)


def test_work_on_the_socket_keeps_the_session(
    clocked: TestClient, seed: Seed, clock: FakeClock
) -> None:
    """Frames that are work (here: hello, re-reading the dashboard) every 2 minutes keep
    the session alive past the idle timeout."""
    _sign_in(clocked, seed, clock)
    with clocked.websocket_connect("/ws/staff") as ws:
        receive_until(ws, "welcome")
        for _ in range(20):
            clock.advance(120)
            ws.send_json({"type": "hello"})
            assert receive_until(ws, "welcome")["user"]["username"] == "nurse1"
            _sweep(clocked)
        ws.send_json({"type": "ping"})
        assert receive_until(ws, "pong") == {"type": "pong"}
