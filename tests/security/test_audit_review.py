"""The audit log in use: what staff actions record, the review API for admins, the patient
log extract, and refusal of access when the audit cannot be written."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from starlette.testclient import TestClient

from chatserver.audit import audit_log_of
from tests.helpers import PASSWORD, Seed, intake, login, receive_until
from tests.security.conftest import state_of


def _nurse_works_a_contact(client: TestClient, seed: Seed) -> str:
    """nurse1 picks, syncs, overrides, notes, transfers and closes one contact."""
    contact_id = str(intake(client)["contact_id"])
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff") as ws:
        receive_until(ws, "welcome")
        for frame, answer in (
            ({"type": "pick", "contact_id": contact_id}, "assigned"),
            ({"type": "sync", "contact_id": contact_id, "after_seq": 0}, "history"),
            (
                {"type": "override", "contact_id": contact_id, "level": "urgent", "reason": "r"},
                "triage",
            ),
            ({"type": "note", "contact_id": contact_id, "body": "anteckning"}, "note"),
            ({"type": "transfer", "contact_id": contact_id, "queue": "nurse"}, "transferred"),
            ({"type": "close", "contact_id": contact_id, "outcome": "resolved_in_chat"}, "closed"),
        ):
            ws.send_json(frame)
            receive_until(ws, answer)
    return contact_id


def _admin_get(client: TestClient, seed: Seed, url: str) -> Any:
    login(client, seed["admin1"])
    r = client.get(url)
    assert r.status_code == 200, r.text
    return r.json() if r.headers["content-type"].startswith("application/json") else r.text


def test_staff_actions_are_audited(client: TestClient, seed: Seed) -> None:
    """Each access to the contact is one event: actor, role, unit, result and request id."""
    contact_id = _nurse_works_a_contact(client, seed)
    events = _admin_get(client, seed, f"/api/audit/events?contact={contact_id}")["events"]
    assert [
        (e["action"], e["actor_username"], e["actor_role"], e["unit_id"], e["result"])
        for e in events
    ] == [
        ("pick", "nurse1", "nurse", "hc1", "ok"),
        ("sync", "nurse1", "nurse", "hc1", "ok"),
        ("triage_override", "nurse1", "nurse", "hc1", "ok"),
        ("note", "nurse1", "nurse", "hc1", "ok"),
        ("transfer", "nurse1", "nurse", "hc1", "ok"),
        ("close", "nurse1", "nurse", "hc1", "ok"),
    ]
    assert events[2]["detail"] == {"level": "urgent", "previous_level": "standard"}
    assert events[5]["detail"] == {"outcome": "resolved_in_chat"}
    assert len({e["request_id"] for e in events}) == 6
    assert all(e["at"].endswith("Z") and len(e["at"]) == 27 for e in events)


def test_refused_access_is_audited(client: TestClient, seed: Seed) -> None:
    """A nurse of another unit reaching for a contact leaves a refused event."""
    contact_id = intake(client)["contact_id"]
    login(client, seed["nurse_hc2"])
    with client.websocket_connect("/ws/staff") as ws:
        receive_until(ws, "welcome")
        ws.send_json({"type": "sync", "contact_id": contact_id, "after_seq": 0})
        assert receive_until(ws, "error")["code"] == "unknown_contact"
    events = _admin_get(client, seed, f"/api/audit/events?contact={contact_id}")["events"]
    assert [(e["action"], e["actor_username"], e["result"]) for e in events] == [
        ("sync", "nurse_hc2", "unknown_contact")
    ]


def test_query_filters_and_csv(client: TestClient, seed: Seed) -> None:
    """Filters by user, unit, action and time; CSV has a header and escapes formulas."""
    _nurse_works_a_contact(client, seed)
    client.post("/api/staff/login", json={"username": "=HYPERLINK(1)", "password": "x"})
    login(client, seed["admin1"])
    by_user = client.get("/api/audit/events?user=nurse1&action=close").json()["events"]
    assert [e["action"] for e in by_user] == ["close"]
    by_unit = client.get("/api/audit/events?unit=hc2").json()["events"]
    assert by_unit == []
    future = client.get("/api/audit/events?from=2999-01-01").json()["events"]
    assert future == []
    r = client.get("/api/audit/events?action=login&format=csv")
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == [
        "seq",
        "at",
        "actor_user_id",
        "actor_username",
        "actor_role",
        "actor_units",
        "unit_id",
        "contact_id",
        "action",
        "result",
        "request_id",
        "detail",
    ]
    failed = [row for row in rows[1:] if row[9] == "invalid_credentials"]
    assert len(failed) == 1
    assert '"username":"\'=HYPERLINK(1)"' not in failed[0][11]  # detail is JSON, starts with {
    assert failed[0][11].startswith("{")
    bad = client.get("/api/audit/events?from=yesterday")
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_field")


def test_sample_and_extract(client: TestClient, seed: Seed) -> None:
    """The sample draws only staff accesses to contacts, reproducibly; the extract lists units."""
    contact_id = _nurse_works_a_contact(client, seed)
    login(client, seed["admin1"])
    first = client.get("/api/audit/sample?n=3&seed=7").json()
    again = client.get("/api/audit/sample?n=3&seed=7").json()
    assert first["seed"] == 7
    assert [e["seq"] for e in first["events"]] == [e["seq"] for e in again["events"]]
    assert len(first["events"]) == 3
    assert {e["contact_id"] for e in first["events"]} == {contact_id}
    extract = client.get(f"/api/audit/contacts/{contact_id}").json()
    assert extract["contact_id"] == contact_id
    assert [(a["units"], a["role"], a["action"]) for a in extract["accesses"]] == [
        (["hc1"], "nurse", a)
        for a in ("pick", "sync", "triage_override", "note", "transfer", "close")
    ]
    # Reviewing is itself audited.
    reviews = client.get("/api/audit/events?user=admin1").json()["events"]
    assert [e["action"] for e in reviews] == [
        "login",
        "audit_sample",
        "audit_sample",
        "audit_extract",
        "audit_query",
    ]


def test_verify_route(client: TestClient, seed: Seed) -> None:
    """The admin's verify route reports an intact chain with its count."""
    body = _admin_get(client, seed, "/api/audit/verify")
    assert body == {"ok": True, "count": 2, "bad_seq": None, "reason": None}


