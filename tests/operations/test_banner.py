"""The disruption banner: publish, live push, welcome, page load, expiry, history."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.helpers import ORIGIN, Seed, intake, receive_until

from .util import Clock, sign_in, sweep

WS = {"origin": ORIGIN}
BANNER = {
    "severity": "warning",
    "message_sv": "Chatten är långsam just nu.",
    "message_en": "The chat is slow right now.",
}


def test_banner_pushed_live_to_patients_and_staff(
    app_client: TestClient, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> None:
    """A published banner reaches every connected patient and staff client at once."""
    token = intake(app_client)["patient_token"]
    sign_in(app_client, seed["nurse1"], clock)
    with (
        app_client.websocket_connect("/ws/patient", headers=WS) as patient,
        app_client.websocket_connect("/ws/staff", headers=WS) as staff,
    ):
        patient.send_json({"type": "hello", "token": token, "last_seq": 0})
        assert receive_until(patient, "welcome")["banner"] is None
        assert receive_until(staff, "welcome")["banner"] is None
        admin = sign_in(app_client, seed["admin1"], clock)
        r = app_client.post("/api/admin/banners", json=BANNER, headers=admin)
        assert r.status_code == 201, r.text
        published = r.json()
        expected = {
            "id": published["id"],
            "severity": "warning",
            "message": {"sv": "Chatten är långsam just nu.", "en": "The chat is slow right now."},
            "created_at": clock(),
            "ends_at": None,
            "ended_at": None,
        }
        assert published == expected
        assert receive_until(patient, "banner") == {"type": "banner", "banner": expected}
        assert receive_until(staff, "banner") == {"type": "banner", "banner": expected}
        r = app_client.post(f"/api/admin/banners/{published['id']}/end", headers=admin)
        assert r.status_code == 200
        assert receive_until(patient, "banner") == {"type": "banner", "banner": None}
        assert receive_until(staff, "banner") == {"type": "banner", "banner": None}
    actions = [e["action"] for e in audit_log if e["action"].startswith("banner")]
    assert actions == ["banner_publish", "banner_end"]


def test_banner_on_page_load_and_in_welcome(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """GET /api/banner (no sign-in) and a later welcome carry the active banner."""
    admin = sign_in(app_client, seed["admin1"], clock)
    banner = app_client.post("/api/admin/banners", json=BANNER, headers=admin).json()
    app_client.cookies.clear()
    assert app_client.get("/api/banner").json() == {"banner": banner}
    token = intake(app_client)["patient_token"]
    with app_client.websocket_connect("/ws/patient", headers=WS) as patient:
        patient.send_json({"type": "hello", "token": token, "last_seq": 0})
        assert receive_until(patient, "welcome")["banner"] == banner


def test_banner_expires_at_its_end_time(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """A banner with ends_at disappears when the sweeper passes that time, with a push."""
    token = intake(app_client)["patient_token"]
    admin = sign_in(app_client, seed["admin1"], clock)
    body = {**BANNER, "ends_at": "2026-11-24T11:00:00"}  # Stockholm time
    r = app_client.post("/api/admin/banners", json=body, headers=admin)
    assert r.json()["ends_at"] == clock() + 3600
    with app_client.websocket_connect("/ws/patient", headers=WS) as patient:
        patient.send_json({"type": "hello", "token": token, "last_seq": 0})
        assert receive_until(patient, "welcome")["banner"]["id"] == r.json()["id"]
        sweep(app_client, clock.advance(3599))
        assert app_client.get("/api/banner").json()["banner"]["id"] == r.json()["id"]
        sweep(app_client, clock.advance(1))
        assert receive_until(patient, "banner") == {"type": "banner", "banner": None}
    assert app_client.get("/api/banner").json() == {"banner": None}


def test_new_banner_replaces_old_and_history_is_kept(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """Publishing ends the previous banner; the history lists both, newest first."""
    admin = sign_in(app_client, seed["admin1"], clock)
    first = app_client.post("/api/admin/banners", json=BANNER, headers=admin).json()
    clock.advance(60)
    second_body = {"severity": "critical", "message_sv": "Chatten är stängd p.g.a. fel."}
    second = app_client.post("/api/admin/banners", json=second_body, headers=admin).json()
    assert second["message"] == {
        "sv": "Chatten är stängd p.g.a. fel.",
        "en": "Chatten är stängd p.g.a. fel.",
    }
    listing = app_client.get("/api/admin/banners").json()
    assert listing["active"] == second
    assert [b["id"] for b in listing["history"]] == [second["id"], first["id"]]
    assert listing["history"][1]["ended_at"] == clock()


def test_banner_input_is_validated(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """Unknown severity, an empty message or a past end time are 422; unknown id is 404."""
    admin = sign_in(app_client, seed["admin1"], clock)
    for body, field in (
        ({**BANNER, "severity": "panic"}, "severity"),
        ({**BANNER, "message_sv": ""}, "message_sv"),
        ({**BANNER, "ends_at": "2026-11-24T09:00:00"}, "ends_at"),
        ({**BANNER, "ends_at": "tomorrow"}, "ends_at"),
    ):
        r = app_client.post("/api/admin/banners", json=body, headers=admin)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_field")
        assert field in r.json()["error"]["fields"]
    r = app_client.post("/api/admin/banners/999/end", headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_banner")
