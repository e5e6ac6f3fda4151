"""Red-flag screen at intake, follow-up questions while waiting, and their statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import ORIGIN, Seed, intake, intake_body, login, receive_until
from triage import screening

WS = {"origin": ORIGIN}


def hello(ws: Any, token: str) -> dict[str, Any]:
    ws.send_json({"type": "hello", "token": token, "last_seq": 0})
    frame: dict[str, Any] = receive_until(ws, "welcome")
    return frame


def receive_types(ws: Any, wanted: set[str], limit: int = 20) -> dict[str, dict[str, Any]]:
    """The first frame of each wanted type, whatever order they come in."""
    found: dict[str, dict[str, Any]] = {}
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] in wanted:
            found.setdefault(frame["type"], frame)
        if set(found) == wanted:
            return found
    raise AssertionError(f"missing {wanted - set(found)} within {limit} frames")


def test_questions_differ_by_age_band_and_language(client: TestClient) -> None:
    adult = client.get("/api/intake/questions?lang=sv&age=40").json()["questions"]
    infant = client.get("/api/intake/questions?lang=en&age=0").json()["questions"]
    child = client.get("/api/intake/questions?age=6").json()["questions"]
    assert "chest_pain_now" in {q["id"] for q in adult}
    assert "infant_fever_under_3_months" in {q["id"] for q in infant}
    assert {q["id"] for q in child}.isdisjoint({"chest_pain_now", "suicide_now"})
    assert infant[0]["text"].startswith("The baby")
    assert all(q["id"].islower() and " " not in q["id"] for q in adult + infant + child)
    assert any("help" in q for q in child)


def test_questions_query_is_validated(client: TestClient) -> None:
    for query in ("lang=sv", "lang=de&age=3", "age=-1", "age=121", "age=tre", "age=٣"):
        r = client.get(f"/api/intake/questions?{query}")
        assert r.status_code == 422, query
        assert r.json()["error"]["code"] == "invalid_field"


def test_a_yes_gives_emergency_whatever_the_text(client: TestClient) -> None:
    r = client.post(
        "/api/contacts",
        json=intake_body(
            text="Vill förnya mitt recept", answers={"chest_pain_now": True, "stroke_signs": False}
        ),
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "emergency"
    assert body["triage"]["level"] == "emergency"
    reasons = body["triage"]["reasons"]
    assert reasons[0]["rule_id"] == "SCREEN-chest_pain_now"
    assert reasons[0]["question"] == "chest_pain_now"
    assert reasons[0]["matched"] == [screening.CATALOGUE["chest_pain_now"].sv]
    assert "112" in body["advice"]["phone_numbers"]


def test_suicide_screen_yes_gives_the_suicide_line(client: TestClient) -> None:
    body = intake(client, text="Mår dåligt", answers={"suicide_now": True})
    assert body["status"] == "emergency"
    assert body["advice"]["phone_numbers"] == ["112", "90101"]


def test_all_no_is_triaged_from_the_text(client: TestClient) -> None:
    answers = {q.id: False for q in screening.screen(40)}
    body = intake(client, answers=answers)
    assert body["status"] == "queued"
    assert body["triage"]["level"] != "emergency"


def test_unknown_question_id_is_422_and_nothing_is_stored(client: TestClient) -> None:
    r = client.post("/api/contacts", json=intake_body(answers={"not_a_question": True}))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "unknown_question"
    assert "answers.not_a_question" in error["fields"]
    r = client.post("/api/contacts", json=intake_body(answers={"chest_pain_now": "yes"}))
    assert r.status_code == 422


def test_followup_questions_and_a_yes_raise_to_emergency(client: TestClient, seed: Seed) -> None:
    """Chest pain without emergency features: asked, answered yes, raised and told to staff."""
    contact = intake(client, text="Jag har lite ont i bröstet sedan i morse", age=50)
    assert contact["status"] == "queued"
    asked = [q["id"] for q in contact["followup"]["questions"]]
    assert "chest_pain_spreading" in asked
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/patient", headers=WS) as p:
        welcome = hello(p, contact["patient_token"])
        assert [q["id"] for q in welcome["followup"]["questions"]] == asked
        with client.websocket_connect("/ws/staff", headers=WS) as s:
            receive_until(s, "welcome")
            p.send_json({"type": "followup_answers", "answers": {"not_a_question": True}})
            assert receive_until(p, "error")["code"] == "invalid_field"
            p.send_json({"type": "followup_answers", "answers": {asked[0]: True}})
            frames = receive_types(p, {"followup_ack", "triage"})
            ack, notice = frames["followup_ack"], frames["triage"]
            assert ack == {
                "type": "followup_ack",
                "contact_id": contact["contact_id"],
                "raised": True,
                "level": "emergency",
            }
            assert notice["level"] == "emergency"
            assert notice["reasons"][0]["rule_id"] == f"FOLLOWUP-{asked[0]}"
            assert "112" in notice["advice"]["phone_numbers"]
            queues = receive_until(s, "queues")
            assert queues["queues"][0]["count"] == 1
        # Answered: a reconnect no longer shows the questions.
    with client.websocket_connect("/ws/patient", headers=WS) as p:
        assert hello(p, contact["patient_token"])["followup"] is None


def test_an_intake_and_its_triage_events_are_one_write(client: TestClient) -> None:
    """The contact, its screen's answers and the follow-ups asked commit together."""
    stats = client.app.state.chat.storage.stats  # type: ignore[attr-defined]
    ops = stats.ops
    contact = intake(
        client,
        text="Jag har lite ont i bröstet sedan i morse",
        age=50,
        answers={"stroke_signs": False},
    )
    assert stats.ops - ops == 1
    storage = client.app.state.chat.storage  # type: ignore[attr-defined]
    events = client.portal.call(storage.events, contact["contact_id"])  # type: ignore[union-attr]
    asked = [q["id"] for q in contact["followup"]["questions"]]
    assert [(e.kind, dict(e.data)) for e in events][1:] == [
        ("screening", {"answers": {"stroke_signs": False}, "yes": []}),
        ("followup_asked", {"ids": asked}),
    ]


