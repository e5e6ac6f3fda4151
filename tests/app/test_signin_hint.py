"""The staff sign-in hint (issue 17): set with the session cookie, readable by
the page, dropped at sign-out and when /api/staff/me finds no session."""

from __future__ import annotations

from starlette.testclient import TestClient

from chatserver.http.staff import SIGNED_IN_HINT
from tests.helpers import PASSWORD, Seed


def _set_cookies(response: object) -> list[str]:
    headers = response.headers  # type: ignore[attr-defined]
    return [v for k, v in headers.multi_items() if k.lower() == "set-cookie"]


def test_hint_follows_the_session(client: TestClient, seed: Seed) -> None:
    account = seed["nurse1"]
    r = client.post(
        "/api/staff/login",
        json={"username": account.username, "password": PASSWORD, "otp": account.otp()},
    )
    assert r.status_code == 200
    [hint] = [c for c in _set_cookies(r) if c.startswith(f"{SIGNED_IN_HINT}=")]
    assert hint.startswith(f"{SIGNED_IN_HINT}=1;")
    assert "httponly" not in hint.lower()  # the page reads it
    assert "samesite=strict" in hint.lower()
    [session] = [c for c in _set_cookies(r) if not c.startswith(f"{SIGNED_IN_HINT}=")]
    assert "httponly" in session.lower()  # the session itself stays unreadable
    assert client.get("/api/staff/me").status_code == 200

    csrf = client.get("/api/staff/me").json()["csrf_token"]
    out = client.post("/api/staff/logout", json={}, headers={"x-csrf-token": csrf})
    assert out.status_code == 200
    [dropped] = [c for c in _set_cookies(out) if c.startswith(f"{SIGNED_IN_HINT}=")]
    assert "max-age=0" in dropped.lower()


def test_a_stale_hint_is_dropped_by_the_401(client: TestClient) -> None:
    """The session ended: /api/staff/me answers 401 as before and deletes the hint."""
    client.cookies.set(SIGNED_IN_HINT, "1")
    r = client.get("/api/staff/me")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"
    [gone] = [c for c in _set_cookies(r) if c.startswith(f"{SIGNED_IN_HINT}=")]
    assert "max-age=0" in gone.lower()
