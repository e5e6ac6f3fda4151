"""Presence counts a patient connection once, however many hellos it sends."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.helpers import intake, receive_until

from .test_sweeper import WS, contact, until
from .util import Clock, state_of, sweep


def test_resent_hello_counts_the_connection_once(app_client: TestClient, clock: Clock) -> None:
    """A second hello on the same socket: after it closes the patient is gone and is closed."""
    chat = intake(app_client)
    with app_client.websocket_connect("/ws/patient", headers=WS) as ws:
        for _ in range(2):
            ws.send_json({"type": "hello", "token": chat["patient_token"], "last_seq": 0})
            receive_until(ws, "welcome")
    presence = state_of(app_client).presence
    until(lambda: not presence.patient_connected(chat["contact_id"]))
    assert presence.patients_gone_longer_than(0) == [chat["contact_id"]]
    sweep(app_client, clock.advance(900))
    closed = contact(app_client, chat["contact_id"])
    assert (closed.status, closed.outcome) == ("closed", "patient_left")
