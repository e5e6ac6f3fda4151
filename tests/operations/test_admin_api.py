"""The administration API: access rules, units and rollout, queues and capacity,
users (create, disable, second factor, roles and units), canned responses."""

from __future__ import annotations

from typing import Any

import pyotp
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.helpers import ORIGIN, PASSWORD, Seed, intake_body, receive_until

from .util import Clock, sign_in

WS = {"origin": ORIGIN}


def close_code(ws: Any) -> int:
    """Read until the server closes the socket; its close code."""
    for _ in range(50):
        try:
            ws.receive_json()
        except WebSocketDisconnect as closed:
            return int(closed.code)
    raise AssertionError("the socket stayed open")


def test_admin_api_needs_an_admin(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """Anonymous: 401; a nurse: 403 (audited); an admin without CSRF token: 403 csrf_failed."""
    r = app_client.get("/api/admin/units")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "not_authenticated")
    sign_in(app_client, seed["nurse1"], clock)
    r = app_client.get("/api/admin/users")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    sign_in(app_client, seed["admin1"], clock)
    r = app_client.post("/api/admin/units", json={"id": "x", "name": "X"})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "csrf_failed")


def test_forbidden_attempt_is_audited(
    app_client: TestClient, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> None:
    """A non-admin knocking on the admin API leaves an audit event."""
    sign_in(app_client, seed["manager1"], clock)
    app_client.get("/api/admin/users")
    assert [
        (e["action"], e["user"], e["result"]) for e in audit_log if e["action"] == "admin_access"
    ] == [("admin_access", "manager1", "forbidden")]


def test_new_unit_is_pilot_until_switched_live(
    app_client: TestClient, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> None:
    """A unit made in the admin API starts as pilot (direct link only) and goes live on request."""
    admin = sign_in(app_client, seed["admin1"], clock)
    r = app_client.post(
        "/api/admin/units", json={"id": "hc9", "name": "Nya HC", "always_open": True}, headers=admin
    )
    assert r.status_code == 201, r.text
    assert (r.json()["rollout"], r.json()["queues"][0]["id"]) == ("pilot", "hc9:nurse")
    listed = [u["id"] for u in app_client.get("/api/units").json()]
    assert listed == ["hc1", "hc2"]
    assert [u["id"] for u in app_client.get("/api/units", params={"unit": "hc9"}).json()] == ["hc9"]
    assert app_client.post("/api/contacts", json=intake_body(unit_id="hc9")).status_code == 201
    r = app_client.patch("/api/admin/units/hc9", json={"rollout": "live"}, headers=admin)
    assert (r.status_code, r.json()["rollout"]) == (200, "live")
    assert [u["id"] for u in app_client.get("/api/units").json()] == ["hc1", "hc2", "hc9"]
    r = app_client.post("/api/admin/units", json={"id": "hc9", "name": "Igen"}, headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "already_exists")
    assert [
        (e["action"], e["unit_id"]) for e in audit_log if e["action"].startswith("admin_unit")
    ] == [("admin_unit_create", "hc9"), ("admin_unit_update", "hc9")]


def test_unit_input_is_validated(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """Bad ids, unknown fields and unknown units are 422 / 404, never 500."""
    admin = sign_in(app_client, seed["admin1"], clock)
    r = app_client.post("/api/admin/units", json={"id": "Bad Id", "name": "X"}, headers=admin)
    assert (r.status_code, list(r.json()["error"]["fields"])) == (422, ["id"])
    r = app_client.patch("/api/admin/units/hc1", json={"colour": "red"}, headers=admin)
    assert (r.status_code, list(r.json()["error"]["fields"])) == (422, ["colour"])
    r = app_client.patch("/api/admin/units/nope", json={"name": "X"}, headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_unit")
    r = app_client.post("/api/admin/units", content=b"[", headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_json")


def test_queue_capacity_set_in_admin_api(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """max_waiting 1: the second waiting contact gets 409 queue_full with alternatives."""
    admin = sign_in(app_client, seed["admin1"], clock)
    r = app_client.patch("/api/admin/queues/hc1:nurse", json={"max_waiting": 1}, headers=admin)
    assert (r.status_code, r.json()["max_waiting"]) == (200, 1)
    assert app_client.post("/api/contacts", json=intake_body()).status_code == 201
    r = app_client.post("/api/contacts", json=intake_body())
    assert r.status_code == 409
    err = r.json()["error"]
    assert (err["code"], [a["phone"] for a in err["alternatives"]]) == (
        "queue_full",
        ["112", "1177"],
    )
    r = app_client.patch("/api/admin/queues/hc1:nurse", json={"max_waiting": None}, headers=admin)
    assert r.json()["max_waiting"] is None
    assert app_client.post("/api/contacts", json=intake_body()).status_code == 201
    r = app_client.patch("/api/admin/queues/hc1:nurse", json={"max_waiting": 0}, headers=admin)
    assert (r.status_code, list(r.json()["error"]["fields"])) == (422, ["max_waiting"])


def test_add_queue(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """A doctor queue can be added once per unit; it shows in the unit listing."""
    admin = sign_in(app_client, seed["admin1"], clock)
    body = {"competence": "doctor", "name": "Läkare", "max_waiting": 5}
    r = app_client.post("/api/admin/units/hc1/queues", json=body, headers=admin)
    assert r.json() == {
        "id": "hc1:doctor",
        "unit_id": "hc1",
        "competence": "doctor",
        "name": "Läkare",
        "max_waiting": 5,
    }
    r = app_client.post("/api/admin/units/hc1/queues", json=body, headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "already_exists")
    units = {u["id"]: u for u in app_client.get("/api/admin/units").json()["units"]}
    assert [q["id"] for q in units["hc1"]["queues"]] == ["hc1:doctor", "hc1:nurse"]


def test_create_user_and_sign_in(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """A new account has no second factor the admin could see: the answer holds
    no otpauth URI, and the first sign-in must change the password."""
    admin = sign_in(app_client, seed["admin1"], clock)
    body = {
        "username": "nurse3",
        "display_name": "Nora Nurse",
        "role": "nurse",
        "units": ["hc1", "hc2"],
        "password": PASSWORD,
    }
    r = app_client.post("/api/admin/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    user = r.json()["user"]
    assert (user["username"], user["units"], user["second_factor"], user["disabled"]) == (
        "nurse3",
        ["hc1", "hc2"],
        False,
        False,
    )
    assert user["must_change_password"] is True
    assert "otpauth_uri" not in r.json()
    assert "otpauth" not in r.text
    again = app_client.post("/api/admin/users", json=body, headers=admin)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_exists")
    login = {"username": "nurse3", "password": PASSWORD}
    r = app_client.post("/api/staff/login", json=login)
    assert r.status_code == 200
    assert (r.json()["must_change_password"], r.json()["user"]["username"]) == (True, "nurse3")


def test_create_user_validation(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """Short password, unknown role or unknown unit: 422 naming the field."""
    admin = sign_in(app_client, seed["admin1"], clock)
    base = {"username": "u1", "role": "nurse", "units": ["hc1"], "password": PASSWORD}
    for change, field in (
        ({"password": "short"}, "password"),
        ({"role": "janitor"}, "role"),
        ({"units": ["nope"]}, "units"),
        ({"units": []}, "units"),
    ):
        r = app_client.post("/api/admin/users", json={**base, **change}, headers=admin)
        assert (r.status_code, list(r.json()["error"]["fields"])) == (422, [field])


def test_disabling_a_user_ends_their_sessions(
    app_client: TestClient, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> None:
    """Disable: the nurse's socket closes with 1008, the cookie stops working, sign-in fails."""
    nurse = seed["nurse1"]
    sign_in(app_client, nurse, clock)
    nurse_cookies = dict(app_client.cookies)
    with app_client.websocket_connect("/ws/staff", headers=WS) as staff:
        receive_until(staff, "welcome")
        admin = sign_in(app_client, seed["admin1"], clock)
        r = app_client.patch(f"/api/admin/users/{nurse.id}", json={"disabled": True}, headers=admin)
        assert r.status_code == 200, r.text
        assert (r.json()["user"]["disabled"], r.json()["sessions_ended"]) == (True, 1)
        assert close_code(staff) == 1008
    app_client.cookies.clear()
    for name, value in nurse_cookies.items():
        app_client.cookies.set(name, value)
    r = app_client.get("/api/staff/me")
    assert r.status_code == 401
    clock.advance(30)
    otp = pyotp.TOTP(nurse.otp_secret or "").at(clock())
    r = app_client.post(
        "/api/staff/login", json={"username": "nurse1", "password": PASSWORD, "otp": otp}
    )
    assert (r.status_code, r.json()["error"]["code"]) == (401, "invalid_credentials")
    assert [dict(e["detail"]) for e in audit_log if e["action"] == "admin_user_update"] == [
        {"user_id": nurse.id, "disabled": True, "sessions_ended": 1}
    ]


def test_admin_cannot_disable_or_demote_self(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """The last door: an admin cannot lock themselves out."""
    admin = sign_in(app_client, seed["admin1"], clock)
    me = seed["admin1"].id
    for body in ({"disabled": True}, {"role": "nurse"}):
        r = app_client.patch(f"/api/admin/users/{me}", json=body, headers=admin)
        assert (r.status_code, r.json()["error"]["code"]) == (409, "cannot_change_self")


def test_roles_and_units_change_and_end_sessions(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """A new role and units take effect at the next sign-in (sessions are ended)."""
    admin = sign_in(app_client, seed["admin1"], clock)
    uid = seed["nurse2"].id
    r = app_client.patch(
        f"/api/admin/users/{uid}", json={"role": "doctor", "units": ["hc2"]}, headers=admin
    )
    assert (r.json()["user"]["role"], r.json()["user"]["units"]) == ("doctor", ["hc2"])
    users = {u["username"]: u for u in app_client.get("/api/admin/users").json()["users"]}
    assert (users["nurse2"]["role"], users["nurse2"]["units"]) == ("doctor", ["hc2"])
    r = app_client.patch("/api/admin/users/9999", json={"role": "nurse"}, headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_user")


def test_reset_second_factor(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """A reset shows the admin no secret; it clears the second factor, so the
    next sign-in may do nothing but enrol a new one."""
    nurse = seed["nurse2"]
    admin = sign_in(app_client, seed["admin1"], clock)
    r = app_client.post(f"/api/admin/users/{nurse.id}/reset-second-factor", headers=admin)
    assert r.status_code == 200
    assert "otpauth" not in r.text
    app_client.cookies.clear()
    body = {"username": nurse.username, "password": PASSWORD}
    r = app_client.post("/api/staff/login", json=body)
    assert r.status_code == 200
    assert (r.json()["must_change_password"], r.json()["must_enrol_totp"]) == (False, True)
    r = app_client.get("/api/staff/sessions")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "totp_enrolment_required")


def test_canned_responses_through_admin(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """Admins manage a unit's canned responses with the canned-response store."""
    admin = sign_in(app_client, seed["admin1"], clock)
    body = {"title": "Egenvård", "body": "Vila och drick mycket."}
    r = app_client.post("/api/admin/units/hc2/canned", json=body, headers=admin)
    assert r.status_code == 201
    canned_id = r.json()["id"]
    listed = app_client.get("/api/admin/units/hc2/canned").json()["canned"]
    assert [(c["id"], c["title"]) for c in listed] == [(canned_id, "Egenvård")]
    r = app_client.delete(f"/api/admin/units/hc2/canned/{canned_id}", headers=admin)
    assert r.json() == {"deleted": canned_id}
    assert app_client.get("/api/admin/units/hc2/canned").json() == {"canned": []}
