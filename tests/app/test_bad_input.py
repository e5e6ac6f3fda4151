"""Bad input, table-driven: every malformed HTTP body and WebSocket frame gets
its documented error code, never a 500 or a crash, and a control connection
opened beforehand keeps working."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.helpers import ORIGIN, Seed, intake, intake_body, login, receive_until

WS = {"origin": ORIGIN}
BIG = "x" * 70_000


def _body(**changes: Any) -> bytes:
    body = intake_body()
    for k, v in changes.items():
        if v is ...:
            body.pop(k)
        else:
            body[k] = v
    return orjson.dumps(body)


HTTP_CASES: list[tuple[str, str, str, bytes, dict[str, str], int, str]] = [
    # (id, method, path, body, headers, status, code)
    ("not-json", "POST", "/api/contacts", b"{nope", {}, 422, "invalid_json"),
    ("empty-body", "POST", "/api/contacts", b"", {}, 422, "invalid_json"),
    ("json-array", "POST", "/api/contacts", b"[1,2]", {}, 422, "invalid_body"),
    ("json-string", "POST", "/api/contacts", b'"hej"', {}, 422, "invalid_body"),
    ("json-null", "POST", "/api/contacts", b"null", {}, 422, "invalid_body"),
    ("missing-unit", "POST", "/api/contacts", _body(unit_id=...), {}, 422, "invalid_field"),
    ("missing-text", "POST", "/api/contacts", _body(text=...), {}, 422, "invalid_field"),
    ("missing-age", "POST", "/api/contacts", _body(age=...), {}, 422, "invalid_field"),
    ("missing-name", "POST", "/api/contacts", _body(name=...), {}, 422, "invalid_field"),
    ("age-string", "POST", "/api/contacts", _body(age="40"), {}, 422, "invalid_field"),
    ("age-bool", "POST", "/api/contacts", _body(age=True), {}, 422, "invalid_field"),
    ("age-float", "POST", "/api/contacts", _body(age=40.5), {}, 422, "invalid_field"),
    ("age-negative", "POST", "/api/contacts", _body(age=-1), {}, 422, "invalid_field"),
    ("age-121", "POST", "/api/contacts", _body(age=121), {}, 422, "invalid_field"),
    ("text-empty", "POST", "/api/contacts", _body(text=""), {}, 422, "invalid_field"),
    ("text-blank", "POST", "/api/contacts", _body(text="   "), {}, 422, "invalid_field"),
    ("text-2001", "POST", "/api/contacts", _body(text="a" * 2001), {}, 422, "invalid_field"),
    ("lang-de", "POST", "/api/contacts", _body(lang="de"), {}, 422, "invalid_field"),
    (
        "would-otherwise",
        "POST",
        "/api/contacts",
        _body(would_otherwise="x"),
        {},
        422,
        "invalid_field",
    ),
    ("unit-object", "POST", "/api/contacts", _body(unit_id={"a": 1}), {}, 422, "invalid_field"),
    (
        "ack-string",
        "POST",
        "/api/contacts",
        _body(acknowledge_emergency="yes"),
        {},
        422,
        "invalid_field",
    ),
    ("unknown-unit", "POST", "/api/contacts", _body(unit_id="nowhere"), {}, 404, "unknown_unit"),
    (
        "ack-unknown-contact",
        "POST",
        "/api/contacts",
        _body(acknowledge_emergency=True, contact_id="0" * 32),
        {},
        404,
        "unknown_contact",
    ),
    ("too-large", "POST", "/api/contacts", BIG.encode(), {}, 413, "body_too_large"),
    ("login-not-json", "POST", "/api/staff/login", b"<xml/>", {}, 422, "invalid_json"),
    ("login-array", "POST", "/api/staff/login", b"[]", {}, 422, "invalid_body"),
    (
        "login-missing-password",
        "POST",
        "/api/staff/login",
        b'{"username": "nurse1"}',
        {},
        422,
        "invalid_field",
    ),
    (
        "login-otp-number",
        "POST",
        "/api/staff/login",
        b'{"username": "nurse1", "password": "x", "otp": 123456}',
        {},
        422,
        "invalid_field",
    ),
    (
        "login-wrong-password",
        "POST",
        "/api/staff/login",
        b'{"username": "nurse1", "password": "wrong"}',
        {},
        401,
        "invalid_credentials",
    ),
    (
        "login-unknown-user",
        "POST",
        "/api/staff/login",
        b'{"username": "nobody", "password": "wrong"}',
        {},
        401,
        "invalid_credentials",
    ),
    ("logout-no-session", "POST", "/api/staff/logout", b"", {}, 401, "not_authenticated"),
    ("unknown-route", "GET", "/api/nothing-here", b"", {}, 404, "not_found"),
    ("wrong-method", "PUT", "/api/contacts", b"{}", {}, 405, "method_not_allowed"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "code"),
    [pytest.param(*c[1:], id=c[0]) for c in HTTP_CASES],
)
def test_http_bad_input(
    client: TestClient,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    """The documented status and error code; the service keeps serving others."""
    control = intake(client)
    with client.websocket_connect("/ws/patient", headers=WS) as ctl:
        ctl.send_json({"type": "hello", "token": control["patient_token"], "last_seq": 0})
        ctl.receive_json()
        r = client.request(
            method, path, content=body, headers={"content-type": "application/json", **headers}
        )
        assert r.status_code == status
        assert r.json()["error"]["code"] == code
        assert isinstance(r.json()["error"]["message"], str)
        ctl.send_json({"type": "message", "client_id": "ctl", "body": "still here"})
        assert receive_until(ctl, "ack")["seq"] == 1


def test_logout_without_csrf(client: TestClient, seed: Seed) -> None:
    """A state-changing staff request without X-CSRF-Token is refused (403 csrf_failed)."""
    login(client, seed["nurse1"])
    r = client.post("/api/staff/logout")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"


PATIENT_FRAMES: list[tuple[str, str | bytes, str]] = [
    ("json-array", "[1, 2, 3]", "invalid_message"),
    ("json-number", "42", "invalid_message"),
    ("no-type", '{"body": "hej"}', "invalid_message"),
    ("type-number", '{"type": 7}', "invalid_message"),
    ("not-json", "hello there", "invalid_json"),
    ("truncated-json", '{"type": "message", "client_id": "a"', "invalid_json"),
    ("binary-garbage", b"\xff\xfe\x00", "invalid_json"),
    ("unknown-type", '{"type": "teleport"}', "unknown_type"),
    ("staff-only-type", '{"type": "pick"}', "unknown_type"),
    ("message-no-client-id", '{"type": "message", "body": "hej"}', "invalid_field"),
    ("message-no-body", '{"type": "message", "client_id": "a"}', "invalid_field"),
    ("message-empty-body", '{"type": "message", "client_id": "a", "body": ""}', "invalid_field"),
    (
        "message-body-4001",
        orjson.dumps({"type": "message", "client_id": "a", "body": "b" * 4001}).decode(),
        "invalid_field",
    ),
    (
        "client-id-65",
        orjson.dumps({"type": "message", "client_id": "c" * 65, "body": "b"}).decode(),
        "invalid_field",
    ),
    ("client-id-number", '{"type": "message", "client_id": 5, "body": "b"}', "invalid_field"),
    ("body-object", '{"type": "message", "client_id": "a", "body": {"x": 1}}', "invalid_field"),
    ("sync-negative", '{"type": "sync", "after_seq": -1}', "invalid_field"),
    ("sync-string", '{"type": "sync", "after_seq": "3"}', "invalid_field"),
    ("sync-other-contact", '{"type": "sync", "after_seq": 0, "contact_id": "abc"}', "forbidden"),
    (
        "hello-other-token",
        '{"type": "hello", "token": "someone-else", "last_seq": 0}',
        "invalid_field",
    ),
]


@pytest.fixture
def patient_pair(client: TestClient) -> Iterator[tuple[Any, Any]]:
    """A patient socket under test and a control patient socket, both welcomed."""
    a, b = intake(client), intake(client, name="Kontroll")
    with (
        client.websocket_connect("/ws/patient", headers=WS) as ws,
        client.websocket_connect("/ws/patient", headers=WS) as ctl,
    ):
        for sock, c in ((ws, a), (ctl, b)):
            sock.send_json({"type": "hello", "token": c["patient_token"], "last_seq": 0})
            assert sock.receive_json()["type"] == "welcome"
        yield ws, ctl


@pytest.mark.parametrize(("raw", "code"), [pytest.param(*c[1:], id=c[0]) for c in PATIENT_FRAMES])
def test_patient_bad_frames(patient_pair: tuple[Any, Any], raw: str | bytes, code: str) -> None:
    """Error frame with the documented code; the socket and the control socket stay usable."""
    ws, ctl = patient_pair
    if isinstance(raw, bytes):
        ws.send_bytes(raw)
    else:
        ws.send_text(raw)
    err = receive_until(ws, "error")
    assert err["code"] == code
    ws.send_json({"type": "message", "client_id": "after", "body": "fortfarande här"})
    assert receive_until(ws, "ack")["seq"] == 1
    ctl.send_json({"type": "message", "client_id": "ctl", "body": "kontroll"})
    assert receive_until(ctl, "ack")["seq"] == 1


def test_frames_before_hello(client: TestClient) -> None:
    """Before hello: garbage and other types get errors; a bad token closes with 4401."""
    with client.websocket_connect("/ws/patient", headers=WS) as ws:
        ws.send_text("garbage")
        assert ws.receive_json()["code"] == "invalid_json"
        ws.send_json({"type": "message", "client_id": "a", "body": "x"})
        assert ws.receive_json()["code"] == "hello_required"
        ws.send_json({"type": "hello", "token": "not-a-token", "last_seq": 0})
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
        assert info.value.code == 4401


@pytest.fixture
def staff_ctx(client: TestClient, seed: Seed) -> Iterator[tuple[Any, dict[str, Any], Any]]:
    """nurse1's socket, one contact waiting in hc1, and a control patient socket."""
    waiting = intake(client)
    control = intake(client, name="Kontroll")
    login(client, seed["nurse1"])
    with (
        client.websocket_connect("/ws/staff", headers=WS) as s,
        client.websocket_connect("/ws/patient", headers=WS) as ctl,
    ):
        s.receive_json()
        ctl.send_json({"type": "hello", "token": control["patient_token"], "last_seq": 0})
        ctl.receive_json()
        yield s, waiting, ctl


