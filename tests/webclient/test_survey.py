"""Satisfaction survey after a chat: POST /api/contacts/survey and the summary."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.testclient import TestClient

from chatserver import survey
from chatserver.app import open_storage
from chatserver.settings import Settings
from tests.helpers import Seed, intake, login, receive_until


def _closed_contacts(client: TestClient, seed: Seed, n: int = 1) -> list[dict[str, Any]]:
    """Intake, pick and close ``n`` contacts as nurse1; returns the intake bodies."""
    bodies = [intake(client) for _ in range(n)]
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff") as ws:
        receive_until(ws, "welcome")
        for body in bodies:
            ws.send_json({"type": "pick", "contact_id": body["contact_id"]})
            receive_until(ws, "assigned")
            ws.send_json(
                {"type": "close", "contact_id": body["contact_id"], "outcome": "resolved_in_chat"}
            )
            receive_until(ws, "closed")
    return bodies


def _closed_contact(client: TestClient, seed: Seed) -> dict[str, Any]:
    return _closed_contacts(client, seed)[0]


def test_answer_stored_once_then_409(client: TestClient, seed: Seed) -> None:
    """A closed chat's patient rates once (201); a second answer is 409 already_answered."""
    body = _closed_contact(client, seed)
    r = client.post(
        "/api/contacts/survey",
        json={"token": body["patient_token"], "rating": 4, "comment": "  Bra hjälp  "},
    )
    assert r.status_code == 201
    assert r.json() == {"contact_id": body["contact_id"], "rating": 4}
    again = client.post(
        "/api/contacts/survey",
        json={"rating": 5},
        headers={"authorization": f"Bearer {body['patient_token']}"},
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_answered"


def test_bearer_header_accepted(client: TestClient, seed: Seed) -> None:
    """The token may come in an Authorization header instead of the body."""
    body = _closed_contact(client, seed)
    r = client.post(
        "/api/contacts/survey",
        json={"rating": 2},
        headers={"authorization": f"Bearer {body['patient_token']}"},
    )
    assert r.status_code == 201
    assert r.json()["rating"] == 2


def test_open_chat_is_409(client: TestClient, seed: Seed) -> None:
    """A chat still waiting cannot be rated yet: 409 contact_open."""
    body = intake(client)
    r = client.post("/api/contacts/survey", json={"token": body["patient_token"], "rating": 3})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "contact_open"


def test_bad_token_and_bad_rating(client: TestClient, seed: Seed) -> None:
    """Unknown token → 401 not_authenticated; rating 0, 6, true, "5" → 422 invalid_field."""
    r = client.post("/api/contacts/survey", json={"token": "nope", "rating": 3})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"
    r = client.post("/api/contacts/survey", json={"rating": 3})
    assert r.status_code == 401
    body = _closed_contact(client, seed)
    for rating in (0, 6, True, "5", None):
        r = client.post(
            "/api/contacts/survey", json={"token": body["patient_token"], "rating": rating}
        )
        assert r.status_code == 422, rating
        assert r.json()["error"]["fields"] == {"rating": "an integer 1..5"}
    r = client.post(
        "/api/contacts/survey",
        json={"token": body["patient_token"], "rating": 3, "comment": "x" * 1001},
    )
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"comment": "max 1000"}
    r = client.post("/api/contacts/survey", content=b"[1]")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_body"


def test_summary_counts_mean_and_rate(client: TestClient, seed: Seed, settings: Settings) -> None:
    """Mean and response rate per unit: 2 answers (5, 2) of 3 closed chats → 3.5 and 0.6667."""
    bodies = _closed_contacts(client, seed, 3)
    for b, rating in zip(bodies[:2], (5, 2), strict=True):
        r = client.post(
            "/api/contacts/survey", json={"token": b["patient_token"], "rating": rating}
        )
        assert r.status_code == 201
    login(client, seed["manager1"])
    r = client.get("/api/survey/summary", params={"unit": "hc1"})
    assert r.status_code == 200
    assert r.json() == {
        "unit_id": "hc1",
        "responses": 2,
        "eligible": 3,
        "mean_rating": 3.5,
        "response_rate": 0.6667,
    }
    r = client.get("/api/survey/summary", params={"unit": "hc2"})
    assert r.status_code == 404
    r = client.get("/api/survey/summary", params={"unit": "hc1", "from": "x"})
    assert r.status_code == 422


def test_summary_function_on_empty_period(settings: Settings, seed: Seed) -> None:
    """The storage query on a period without chats: zero responses, rate 0.0, mean None."""

    async def run() -> survey.SurveySummary:
        storage = open_storage(settings)
        await storage.open()
        try:
            return await survey.summary(storage, "hc1", 0.0, 1.0)
        finally:
            await storage.close()

    assert asyncio.run(run()) == survey.SurveySummary("hc1", 0, 0, None, 0.0)
