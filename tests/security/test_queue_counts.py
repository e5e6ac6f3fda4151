"""Managers and admins see how many wait, never who or why (issue 20, point 12).

A nurse's or doctor's ``queues`` rows carry each waiting contact's tags and
triage reasons (quotes of the patient's text); a manager or admin has no care
relation, so their ``queues`` (in the ``welcome`` and every push) carry the
per-queue and per-level counts with an empty ``contacts`` list.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.helpers import Seed, intake, login, receive_until

TEXT = "Jag är gravid i vecka 20 och har lite ont i ryggen sedan igår."


def _hc1(queues: list[dict[str, Any]]) -> dict[str, Any]:
    return next(q for q in queues if q["unit_id"] == "hc1")


@pytest.mark.parametrize("username", ["manager1", "admin1"])
def test_overview_roles_get_counts_only(client: TestClient, seed: Seed, username: str) -> None:
    intake(client, text=TEXT)
    login(client, seed[username])
    with client.websocket_connect("/ws/staff") as ws:
        queue = _hc1(receive_until(ws, "welcome")["queues"])
        assert queue["count"] == 1
        assert sum(queue["levels"].values()) == 1
        assert queue["contacts"] == []
        intake(client, text=TEXT)
        pushed = _hc1(receive_until(ws, "queues")["queues"])
        assert pushed["count"] == 2
        assert pushed["contacts"] == []
        assert TEXT[:10] not in str(pushed)


def test_clinicians_still_see_rows(client: TestClient, seed: Seed) -> None:
    intake(client, text=TEXT)
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff") as ws:
        rows = _hc1(receive_until(ws, "welcome")["queues"])["contacts"]
        assert len(rows) == 1
        assert "tags" in rows[0]
        assert "reasons" in rows[0]
        intake(client, text=TEXT)
        rows = _hc1(receive_until(ws, "queues")["queues"])["contacts"]
        assert len(rows) == 2
        assert all("tags" in r for r in rows)
