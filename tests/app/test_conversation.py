"""The app in memory (Starlette TestClient): intake, queues, pick, messages, close."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.helpers import ORIGIN, Seed, intake, login, receive_until
from tests.poll import wait_until

WS = {"origin": ORIGIN}


def hello(ws: Any, token: str, last_seq: int = 0) -> dict[str, Any]:
    ws.send_json({"type": "hello", "token": token, "last_seq": last_seq})
    frame: dict[str, Any] = ws.receive_json()
    assert frame["type"] == "welcome"
    return frame


def test_whole_conversation(client: TestClient, seed: Seed) -> None:
    """Patient ↔ nurse: intake, welcome, message, pick, reply, typing, close."""
    contact = intake(client)
    assert contact["status"] == "queued"
    assert contact["queue"] == {"position": 1, "estimated_wait_s": 360}
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/patient", headers=WS) as p:
        welcome = hello(p, contact["patient_token"])
        assert welcome["status"] == "queued"
        assert welcome["messages"] == []
        assert welcome["queue"]["position"] == 1
        p.send_json({"type": "message", "client_id": "p-1", "body": "Hej!"})
        ack = receive_until(p, "ack")
        assert ack == {
            "type": "ack",
            "client_id": "p-1",
            "contact_id": contact["contact_id"],
            "seq": 1,
            "sent_at": ack["sent_at"],
        }
        with client.websocket_connect("/ws/staff", headers=WS) as s:
            w = s.receive_json()
            assert w["type"] == "welcome"
            assert w["user"]["username"] == "nurse1"
            assert [(q["id"], q["count"]) for q in w["queues"]] == [("hc1:nurse", 1)]
            s.send_json({"type": "pick"})
            assigned = receive_until(s, "assigned")
            assert assigned["contact"]["contact_id"] == contact["contact_id"]
            assert assigned["contact"]["text"].startswith("Jag har haft ont")
            assert [m["body"] for m in assigned["messages"]] == ["Hej!"]
            assert assigned["messages"][0]["sent_at"] == ack["sent_at"]
            assert receive_until(p, "assigned")["staff_name"] == "Nina Nurse"

            s.send_json(
                {
                    "type": "message",
                    "contact_id": contact["contact_id"],
                    "client_id": "s-1",
                    "body": "Hej, vad kan jag hjälpa till med?",
                }
            )
            assert receive_until(s, "ack")["seq"] == 2
            m = receive_until(p, "message")
            assert (m["seq"], m["sender"], m["sender_name"]) == (2, "staff", "Nina Nurse")
            assert m["body"] == "Hej, vad kan jag hjälpa till med?"

            p.send_json({"type": "typing"})
            t = receive_until(s, "typing")
            assert t == {"type": "typing", "contact_id": contact["contact_id"], "sender": "patient"}

            p.send_json({"type": "message", "client_id": "p-2", "body": "Tack"})
            assert receive_until(p, "ack")["seq"] == 3
            live = receive_until(s, "message")
            assert (live["seq"], live["sender"], live["body"]) == (3, "patient", "Tack")

            s.send_json(
                {
                    "type": "close",
                    "contact_id": contact["contact_id"],
                    "outcome": "resolved_in_chat",
                }
            )
            closed = {
                "type": "closed",
                "contact_id": contact["contact_id"],
                "outcome": "resolved_in_chat",
            }
            assert receive_until(s, "closed") == closed
            assert receive_until(p, "closed") == closed


def test_resend_client_id_returns_original_ack(client: TestClient) -> None:
    """Re-sending a client_id yields the same ack and stores nothing new."""
    contact = intake(client)
    with client.websocket_connect("/ws/patient", headers=WS) as p:
        hello(p, contact["patient_token"])
        p.send_json({"type": "message", "client_id": "dup", "body": "första"})
        first = receive_until(p, "ack")
        p.send_json({"type": "message", "client_id": "dup", "body": "andra"})
        again = receive_until(p, "ack")
        assert first["seq"] == again["seq"] == 1
        assert again["duplicate"] is True
        p.send_json({"type": "sync", "after_seq": 0})
        history = receive_until(p, "history")
        assert [m["body"] for m in history["messages"]] == ["första"]


def test_hello_with_last_seq_replays_the_gap(client: TestClient) -> None:
    """A reconnect with last_seq gets exactly the messages after it."""
    contact = intake(client)
    with client.websocket_connect("/ws/patient", headers=WS) as p:
        hello(p, contact["patient_token"])
        for i in range(5):
            p.send_json({"type": "message", "client_id": f"c{i}", "body": f"m{i}"})
            assert receive_until(p, "ack")["seq"] == i + 1
    with client.websocket_connect("/ws/patient", headers=WS) as p2:
        w = hello(p2, contact["patient_token"], last_seq=3)
        assert [(m["seq"], m["body"]) for m in w["messages"]] == [(4, "m3"), (5, "m4")]
        assert w["last_seq"] == 5


def test_every_tab_gets_every_message(client: TestClient, seed: Seed) -> None:
    """Two patient tabs: the other tab gets the message; the nurse's two tabs get it too."""
    contact = intake(client)
    login(client, seed["nurse1"])
    with (
        client.websocket_connect("/ws/patient", headers=WS) as tab1,
        client.websocket_connect("/ws/patient", headers=WS) as tab2,
        client.websocket_connect("/ws/staff", headers=WS) as s1,
        client.websocket_connect("/ws/staff", headers=WS) as s2,
    ):
        hello(tab1, contact["patient_token"])
        hello(tab2, contact["patient_token"])
        s1.receive_json()
        s2.receive_json()
        s1.send_json({"type": "pick"})
        receive_until(s1, "assigned")
        assert receive_until(s2, "assigned")["contact"]["contact_id"] == contact["contact_id"]
        tab1.send_json({"type": "message", "client_id": "x", "body": "från flik 1"})
        assert receive_until(tab1, "ack")["seq"] == 1
        assert receive_until(tab2, "message")["body"] == "från flik 1"
        assert receive_until(s1, "message")["seq"] == 1
        assert receive_until(s2, "message")["seq"] == 1