STAFF_FRAMES: list[tuple[str, dict[str, Any], str]] = [
    ("message-no-contact", {"type": "message", "client_id": "a", "body": "x"}, "invalid_field"),
    (
        "message-unpicked",
        {"type": "message", "client_id": "a", "body": "x", "contact_id": "{waiting}"},
        "not_assigned",
    ),
    (
        "message-unknown-contact",
        {"type": "message", "client_id": "a", "body": "x", "contact_id": "f" * 32},
        "unknown_contact",
    ),
    ("sync-no-contact", {"type": "sync", "after_seq": 0}, "invalid_field"),
    ("typing-no-contact", {"type": "typing"}, "invalid_field"),
    ("pick-unknown-queue", {"type": "pick", "queue": "hc9:nurse"}, "unknown_queue"),
    ("pick-other-unit-queue", {"type": "pick", "queue": "hc2:nurse"}, "unknown_queue"),
    (
        "close-bad-outcome",
        {"type": "close", "contact_id": "{waiting}", "outcome": "cured"},
        "invalid_field",
    ),
    ("close-no-outcome", {"type": "close", "contact_id": "{waiting}"}, "invalid_field"),
    (
        "transfer-unknown-queue",
        {"type": "transfer", "contact_id": "{waiting}", "queue": "psychic"},
        "unknown_queue",
    ),
    (
        "override-bad-level",
        {"type": "override", "contact_id": "{waiting}", "level": "meh", "reason": "x"},
        "invalid_field",
    ),
    ("note-empty", {"type": "note", "contact_id": "{waiting}", "body": ""}, "invalid_field"),
    ("leave-is-patient-only", {"type": "leave"}, "unknown_type"),
]


