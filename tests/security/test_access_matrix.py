"""Role × action × own/other unit: who may touch which contact, on the socket and over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import Seed, intake, login
from tests.security.conftest import state_of

ANSWERS = {"assigned", "history", "closed", "transferred", "note", "triage", "ack", "error"}


def _frame(action: str, contact_id: str) -> dict[str, Any]:
    return {
        "pick": {"type": "pick", "contact_id": contact_id},
        "sync": {"type": "sync", "contact_id": contact_id, "after_seq": 0},
        "close": {"type": "close", "contact_id": contact_id, "outcome": "resolved_in_chat"},
        "transfer": {"type": "transfer", "contact_id": contact_id, "queue": "nurse"},
        "note": {"type": "note", "contact_id": contact_id, "body": "intern anteckning"},
        "override": {
            "type": "override",
            "contact_id": contact_id,
            "level": "urgent",
            "reason": "klinisk bedömning",
        },
        "message": {
            "type": "message",
            "contact_id": contact_id,
            "client_id": "m1",
            "body": "Hej, jag heter Nina.",
        },
    }[action]


def _answer(ws: Any) -> str:
    for _ in range(30):
        frame = ws.receive_json()
        if frame["type"] in ANSWERS:
            return str(frame["code"] if frame["type"] == "error" else frame["type"])
    raise AssertionError("no answer")


OWN = {
    "pick": "assigned",
    "sync": "history",
    "close": "closed",
    "transfer": "transferred",
    "note": "note",
    "override": "triage",
    "message": "ack",
}
OTHER = dict.fromkeys(OWN, "unknown_contact")
NON_CLINICAL = {**OTHER, "pick": "forbidden"}

EXPECTED = {
    "nurse1": {"hc1": OWN, "hc2": OTHER},
    "doctor1": {"hc1": OWN, "hc2": OTHER},
    "nurse_hc2": {"hc1": OTHER, "hc2": OWN},
    "manager1": {"hc1": NON_CLINICAL, "hc2": NON_CLINICAL},
    "admin1": {"hc1": NON_CLINICAL, "hc2": NON_CLINICAL},
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_socket_actions(client: TestClient, seed: Seed, username: str) -> None:
    """Clinicians act only on their own units' contacts; managers and admins on none."""
    login(client, seed[username])
    got: dict[str, dict[str, str]] = {}
    with client.websocket_connect("/ws/staff") as ws:
        assert ws.receive_json()["type"] == "welcome"
        for unit in ("hc1", "hc2"):
            got[unit] = {}
            for action in OWN:
                state_of(client).limits.storage.reset()  # intake's per-address limit
                contact_id = intake(client, unit_id=unit)["contact_id"]
                if action == "message":
                    ws.send_json(_frame("pick", contact_id))
                    _answer(ws)
                ws.send_json(_frame(action, contact_id))
                got[unit][action] = _answer(ws)
    assert got == EXPECTED[username]


ROUTES = ("/api/audit/events", "/api/audit/sample", "/api/audit/verify", "/api/audit/contacts/x")


@pytest.mark.parametrize(
    ("username", "status"),
    [("nurse1", 403), ("doctor1", 403), ("manager1", 403), ("admin1", 200), ("nurse_hc2", 403)],
)
def test_audit_review_is_for_admins(
    client: TestClient, seed: Seed, username: str, status: int
) -> None:
    """Only admins reach the log review; everyone else gets 403 forbidden."""
    login(client, seed[username])
    assert [client.get(r).status_code for r in ROUTES] == [status] * len(ROUTES)


def test_audit_review_needs_a_session(client: TestClient) -> None:
    """Without a session the log review answers 401."""
    assert [client.get(r).status_code for r in ROUTES] == [401] * len(ROUTES)