def test_emergency_then_acknowledged_goes_first(client: TestClient, seed: Seed) -> None:
    """Emergency intake gets 112 advice; acknowledged, it is queued first with a red flag."""
    ordinary = intake(client)
    r = client.post(
        "/api/contacts",
        json={
            "unit_id": "hc1",
            "lang": "sv",
            "age": 62,
            "name": "Erik",
            "text": "Jag har tryckande bröstsmärta som strålar ut i vänster arm och kallsvettas",
            "would_otherwise": "physical_visit",
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "emergency"
    assert body["triage"]["level"] == "emergency"
    assert "112" in body["advice"]["phone_numbers"]
    assert "patient_token" not in body
    r2 = client.post(
        "/api/contacts",
        json={
            "unit_id": "hc1",
            "lang": "sv",
            "age": 62,
            "name": "Erik",
            "text": "Jag har tryckande bröstsmärta som strålar ut i vänster arm och kallsvettas",
            "would_otherwise": "physical_visit",
            "acknowledge_emergency": True,
            "contact_id": body["contact_id"],
        },
    )
    assert r2.status_code == 201
    queued = r2.json()
    assert queued["contact_id"] == body["contact_id"]
    assert queued["queue"]["position"] == 1
    again = client.post(
        "/api/contacts",
        json={
            "unit_id": "hc1",
            "lang": "sv",
            "age": 62,
            "name": "Erik",
            "text": "x",
            "acknowledge_emergency": True,
            "contact_id": body["contact_id"],
        },
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_acknowledged"
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff", headers=WS) as s:
        w = s.receive_json()
        contacts = w["queues"][0]["contacts"]
        assert [c["contact_id"] for c in contacts] == [body["contact_id"], ordinary["contact_id"]]
        assert contacts[0]["red_flag"] is True
        s.send_json({"type": "pick"})
        assert receive_until(s, "assigned")["contact"]["contact_id"] == body["contact_id"]


def test_transfer_and_pick_by_id(client: TestClient, seed: Seed) -> None:
    """Transfer puts the contact back in a queue; a colleague picks it by id."""
    contact = intake(client)
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff", headers=WS) as s:
        s.receive_json()
        s.send_json({"type": "pick", "queue": "hc1:nurse"})
        receive_until(s, "assigned")
        s.send_json(
            {
                "type": "transfer",
                "contact_id": contact["contact_id"],
                "queue": "nurse",
                "note": "Behöver läkarbedömning",
            }
        )
        assert receive_until(s, "transferred") == {
            "type": "transferred",
            "contact_id": contact["contact_id"],
            "queue": "hc1:nurse",
        }
        s.send_json({"type": "pick", "contact_id": contact["contact_id"]})
        assert receive_until(s, "assigned")["contact"]["status"] == "assigned"
        s.send_json({"type": "pick", "contact_id": contact["contact_id"]})
        assert receive_until(s, "error")["code"] == "not_waiting"


def test_queue_position_pushed_when_it_changes(client: TestClient, seed: Seed) -> None:
    """The second patient learns it moved to position 1 when the first is picked."""
    intake(client)
    second = intake(client, name="Sam")
    assert second["queue"]["position"] == 2
    login(client, seed["nurse1"])
    with (
        client.websocket_connect("/ws/patient", headers=WS) as p,
        client.websocket_connect("/ws/staff", headers=WS) as s,
    ):
        assert hello(p, second["patient_token"])["queue"]["position"] == 2
        s.receive_json()
        s.send_json({"type": "pick"})
        receive_until(s, "assigned")
        q = receive_until(p, "queue")
        assert (q["position"], q["contact_id"]) == (1, second["contact_id"])


def test_patient_leave_closes(client: TestClient) -> None:
    """A patient who leaves ends the contact as patient_left."""
    contact = intake(client)
    with client.websocket_connect("/ws/patient", headers=WS) as p:
        hello(p, contact["patient_token"])
        p.send_json({"type": "leave"})
        assert receive_until(p, "closed")["outcome"] == "patient_left"
        p.send_json({"type": "message", "client_id": "late", "body": "hallå?"})
        assert receive_until(p, "error")["code"] == "contact_closed"


def test_units_and_health(client: TestClient) -> None:
    """Health, readiness, units and metrics answer."""
    assert client.get("/livez").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    units = client.get("/api/units").json()
    assert [(u["id"], u["name"], u["open"]) for u in units] == [
        ("hc1", "Hälsocentralen Ett", True),
        ("hc2", "Hälsocentralen Två", True),
    ]
    intake(client)
    assert "chat_intakes_total" in client.get("/metrics").text
    # The waiting-room gauges are set by the queue refresher after the intake
    # returns (flow/waiting.py), so the gauge appears within moments, not at once.
    wait_until(
        lambda: 'chat_waiting_contacts{queue="hc1:nurse"}' in client.get("/metrics").text,
        timeout=10,
        message="the waiting gauge of hc1:nurse never appeared",
    )