def test_a_later_message_asks_its_family_once(client: TestClient) -> None:
    contact = intake(client, text="Vill förnya mitt recept på blodtrycksmedicin")
    assert "followup" not in contact
    with client.websocket_connect("/ws/patient", headers=WS) as p:
        assert hello(p, contact["patient_token"])["followup"] is None
        p.send_json(
            {
                "type": "message",
                "client_id": "m1",
                "body": "Det gör lite ont i bröstet när jag trycker",
            }
        )
        pushed = receive_until(p, "followup")
        assert "chest_pain_spreading" in [q["id"] for q in pushed["questions"]]
        p.send_json(
            {"type": "message", "client_id": "m2", "body": "Har lite ont i bröstet fortfarande"}
        )
        receive_until(p, "ack")
        p.send_json({"type": "followup_answers", "answers": {"chest_pain_spreading": False}})
        ack = receive_until(p, "followup_ack")
        assert ack["raised"] is False
        assert ack["level"] != "emergency"


def test_triage_safety_statistics(client: TestClient, seed: Seed) -> None:
    yes = intake(client, answers={"chest_pain_now": True})
    client.post(
        "/api/contacts",
        json=intake_body(
            answers={"chest_pain_now": True},
            acknowledge_emergency=True,
            contact_id=yes["contact_id"],
        ),
    )
    intake(client, answers={"chest_pain_now": False})
    intake(client, answers={"stroke_signs": True})
    intake(client)
    login(client, seed["manager1"])
    today = dt.datetime.now(dt.UTC).date()
    period = f"from={today - dt.timedelta(days=1)}&to={today + dt.timedelta(days=1)}"
    r = client.get(f"/api/stats/triage-safety?unit=hc1&{period}")
    assert r.status_code == 200, r.text
    figures = r.json()
    assert figures["screens_answered"] == 3
    assert figures["screens_yes"] == 2
    assert figures["screens_yes_continued"] == 1
    assert figures["model_false_alarm_rate"] == 0.0


def test_a_family_already_asked_costs_no_read(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The questions a contact was asked are remembered: later messages of the
    same family are triaged without reading the contact's events again."""
    contact = intake(client, text="Vill förnya mitt recept på blodtrycksmedicin")
    storage = client.app.state.chat.storage  # type: ignore[attr-defined]
    reads: list[str] = []
    events = storage.events

    async def counted(contact_id: str) -> Any:
        reads.append(contact_id)
        return await events(contact_id)

    with client.websocket_connect("/ws/patient", headers=WS) as p:
        hello(p, contact["patient_token"])
        monkeypatch.setattr(storage, "events", counted)
        p.send_json({"type": "message", "client_id": "m1", "body": "Ont i bröstet sedan i går"})
        assert receive_until(p, "followup")["questions"]
        assert reads == [contact["contact_id"]]  # the first time: what was asked?
        for n in (2, 3):
            body = f"Fortfarande ont i bröstet, {n} timmar nu"
            p.send_json({"type": "message", "client_id": f"m{n}", "body": body})
            receive_until(p, "ack")
        # Their triage runs after the acks, off the socket's loop: wait for it.
        conversations = client.app.state.chat.conversations  # type: ignore[attr-defined]
        client.portal.call(conversations.reassessments.settle)  # type: ignore[union-attr]
    assert reads == [contact["contact_id"]]
