"""Opening hours at the door: /api/units, the intake gate, admin-set hours."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.testclient import TestClient

from chatserver.cli.common import add_unit
from tests.helpers import ORIGIN, Seed, intake_body, receive_until

from .util import Clock, local, run, sign_in, state_of

ALTERNATIVE_PHONES = ["112", "1177"]


def add_hc3(client: TestClient) -> None:
    """A unit with no --always-open and no hours configured: the default hours."""
    run(client, add_unit, state_of(client).storage, "hc3", "Hälsocentralen Tre", always_open=False)


def unit(client: TestClient, unit_id: str) -> dict[str, Any]:
    r = client.get("/api/units", params={"unit": unit_id})
    assert r.status_code == 200
    (found,) = r.json()
    return dict(found)


def test_units_show_open_and_next_change(app_client: TestClient) -> None:
    """/api/units: default hours give open + next change; always-open units never change."""
    add_hc3(app_client)
    hc3 = unit(app_client, "hc3")
    assert hc3 == {
        "id": "hc3",
        "name": "Hälsocentralen Tre",
        "rollout": "live",
        "identification": "none",
        # No SMS gateway configured (chatserver/notify): no phone field at intake.
        "sms": False,
        "open": True,
        "always_open": False,
        "hours_configured": False,
        "next_change": "2026-11-24T16:45:00+01:00",
        "next_open": "2026-11-25T08:00:00+01:00",
    }
    hc1 = unit(app_client, "hc1")
    assert (hc1["open"], hc1["always_open"], hc1["next_change"]) == (True, True, None)


def test_intake_refused_outside_hours(app_client: TestClient, clock: Clock) -> None:
    """After the intake stop: 409 unit_closed with the next opening and 1177/112."""
    add_hc3(app_client)
    clock.set(local(datetime(2026, 11, 24, 16, 50)))
    r = app_client.post("/api/contacts", json=intake_body(unit_id="hc3"))
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "unit_closed"
    assert err["next_open"] == "2026-11-25T08:00:00+01:00"
    assert [a["phone"] for a in err["alternatives"]] == ALTERNATIVE_PHONES
    assert unit(app_client, "hc3")["open"] is False


def test_always_open_unit_ignores_hours(app_client: TestClient, clock: Clock) -> None:
    """A unit created with --always-open takes chats on a Saturday night."""
    clock.set(local(datetime(2026, 11, 28, 3, 0)))
    r = app_client.post("/api/contacts", json=intake_body(unit_id="hc1"))
    assert r.status_code == 201


def test_ongoing_chat_continues_after_intake_stop(app_client: TestClient, clock: Clock) -> None:
    """A chat started before the intake stop goes on; only new chats are refused."""
    add_hc3(app_client)
    clock.set(local(datetime(2026, 11, 24, 16, 40)))
    r = app_client.post("/api/contacts", json=intake_body(unit_id="hc3"))
    assert r.status_code == 201
    token = r.json()["patient_token"]
    clock.set(local(datetime(2026, 11, 24, 17, 30)))
    with app_client.websocket_connect("/ws/patient", headers={"origin": ORIGIN}) as ws:
        ws.send_json({"type": "hello", "token": token, "last_seq": 0})
        assert receive_until(ws, "welcome")["status"] == "queued"
        ws.send_json({"type": "message", "client_id": "m1", "body": "Är ni kvar?"})
        ack = receive_until(ws, "ack")
        assert (ack["client_id"], ack["seq"]) == ("m1", 1)
    r = app_client.post("/api/contacts", json=intake_body(unit_id="hc3"))
    assert r.json()["error"]["code"] == "unit_closed"


def test_admin_hours_and_exceptions_drive_the_gate(
    app_client: TestClient, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> None:
    """Hours set by an admin (a closed day) close intake; removing them restores the default."""
    add_hc3(app_client)
    headers = sign_in(app_client, seed["admin1"], clock)
    doc = {
        "weekly": {"mon": [["08:00", "17:00"]], "tue": [["08:00", "17:00"]]},
        "exceptions": {"2026-11-24": []},
        "intake_stop_min": 30,
    }
    r = app_client.put("/api/admin/units/hc3/hours", json=doc, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["configured"], body["open"], body["next_open"]) == (
        True,
        False,
        "2026-11-30T08:00:00+01:00",
    )
    assert body["hours"]["exceptions"] == {"2026-11-24": []}
    r = app_client.post("/api/contacts", json=intake_body(unit_id="hc3"))
    assert (r.status_code, r.json()["error"]["next_open"]) == (409, "2026-11-30T08:00:00+01:00")
    r = app_client.delete("/api/admin/units/hc3/hours", headers=headers)
    assert (r.status_code, r.json()["configured"], r.json()["open"]) == (200, False, True)
    assert app_client.post("/api/contacts", json=intake_body(unit_id="hc3")).status_code == 201
    actions = [e["action"] for e in audit_log if e["action"].startswith("admin_hours")]
    assert actions == ["admin_hours_set", "admin_hours_default"]


def test_bad_hours_are_422(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """An invalid schedule is refused with invalid_field; nothing changes."""
    add_hc3(app_client)
    headers = sign_in(app_client, seed["admin1"], clock)
    r = app_client.put(
        "/api/admin/units/hc3/hours", json={"weekly": {"mon": [["9", "5"]]}}, headers=headers
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_field")
    assert unit(app_client, "hc3")["hours_configured"] is False
