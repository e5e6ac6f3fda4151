"""What a patient socket reads: the token lookup and one read for the welcome;
at its end one more, for the assigned nurse's presence notice, unless closed."""

from __future__ import annotations

from types import GeneratorType
from typing import Any

import pytest
from starlette.testclient import TestClient

from chatserver.state import AppState
from chatserver.storage import Plan
from tests.helpers import ORIGIN, intake, receive_until

WS = {"origin": ORIGIN}


def _hello(client: TestClient, token: str) -> dict[str, Any]:
    """Connect, hello, return the welcome, close (the server's end has run after)."""
    with client.websocket_connect("/ws/patient", headers=WS) as ws:
        ws.send_json({"type": "hello", "token": token, "last_seq": 0})
        return receive_until(ws, "welcome")


def _count_reads(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The plans read from now on, by name."""
    state: AppState = client.app.state.chat  # type: ignore[attr-defined]
    storage = state.storage
    reads: list[str] = []
    read = storage.read

    async def counted(plan: Plan[Any], *, snapshot: bool = False) -> Any:
        assert isinstance(plan, GeneratorType)
        reads.append(plan.__name__)
        return await read(plan, snapshot=snapshot)

    monkeypatch.setattr(storage, "read", counted)
    return reads


def test_a_hello_reads_the_database_twice(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Contact, history, place in line and follow-ups come in one read after the lookup."""
    chat = intake(client, text="Jag har lite ont i bröstet sedan i morse", age=50)
    asked = [q["id"] for q in chat["followup"]["questions"]]
    _hello(client, chat["patient_token"])  # the first also reads the queue's pick rate
    reads = _count_reads(client, monkeypatch)

    welcome = _hello(client, chat["patient_token"])

    assert reads == ["get_by_token_hash", "patient_rejoin", "get"]
    assert welcome["queue"]["position"] == 1
    assert [q["id"] for q in welcome["followup"]["questions"]] == asked


def test_leaving_a_closed_chat_reads_nothing_for_presence(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A closed contact has no nurse to tell that the patient left: no read at the end."""
    chat = intake(client)
    state: AppState = client.app.state.chat  # type: ignore[attr-defined]

    async def close() -> None:
        await state.storage.close_contact(
            chat["contact_id"], outcome="resolved_in_chat", at=state.clock(), actor_user_id=None
        )

    client.portal.call(close)  # type: ignore[union-attr]
    reads = _count_reads(client, monkeypatch)

    welcome = _hello(client, chat["patient_token"])

    assert welcome["status"] == "closed"
    assert reads == ["get_by_token_hash", "patient_rejoin"]