@pytest.fixture
def broken_audit(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit store fails every write (disk full, database gone)."""
    store = audit_log_of(state_of(client)).store

    async def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "append", fail)


def test_no_audit_no_sync(client: TestClient, seed: Seed, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the audit cannot be written, history and pick are refused (audit_unavailable)
    and the pick is undone."""
    contact_id = intake(client)["contact_id"]
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff") as ws:
        receive_until(ws, "welcome")
        store = audit_log_of(state_of(client)).store

        async def fail(*_: object) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(store, "append", fail)
        ws.send_json({"type": "sync", "contact_id": contact_id, "after_seq": 0})
        error = receive_until(ws, "error")
        assert (error["code"], error["message"]) == (
            "audit_unavailable",
            "the access cannot be logged right now and is refused",
        )
        ws.send_json({"type": "pick", "contact_id": contact_id})
        assert receive_until(ws, "error")["code"] == "audit_unavailable"
    # The pick is undone: the patient waits again, in its level's place (issue 17).
    picked = client.portal.call(state_of(client).storage.get_contact, contact_id)  # type: ignore[union-attr]
    assert picked is not None
    assert (picked.status, picked.assigned_user_id, picked.priority_tier) == ("queued", None, 1)


def test_no_audit_no_login(client: TestClient, seed: Seed, broken_audit: None) -> None:
    """A sign-in that cannot be audited is refused (503) and leaves no session."""
    nurse = seed["nurse1"]
    r = client.post(
        "/api/staff/login", json={"username": "nurse1", "password": PASSWORD, "otp": nurse.otp()}
    )
    assert (r.status_code, r.json()["error"]["code"]) == (503, "audit_unavailable")
    assert client.get("/api/staff/me").status_code == 401
