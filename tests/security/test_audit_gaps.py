"""Audit gaps found by the outside test run (issue 20, point 5): exports and
list reads, refused socket actions, the staff welcome, refused statistics and
audit calls, and the names typed at failed sign-ins."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from chatserver.audit import AuditQuery, audit_log_of
from tests.helpers import Seed, intake, login, receive_until
from tests.security.conftest import state_of


def _events(client: TestClient, **filters: Any) -> list[Any]:
    store = audit_log_of(state_of(client)).store
    found: list[Any] = client.portal.call(store.query, AuditQuery(**filters))  # type: ignore[union-attr]
    return found


def test_unknown_login_name_is_kept_as_a_keyed_digest(client: TestClient) -> None:
    """A name that is no account's (maybe a password) never reaches the log in clear."""
    typed = "Sommar2026!"
    r = client.post("/api/staff/login", json={"username": typed, "password": "x" * 12})
    assert r.status_code == 401
    log = audit_log_of(state_of(client))
    (event,) = _events(client, action="login")
    assert typed not in str(event.detail)
    assert typed.lower() not in str(event.detail)
    want = hmac.new(log.key, b"login-name:" + typed.lower().encode(), hashlib.sha256).hexdigest()
    assert event.detail["username_hmac"] == want
    assert "username" not in event.detail


def test_known_login_name_stays_readable(client: TestClient) -> None:
    r = client.post("/api/staff/login", json={"username": "nurse1", "password": "wrong-pass"})
    assert r.status_code == 401
    (event,) = _events(client, action="login")
    assert event.detail["username"] == "nurse1"


PERIOD = "from=2026-01-01&to=2026-01-31"
STATS_READS = {
    f"/api/stats/export/contacts.csv?unit=hc1&{PERIOD}": "stats_export_contacts",
    f"/api/stats/export/contacts.json?{PERIOD}": "stats_export_contacts",
    f"/api/stats/tables/concurrency.csv?{PERIOD}": "stats_export_table",
    f"/api/stats/tables?{PERIOD}": "stats_tables",
    f"/api/stats/operations?{PERIOD}": "stats_operations",
}


@pytest.mark.parametrize("url", sorted(STATS_READS))
def test_stats_exports_are_audited_first(
    client: TestClient, seed: Seed, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """Each export or table read is one event before the answer; no event, no answer."""
    login(client, seed["manager1"])
    assert client.get(url).status_code == 200
    (event,) = _events(client, action=STATS_READS[url])
    assert (event.actor_username, event.result) == ("manager1", "ok")
    assert event.detail["units"] == ["hc1"]
    assert event.detail["from"] == "2026-01-01"
    store = audit_log_of(state_of(client)).store

    async def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "append", fail)
    r = client.get(url)
    assert (r.status_code, r.json()["error"]["code"]) == (503, "audit_unavailable")


@pytest.mark.parametrize(
    ("username", "url", "action"),
    [
        ("nurse1", f"/api/stats/operations?{PERIOD}", "stats_read"),
        ("manager1", f"/api/stats/export/contacts.csv?unit=hc2&{PERIOD}", "stats_read"),
        ("manager1", "/api/audit/events", "audit_query"),
        ("manager1", "/api/audit/events?format=csv", "audit_export"),
        ("nurse1", "/api/audit/sample", "audit_sample"),
        ("nurse1", "/api/audit/contacts/abc", "audit_extract"),
        ("manager1", "/api/audit/verify", "audit_verify"),
    ],
)
def test_refused_stats_and_audit_calls_are_audited(
    client: TestClient, seed: Seed, username: str, url: str, action: str
) -> None:
    login(client, seed[username])
    r = client.get(url)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    (event,) = _events(client, action=action)
    assert (event.actor_username, event.result) == (username, "forbidden")
    assert event.detail["path"] == url.split("?", maxsplit=1)[0]


@pytest.mark.parametrize(
    ("username", "frame", "code"),
    [
        ("nurse_hc2", {"type": "typing"}, "unknown_contact"),
        ("nurse_hc2", {"type": "message", "client_id": "m1", "body": "hej"}, "unknown_contact"),
        ("nurse2", {"type": "typing"}, "not_assigned"),
        ("nurse2", {"type": "message", "client_id": "m1", "body": "hej"}, "not_assigned"),
    ],
)
def test_refused_message_and_typing_are_audited(
    client: TestClient, seed: Seed, username: str, frame: dict[str, Any], code: str
) -> None:
    """Another unit's or another nurse's contact: the refusal leaves an event."""
    contact_id = intake(client)["contact_id"]
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff") as ws:
        receive_until(ws, "welcome")
        ws.send_json({"type": "pick", "contact_id": contact_id})
        receive_until(ws, "assigned")
    login(client, seed[username])
    with client.websocket_connect("/ws/staff") as ws:
        receive_until(ws, "welcome")
        ws.send_json({**frame, "contact_id": contact_id})
        assert receive_until(ws, "error")["code"] == code
    refused = [e for e in _events(client, contact_id=contact_id) if e.actor_username == username]
    assert [(e.action, e.result) for e in refused] == [(frame["type"], code)]


def test_staff_welcome_is_audited_per_contact(
    client: TestClient, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each assigned contact the welcome re-sends is a ``welcome`` event; when it
    cannot be written the socket closes (1013) without the contacts' data."""
    contact_id = intake(client)["contact_id"]
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff") as ws:
        receive_until(ws, "welcome")
        ws.send_json({"type": "pick", "contact_id": contact_id})
        receive_until(ws, "assigned")
    with client.websocket_connect("/ws/staff") as ws:
        assert receive_until(ws, "welcome")["assigned"][0]["name"] == "Petra Patient"
        ws.send_json({"type": "hello"})
        receive_until(ws, "welcome")
    events = [e for e in _events(client, contact_id=contact_id) if e.action == "welcome"]
    assert [(e.actor_username, e.unit_id, e.result) for e in events] == [
        ("nurse1", "hc1", "ok"),
        ("nurse1", "hc1", "ok"),
    ]
    store = audit_log_of(state_of(client)).store

    async def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "append", fail)
    with client.websocket_connect("/ws/staff") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1013
