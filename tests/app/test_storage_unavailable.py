"""Writes the database cannot take, through the whole app (in memory).

SQLite's ``max_page_count`` makes every growing write a real ``SQLITE_FULL``
(the loop-free stand-in for a full disk; tests/realserver/test_disk_full.py
fills a real tmpfs). Intake answers 503 ``storage_unavailable`` with
``Retry-After``; a staff message answers a retryable error with its
``client_id`` and ``contact_id``; ``/readyz`` is 503 meanwhile; with room
again, the same frame is stored once and everything is ready again.
"""

from __future__ import annotations

import sqlite3

from starlette.testclient import TestClient

from chatserver.storage.sqlite import SqliteStorage
from tests.helpers import ORIGIN, Seed, intake, intake_body, login, receive_until
from tests.security.conftest import state_of

WS = {"origin": ORIGIN}


def _limit_pages(client: TestClient, extra: int) -> None:
    storage = state_of(client).storage
    assert isinstance(storage, SqliteStorage)

    def run(conn: sqlite3.Connection) -> None:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + extra}")

    client.portal.call(storage._writer.connection.run, run)  # type: ignore[union-attr]


def test_intake_and_staff_message_while_the_disk_is_full(client: TestClient, seed: Seed) -> None:
    contact = intake(client)
    contact_id = contact["contact_id"]
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff", headers=WS) as s:
        receive_until(s, "welcome")
        s.send_json({"type": "pick"})
        receive_until(s, "assigned")

        _limit_pages(client, 0)
        big = "x" * 4000
        refused = None
        for i in range(50):  # a few messages may still fit in free pages
            s.send_json(
                {"type": "message", "contact_id": contact_id, "client_id": f"s-{i}", "body": big}
            )
            frame = s.receive_json()
            while frame["type"] not in ("ack", "error"):
                frame = s.receive_json()
            if frame["type"] == "error":
                refused = frame
                break
        assert refused is not None
        assert refused["code"] == "storage_unavailable"
        assert refused["retryable"] is True
        assert refused["retry_after_s"] == 2
        assert refused["client_id"] == f"s-{i}"
        assert refused["contact_id"] == contact_id

        ready = client.get("/readyz")
        assert (ready.status_code, ready.json()["checks"]["writes"]) == (503, False)
        for _ in range(50):  # a small row may still fit in a page with room
            r = client.post("/api/contacts", json=intake_body(text="Ont i halsen " + "y" * 1900))
            if r.status_code != 201:
                break
        assert r.status_code == 503
        assert r.headers["retry-after"] == "2"
        assert r.json()["error"]["code"] == "storage_unavailable"
        assert r.json()["error"]["retryable"] is True

        _limit_pages(client, 10_000)
        s.send_json(
            {"type": "message", "contact_id": contact_id, "client_id": f"s-{i}", "body": big}
        )
        ack = receive_until(s, "ack")
        assert ack["client_id"] == f"s-{i}"
        assert "duplicate" not in ack
    assert client.get("/readyz").status_code == 200
    assert client.post("/api/contacts", json=intake_body()).status_code == 201
    history = client.portal.call(  # type: ignore[union-attr]
        state_of(client).storage.messages_after, contact_id, 0
    )
    ids = [m.client_id for m in history]
    assert ids == [f"s-{n}" for n in range(i + 1)]
