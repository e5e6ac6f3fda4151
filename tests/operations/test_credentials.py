"""Staff credentials (issue 20, point 4): password strength everywhere a
password is set, the forced first-sign-in change and TOTP self-enrolment,
usernames unique regardless of case, and a staff member's own sessions."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from chatserver.access.password_policy import WeakPassword
from chatserver.cli.common import add_user
from chatserver.cli.serve import seed_demo
from tests.helpers import ORIGIN, PASSWORD, Seed, receive_until

from .util import Clock, run, sign_in, state_of

WS = {"origin": ORIGIN}
NEW_PASSWORD = "lingon tundra kompass 42"


def close_code(ws: Any) -> int:
    for _ in range(50):
        try:
            ws.receive_json()
        except WebSocketDisconnect as closed:
            return int(closed.code)
    raise AssertionError("the socket stayed open")


def cookie(client: TestClient) -> str:
    value = client.cookies.get("chat_session")
    assert value is not None
    return value


def use_cookie(client: TestClient, value: str) -> None:
    client.cookies.clear()
    client.cookies.set("chat_session", value, domain="testserver.local")


def new_user(client: TestClient, admin: dict[str, str], **overrides: Any) -> Any:
    body = {
        "username": "nurse9",
        "display_name": "Stina Svensson",
        "role": "nurse",
        "units": ["hc1"],
        "password": PASSWORD,
        **overrides,
    }
    return client.post("/api/admin/users", json=body, headers=admin)


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("password1234", "common"),
        ("1234567890", "common"),
        ("qwertyuiop", "a keyboard row"),
        ("nurse9", "the username"),
        ("nurse9nurse9", "the username twice"),
        ("stinasvensson", "the display name"),
        ("Svensson2026", "the surname and a year"),
        ("kort1", "too short"),
    ],
)
def test_admin_create_refuses_weak_passwords(
    app_client: TestClient, seed: Seed, clock: Clock, password: str, why: str
) -> None:
    """422 weak_password with zxcvbn's feedback; the password is never echoed."""
    admin = sign_in(app_client, seed["admin1"], clock)
    r = new_user(app_client, admin, password=password)
    assert r.status_code == 422, why
    err = r.json()["error"]
    assert (err["code"], err["fields"], err["min_score"], err["min_length"]) == (
        "weak_password",
        {"password": "weak"},
        3,
        10,
    )
    assert set(err["feedback"]) == {"warning", "suggestions"}
    assert password not in r.text


def test_admin_password_reset_is_checked_and_forces_a_change(
    app_client: TestClient, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> None:
    nurse = seed["nurse1"]
    admin = sign_in(app_client, seed["admin1"], clock)
    url = f"/api/admin/users/{nurse.id}/reset-password"
    r = app_client.post(url, json={"password": "nurse1nurse1"}, headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "weak_password")
    r = app_client.post(url, json={"password": NEW_PASSWORD}, headers=admin)
    assert r.status_code == 200, r.text
    assert [e["detail"]["user_id"] for e in audit_log if e["action"] == "admin_user_reset_password"]
    app_client.cookies.clear()
    otp = pyotp.TOTP(nurse.otp_secret or "").at(clock())
    r = app_client.post(
        "/api/staff/login", json={"username": "nurse1", "password": NEW_PASSWORD, "otp": otp}
    )
    assert r.status_code == 200
    assert (r.json()["must_change_password"], r.json()["must_enrol_totp"]) == (True, False)


def test_cli_and_demo_accounts(app_client: TestClient, settings: Any) -> None:
    """The CLI's creation path refuses a weak password; the demo's generated
    passwords pass the same check."""
    storage = state_of(app_client).storage
    with pytest.raises(WeakPassword):
        run(app_client, add_user, storage, settings, "cli1", "cli1cli1", "nurse", ["hc1"])
    with pytest.raises(WeakPassword):
        run(app_client, add_user, storage, settings, "cli1", "password", "nurse", ["hc1"])
    lines = run(app_client, seed_demo, settings)
    assert len(lines) == 5, lines  # four accounts, then the statistics history
    assert all("password" in line for line in lines[:4]), lines
    assert lines[4].startswith("  statistics: 2700 chats of the last 90 days added"), lines


def test_first_sign_in_changes_password_then_enrols_totp(
    app_client: TestClient, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> None:
    admin = sign_in(app_client, seed["admin1"], clock)
    assert new_user(app_client, admin).status_code == 201
    app_client.cookies.clear()

    r = app_client.post("/api/staff/login", json={"username": "nurse9", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"user", "csrf_token", "must_change_password", "must_enrol_totp"}
    assert body["must_change_password"] is True
    csrf = {"x-csrf-token": body["csrf_token"]}
    # Nothing else until the password is changed.
    for call in (
        lambda: app_client.get("/api/staff/sessions"),
        lambda: app_client.get("/api/stats/channel-shift?unit=hc1&from=2026-11-01&to=2026-11-02"),
        lambda: app_client.post("/api/staff/totp/enrol", headers=csrf),
    ):
        r = call()
        assert (r.status_code, r.json()["error"]["code"]) == (403, "password_change_required")
    with app_client.websocket_connect("/ws/staff", headers=WS) as ws:
        assert close_code(ws) == 4403
    assert app_client.get("/api/staff/me").json()["must_change_password"] is True

    change = "/api/staff/password"
    r = app_client.post(
        change, json={"current_password": "wrong one", "new_password": NEW_PASSWORD}, headers=csrf
    )
    assert (r.status_code, r.json()["error"]["code"]) == (403, "wrong_current_password")
    r = app_client.post(
        change, json={"current_password": PASSWORD, "new_password": "Password1"}, headers=csrf
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "weak_password")
    assert r.json()["error"]["feedback"]["suggestions"]
    r = app_client.post(change, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "csrf_failed")
    r = app_client.post(
        change, json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}, headers=csrf
    )
    assert r.status_code == 200, r.text
    assert (r.json()["must_change_password"], r.json()["must_enrol_totp"]) == (False, True)

    r = app_client.get("/api/staff/sessions")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "totp_enrolment_required")
    r = app_client.post("/api/staff/totp/confirm", json={"otp": "123456"}, headers=csrf)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "no_enrolment")
    r = app_client.post("/api/staff/totp/enrol", headers=csrf)
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    secret = r.json()["secret"]
    assert pyotp.parse_uri(r.json()["otpauth_uri"]).secret == secret
    totp = pyotp.TOTP(secret)
    wrong = totp.at(clock() + 600)
    r = app_client.post("/api/staff/totp/confirm", json={"otp": wrong}, headers=csrf)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_otp")
    code = totp.at(clock())
    r = app_client.post("/api/staff/totp/confirm", json={"otp": code}, headers=csrf)
    assert r.status_code == 200, r.text
    assert (r.json()["must_change_password"], r.json()["must_enrol_totp"]) == (False, False)
    assert app_client.get("/api/staff/sessions").status_code == 200
    r = app_client.post("/api/staff/totp/enrol", headers=csrf)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "already_enrolled")

    # The next sign-in needs the new password and a code; the confirming code is spent.
    app_client.cookies.clear()
    login = {"username": "nurse9", "password": NEW_PASSWORD}
    assert app_client.post("/api/staff/login", json=login).json()["error"]["code"] == (
        "otp_required"
    )
    r = app_client.post("/api/staff/login", json={**login, "otp": code})
    assert r.status_code == 401
    clock.advance(30)
    r = app_client.post("/api/staff/login", json={**login, "otp": totp.at(clock())})
    assert r.status_code == 200
    assert (r.json()["must_change_password"], r.json()["must_enrol_totp"]) == (False, False)
    actions = [(e["action"], e["result"]) for e in audit_log if e["user"] == "nurse9"]
    for expected in (
        ("password_change", "wrong_password"),
        ("password_change", "ok"),
        ("totp_enrol", "started"),
        ("totp_enrol", "invalid_otp"),
        ("totp_enrol", "ok"),
    ):
        assert expected in actions


