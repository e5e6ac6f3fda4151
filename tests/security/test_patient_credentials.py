"""Patient credentials in time (issue 20, points 7 and 8): an emergency answer can
be acknowledged only within ``CHATSERVER_EMERGENCY_ACK_WINDOW_S``; a patient
token stops working ``CHATSERVER_PATIENT_TOKEN_AFTER_CLOSE_S`` after the close,
and at the purge; patient-facing triage reasons never quote the patient's text,
while staff still see the words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed, intake, intake_body, receive_until
from tests.operations.util import Clock, local, sign_in
from triage import screening

WS = {"origin": ORIGIN}
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
# Words of the patient's own text that the emergency rules quote in `matched`.
EMERGENCY_TEXT = "Jag har tryckande bröstsmärta som strålar ut i vänster arm och kallsvettas"


@pytest.fixture
def clock() -> Clock:
    return Clock(local(datetime(2026, 11, 24, 10, 0)))


def _client(settings: Settings, clock: Clock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        yield c


@pytest.fixture
def client(settings: Settings, seed: Seed, clock: Clock) -> Iterator[TestClient]:
    yield from _client(settings, clock)


def _emergency(client: TestClient, **overrides: Any) -> dict[str, Any]:
    r = client.post("/api/contacts", json=intake_body(age=62, text=EMERGENCY_TEXT, **overrides))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["status"] == "emergency"
    return body


def _acknowledge(client: TestClient, contact_id: str) -> Any:
    return client.post(
        "/api/contacts",
        json=intake_body(age=62, text="x", acknowledge_emergency=True, contact_id=contact_id),
    )


def _quotes(body: dict[str, Any]) -> list[str]:
    return [w for r in body["triage"]["reasons"] for w in r.get("matched", [])]


# -- point 7: the acknowledgement window ------------------------------------------------


def test_acknowledgement_within_the_window_queues_as_in_contract_v1(
    client: TestClient, clock: Clock
) -> None:
    advised = _emergency(client)
    clock.advance(30 * MINUTE)  # the window's last second still counts
    r = _acknowledge(client, advised["contact_id"])
    assert r.status_code == 201, r.text
    queued = r.json()
    assert queued["contact_id"] == advised["contact_id"]
    assert queued["status"] == "queued"
    assert queued["patient_token"]
    assert queued["queue"]["position"] == 1


def test_acknowledgement_after_the_window_is_refused(client: TestClient, clock: Clock) -> None:
    advised = _emergency(client)
    clock.advance(30 * MINUTE + 1)
    r = _acknowledge(client, advised["contact_id"])
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "acknowledgement_expired"
    assert "patient_token" not in r.text
    # Nothing was queued: a new chat is still possible.
    assert intake(client)["status"] == "queued"


def test_window_is_a_setting(settings: Settings, seed: Seed, clock: Clock) -> None:
    short = settings.model_copy(update={"emergency_ack_window_s": 120})
    for c in _client(short, clock):
        advised = _emergency(c)
        clock.advance(121)
        assert _acknowledge(c, advised["contact_id"]).status_code == 409


# -- point 7: no quotes of the patient's text in patient-facing replies -----------------


def test_patient_replies_name_reasons_without_quotes(
    client: TestClient, seed: Seed, clock: Clock
) -> None:
    advised = _emergency(client)
    assert advised["triage"]["reasons"], "the emergency reply still names its reasons"
    assert all(r["rule_id"] and r["level"] for r in advised["triage"]["reasons"])
    assert _quotes(advised) == []
    acked = _acknowledge(client, advised["contact_id"]).json()
    assert acked["triage"]["reasons"]
    assert _quotes(acked) == []
    for word in ("bröstsmärta", "kallsvettas", "arm"):
        assert word not in json.dumps(advised, ensure_ascii=False)
        assert word not in json.dumps(acked, ensure_ascii=False)
    # Staff still see the words that raised the level.
    sign_in(client, seed["nurse1"], clock)
    with client.websocket_connect("/ws/staff", headers=WS) as staff:
        receive_until(staff, "welcome")
        staff.send_json({"type": "pick", "contact_id": advised["contact_id"]})
        contact = receive_until(staff, "assigned")["contact"]
    assert [w for r in contact["triage"]["reasons"] for w in r["matched"]]


def test_a_screen_question_stays_in_the_reasons(client: TestClient) -> None:
    """A yes to the red-flag screen: the question (not the patient's words) is kept."""
    question = screening.screen(40)[0]
    r = client.post("/api/contacts", json=intake_body(answers={question.id: True}))
    assert r.status_code == 200
    reasons = r.json()["triage"]["reasons"]
    asked = [x for x in reasons if x.get("question") == question.id]
    assert asked
    assert asked[0]["matched"] == [question.text("sv")]


# -- point 8: patient tokens after close and after the purge ----------------------------


def _closed_chat(client: TestClient, seed: Seed, clock: Clock) -> str:
    made = intake(client)
    sign_in(client, seed["nurse1"], clock)
    with client.websocket_connect("/ws/staff", headers=WS) as staff:
        receive_until(staff, "welcome")
        staff.send_json({"type": "pick", "contact_id": made["contact_id"]})
        receive_until(staff, "assigned")
        staff.send_json(
            {"type": "close", "contact_id": made["contact_id"], "outcome": "resolved_in_chat"}
        )
        receive_until(staff, "closed")
    return str(made["patient_token"])


def _hello(client: TestClient, token: str) -> dict[str, Any] | int:
    """The welcome, or the close code when the socket is closed instead."""
    with client.websocket_connect("/ws/patient", headers=WS) as ws:
        ws.send_json({"type": "hello", "token": token, "last_seq": 0})
        try:
            frame: dict[str, Any] = ws.receive_json()
        except WebSocketDisconnect as closed:
            return closed.code
        return frame


def test_token_works_for_a_day_after_close(client: TestClient, seed: Seed, clock: Clock) -> None:
    token = _closed_chat(client, seed, clock)
    clock.advance(DAY - 1)
    welcome = _hello(client, token)
    assert isinstance(welcome, dict)
    assert welcome["type"] == "welcome"
    assert welcome["status"] == "closed"
    clock.advance(1)
    assert _hello(client, token) == 4401  # closed before any frame was sent
    # The survey takes the same credential.
    r = client.post("/api/contacts/survey", json={"token": token, "rating": 4})
    assert r.status_code == 401


def test_token_stops_at_the_purge(settings: Settings, seed: Seed, clock: Clock) -> None:
    long_lived = settings.model_copy(update={"patient_token_after_close_s": 10 * 365 * 86400})
    for c in _client(long_lived, clock):
        token = _closed_chat(c, seed, clock)
        clock.advance(181 * DAY)
        assert isinstance(_hello(c, token), dict)  # not purged yet: still opens
        admin = sign_in(c, seed["admin1"], clock)
        assert c.post("/api/admin/retention/run", headers=admin).json()["purged"] == 1
        assert _hello(c, token) == 4401


def test_an_open_chat_never_expires(client: TestClient, clock: Clock) -> None:
    token = intake(client)["patient_token"]
    clock.advance(3 * DAY)
    welcome = _hello(client, token)
    assert isinstance(welcome, dict)
    assert welcome["status"] == "queued"
