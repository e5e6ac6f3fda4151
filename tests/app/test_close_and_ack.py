"""Issue 21 points 5 and 6: a close that names what the nurse has seen, and the
server's ``sent_at`` in every ``ack``."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.helpers import ORIGIN, Seed, intake, login, receive_until

WS = {"origin": ORIGIN}


def hello(ws: Any, token: str) -> dict[str, Any]:
    ws.send_json({"type": "hello", "token": token, "last_seq": 0})
    return receive_until(ws, "welcome")


def picked(s: Any) -> str:
    receive_until(s, "welcome")
    s.send_json({"type": "pick"})
    return str(receive_until(s, "assigned")["contact"]["contact_id"])


def send(ws: Any, client_id: str, body: str, contact_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "message", "client_id": client_id, "body": body}
    if contact_id is not None:
        frame["contact_id"] = contact_id
    ws.send_json(frame)
    return receive_until(ws, "ack")


def close(s: Any, contact_id: str, **extra: Any) -> None:
    s.send_json({"type": "close", "contact_id": contact_id, "outcome": "resolved_in_chat", **extra})


def test_close_with_an_unseen_patient_message_is_refused_and_shows_it(
    client: TestClient, seed: Seed
) -> None:
    contact = intake(client)
    login(client, seed["nurse1"])
    with (
        client.websocket_connect("/ws/patient", headers=WS) as p,
        client.websocket_connect("/ws/staff", headers=WS) as s,
    ):
        hello(p, contact["patient_token"])
        cid = picked(s)
        send(p, "p-1", "Hej")
        assert receive_until(s, "message")["seq"] == 1
        send(s, "s-1", "Hej, hur mår du?", cid)
        send(p, "p-2", "Sämre, och nu har jag feber")  # the nurse has not seen this one
        close(s, cid, last_seen_seq=2)
        # The unseen messages come first (a history from last_seen_seq on), then the refusal.
        history = receive_until(s, "history")
        assert history["contact_id"] == cid
        assert [(m["seq"], m["body"]) for m in history["messages"]] == [
            (3, "Sämre, och nu har jag feber")
        ]
        error = receive_until(s, "error")
        assert error["code"] == "unseen_messages"
        assert (error["contact_id"], error["newest_seq"]) == (cid, 3)
        # Nothing was closed: the patient can still write, and after seeing it the nurse closes.
        assert send(p, "p-3", "Hallå?")["seq"] == 4
        close(s, cid, last_seen_seq=4)
        assert receive_until(s, "closed")["contact_id"] == cid
        assert receive_until(p, "closed")["outcome"] == "resolved_in_chat"
    # The refused close (and the messages it showed) is in the audit log.
    client.cookies.clear()
    login(client, seed["admin1"])
    events = client.get(f"/api/audit/events?contact={cid}").json()["events"]
    closes = [(e["action"], e["actor_username"], e["result"]) for e in events]
    assert [c for c in closes if c[0] == "close"] == [
        ("close", "nurse1", "unseen_messages"),
        ("close", "nurse1", "ok"),
    ]


def test_close_after_seeing_everything_or_only_staff_messages_newer(
    client: TestClient, seed: Seed
) -> None:
    """Only patient messages count: the nurse's own newer reply does not block."""
    contact = intake(client)
    login(client, seed["nurse1"])
    with (
        client.websocket_connect("/ws/patient", headers=WS) as p,
        client.websocket_connect("/ws/staff", headers=WS) as s,
    ):
        hello(p, contact["patient_token"])
        cid = picked(s)
        send(p, "p-1", "Hej")
        send(s, "s-1", "Hej! Ring 1177 om det blir värre.", cid)
        close(s, cid, last_seen_seq=1)
        assert receive_until(s, "closed")["outcome"] == "resolved_in_chat"


def test_close_without_last_seen_seq_is_the_v1_close(client: TestClient, seed: Seed) -> None:
    contact = intake(client)
    login(client, seed["nurse1"])
    with (
        client.websocket_connect("/ws/patient", headers=WS) as p,
        client.websocket_connect("/ws/staff", headers=WS) as s,
    ):
        hello(p, contact["patient_token"])
        cid = picked(s)
        send(p, "p-1", "Hej")
        send(p, "p-2", "Är du där?")
        close(s, cid)
        assert receive_until(s, "closed")["contact_id"] == cid


def test_last_seen_seq_is_validated(client: TestClient, seed: Seed) -> None:
    contact = intake(client)
    login(client, seed["nurse1"])
    with (
        client.websocket_connect("/ws/patient", headers=WS) as p,
        client.websocket_connect("/ws/staff", headers=WS) as s,
    ):
        hello(p, contact["patient_token"])
        cid = picked(s)
        for bad in (-1, "3", 2.5, True):
            close(s, cid, last_seen_seq=bad)
            error = receive_until(s, "error")
            assert error["code"] == "invalid_field"
            assert "last_seen_seq" in error["fields"]


def test_unseen_check_does_not_leak_another_units_contact(client: TestClient, seed: Seed) -> None:
    """Refusals that come before it stay as they were: no transcript to a stranger."""
    contact = intake(client)
    login(client, seed["nurse1"])
    with (
        client.websocket_connect("/ws/patient", headers=WS) as p,
        client.websocket_connect("/ws/staff", headers=WS) as s,
    ):
        hello(p, contact["patient_token"])
        cid = picked(s)
        send(p, "p-1", "Hej")
    client.cookies.clear()
    login(client, seed["nurse_hc2"])
    with client.websocket_connect("/ws/staff", headers=WS) as other:
        receive_until(other, "welcome")
        close(other, cid, last_seen_seq=0)
        frame = other.receive_json()
        while frame["type"] == "queues":
            frame = other.receive_json()
        assert (frame["type"], frame["code"]) == ("error", "unknown_contact")


def test_ack_carries_the_stored_sent_at(client: TestClient, seed: Seed) -> None:
    """Patient and staff, new and duplicate: ack.sent_at is the stored message's,
    as the message frames and the history show it."""
    contact = intake(client)
    login(client, seed["nurse1"])
    with (
        client.websocket_connect("/ws/patient", headers=WS) as p,
        client.websocket_connect("/ws/staff", headers=WS) as s,
    ):
        hello(p, contact["patient_token"])
        cid = picked(s)
        patient_ack = send(p, "p-1", "Hej")
        live = receive_until(s, "message")
        assert patient_ack["sent_at"] == live["sent_at"]
        assert patient_ack["sent_at"].endswith("Z")
        staff_ack = send(s, "s-1", "Hej!", cid)
        assert receive_until(p, "message")["sent_at"] == staff_ack["sent_at"]
        again = send(p, "p-1", "Hej")
        assert again["duplicate"] is True
        assert again["sent_at"] == patient_ack["sent_at"]
        again = send(s, "s-1", "Hej!", cid)
        assert (again["duplicate"], again["sent_at"]) == (True, staff_ack["sent_at"])
        p.send_json({"type": "sync", "after_seq": 0})
        history = receive_until(p, "history")
        assert [m["sent_at"] for m in history["messages"]] == [
            patient_ack["sent_at"],
            staff_ack["sent_at"],
        ]