@pytest.mark.parametrize(("frame", "code"), [pytest.param(*c[1:], id=c[0]) for c in STAFF_FRAMES])
def test_staff_bad_frames(
    staff_ctx: tuple[Any, dict[str, Any], Any], frame: dict[str, Any], code: str
) -> None:
    """Staff frames that are malformed or not allowed get their code; others unaffected."""
    s, waiting, ctl = staff_ctx
    filled = {k: (waiting["contact_id"] if v == "{waiting}" else v) for k, v in frame.items()}
    s.send_json(filled)
    assert receive_until(s, "error")["code"] == code
    s.send_json({"type": "ping"})
    assert receive_until(s, "pong") == {"type": "pong"}
    ctl.send_json({"type": "message", "client_id": "ctl", "body": "kontroll"})
    assert receive_until(ctl, "ack")["seq"] == 1


def test_pick_empty_and_close_twice(staff_ctx: tuple[Any, dict[str, Any], Any]) -> None:
    """pick with nothing waiting → queue_empty; close twice → contact_closed."""
    s, waiting, _ = staff_ctx
    s.send_json({"type": "pick"})
    receive_until(s, "assigned")
    s.send_json({"type": "pick"})
    receive_until(s, "assigned")
    s.send_json({"type": "pick"})
    assert receive_until(s, "error")["code"] == "queue_empty"
    s.send_json({"type": "close", "contact_id": waiting["contact_id"], "outcome": "no_response"})
    assert receive_until(s, "closed")["outcome"] == "no_response"
    s.send_json({"type": "close", "contact_id": waiting["contact_id"], "outcome": "no_response"})
    assert receive_until(s, "error")["code"] == "contact_closed"


def test_other_units_contact_is_invisible(client: TestClient, seed: Seed) -> None:
    """A nurse of hc2 cannot read, write to or pick a contact of hc1."""
    contact = intake(client)
    login(client, seed["nurse_hc2"])
    with client.websocket_connect("/ws/staff", headers=WS) as s:
        assert [q["id"] for q in s.receive_json()["queues"]] == ["hc2:nurse"]
        cid = contact["contact_id"]
        for frame in (
            {"type": "sync", "after_seq": 0, "contact_id": cid},
            {"type": "message", "client_id": "x", "body": "hej", "contact_id": cid},
            {"type": "pick", "contact_id": cid},
            {"type": "close", "contact_id": cid, "outcome": "no_response"},
        ):
            s.send_json(frame)
            assert receive_until(s, "error")["code"] == "unknown_contact"
        s.send_json({"type": "pick"})
        assert receive_until(s, "error")["code"] == "queue_empty"


def test_staff_socket_without_session(client: TestClient) -> None:
    """No session cookie: the staff socket closes with 4401."""
    with (
        client.websocket_connect("/ws/staff", headers=WS) as s,
        pytest.raises(WebSocketDisconnect) as info,
    ):
        s.receive_json()
    assert info.value.code == 4401