def test_usernames_are_unique_regardless_of_case(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    admin = sign_in(app_client, seed["admin1"], clock)
    r = new_user(app_client, admin, username="NURSE1")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "already_exists")
    nurse = seed["nurse1"]
    clock.advance(30)
    otp = pyotp.TOTP(nurse.otp_secret or "").at(clock())
    r = app_client.post(
        "/api/staff/login", json={"username": "Nurse1", "password": PASSWORD, "otp": otp}
    )
    assert r.status_code == 200
    assert r.json()["user"]["username"] == "nurse1"


def test_own_sessions_list_revoke_and_limit(
    app_client: TestClient, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> None:
    nurse = seed["nurse1"]
    state_of(app_client).settings.max_sessions_per_user = 3
    cookies, csrf = [], []
    for _ in range(3):
        app_client.cookies.clear()
        csrf.append(sign_in(app_client, nurse, clock))
        cookies.append(cookie(app_client))
        clock.advance(30)
    r = app_client.get("/api/staff/sessions")
    listed = r.json()["sessions"]
    assert (len(listed), r.json()["limit"]) == (3, 3)
    assert [s["current"] for s in listed] == [True, False, False]  # newest first
    ids = [s["id"] for s in listed]
    assert not any(c in i or i in c for c in cookies for i in ids)

    # The oldest session's socket closes when a fourth sign-in goes over the limit.
    use_cookie(app_client, cookies[0])
    with app_client.websocket_connect("/ws/staff", headers=WS) as ws:
        receive_until(ws, "welcome")
        app_client.cookies.clear()
        csrf.append(sign_in(app_client, nurse, clock))
        cookies.append(cookie(app_client))
        assert close_code(ws) == 1008
    use_cookie(app_client, cookies[0])
    assert app_client.get("/api/staff/me").status_code == 401

    # Revoke another of one's own sessions by its listed id.
    use_cookie(app_client, cookies[3])
    listed = app_client.get("/api/staff/sessions").json()["sessions"]
    assert len(listed) == 3
    victim = next(s["id"] for s in listed if not s["current"])
    r = app_client.delete(f"/api/staff/sessions/{victim}")
    assert r.status_code == 403  # CSRF
    r = app_client.delete(f"/api/staff/sessions/{victim}", headers=csrf[3])
    assert r.json() == {"status": "revoked", "current": False}
    assert len(app_client.get("/api/staff/sessions").json()["sessions"]) == 2
    r = app_client.delete(f"/api/staff/sessions/{victim}", headers=csrf[3])
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_session")
    assert [e["result"] for e in audit_log if e["action"] == "session_revoke"] == ["ok"]

    # Another user's session id is not found.
    app_client.cookies.clear()
    other = sign_in(app_client, seed["nurse2"], clock)
    theirs = app_client.get("/api/staff/sessions").json()["sessions"][0]["id"]
    use_cookie(app_client, cookies[3])
    r = app_client.delete(f"/api/staff/sessions/{theirs}", headers=csrf[3])
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_session")
    assert other
