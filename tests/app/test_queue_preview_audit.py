"""The queue preview's audit (issue 17): one ``queue_preview_read`` per staff
member and unit per minute, standing for every snapshot sent meanwhile; a
failed entry is logged and written at the next snapshot."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping
from typing import Any

from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.state import AppState
from chatserver.storage.base import User
from tests.app.test_queue_copy import Clock
from tests.helpers import ORIGIN, Seed, intake, login, receive_until
from tests.poll import wait_until

WS = {"origin": ORIGIN}


def _entries(settings: Settings) -> list[tuple[str, dict[str, Any]]]:
    with sqlite3.connect(settings.sqlite_path) as db:
        rows = db.execute(
            "SELECT actor_username, detail FROM audit_events"
            " WHERE action = 'queue_preview_read' ORDER BY seq"
        ).fetchall()
    return [(r[0], json.loads(r[1])) for r in rows]


def _new_row(s: Any, name: str) -> None:
    """Wait for the push that shows the contact ``name``."""
    while True:
        frame = receive_until(s, "queues")
        if any(r["name"] == name for q in frame["queues"] for r in q["contacts"]):
            return


def test_pushes_within_a_minute_share_one_entry(settings: Settings, seed: Seed) -> None:
    settings = settings.model_copy(update={"require_otp": False})
    clock = Clock(time.time())
    app = create_app(settings, clock=clock)
    with TestClient(app, headers={"origin": ORIGIN}) as client:
        intake(client, name="Först")
        login(client, seed["nurse1"])
        with client.websocket_connect("/ws/staff", headers=WS) as s:
            assert receive_until(s, "welcome")["queues"][0]["contacts"][0]["name"] == "Först"
            assert _entries(settings) == [("nurse1", {"contacts": 1, "snapshots": 1})]
            clock.now += 10
            intake(client, name="Andra")
            _new_row(s, "Andra")
            clock.now += 10
            intake(client, name="Tredje")
            _new_row(s, "Tredje")
            assert len(_entries(settings)) == 1
            clock.now += 60
            intake(client, name="Fjärde")
            _new_row(s, "Fjärde")
            # The push's entry is written alongside it (its own task).
            wait_until(lambda: len(_entries(settings)) == 2)
            assert _entries(settings)[-1] == ("nurse1", {"contacts": 4, "snapshots": 3})


def test_a_failed_push_entry_is_written_at_the_next_snapshot(
    settings: Settings, seed: Seed
) -> None:
    settings = settings.model_copy(update={"require_otp": False})
    clock = Clock(time.time())
    app = create_app(settings, clock=clock)
    state: AppState = app.state.chat
    with TestClient(app, headers={"origin": ORIGIN}) as client:
        login(client, seed["nurse1"])
        with client.websocket_connect("/ws/staff", headers=WS) as s:
            receive_until(s, "welcome")  # empty queues: nothing read, no entry
            assert _entries(settings) == []
            recorder = state.hooks.audit
            failed: list[str] = []

            async def broken(
                request: Any, user: User | None, action: str, **kw: Mapping[str, Any]
            ) -> None:
                failed.append(action)
                raise RuntimeError("audit log down")

            state.hooks.audit = broken
            intake(client, name="Först")
            _new_row(s, "Först")
            clock.now += 1
            state.hooks.audit = recorder
            intake(client, name="Andra")
            _new_row(s, "Andra")
            wait_until(lambda: len(_entries(settings)) == 1)
    assert failed == ["queue_preview_read"]
    assert _entries(settings) == [("nurse1", {"contacts": 2, "snapshots": 1})]
