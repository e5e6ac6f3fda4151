"""The manager's "now" view (GET /api/stats/now) on both engines: waiting per
queue, the oldest wait, staff online and chats per staff member, counts only,
the caller's units only, not audited."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.state import AppState
from chatserver.stats.now import QueueNow, StaffMember, now_view
from tests.helpers import ORIGIN, Seed, intake, receive_until
from tests.operations.util import Clock, local, sign_in

WS = {"origin": ORIGIN}


@pytest.fixture
def clock() -> Clock:
    return Clock(local(datetime(2026, 11, 24, 10, 0)))


@pytest.fixture
def audited() -> list[str]:
    return []


@pytest.fixture
def now_client(
    settings: Settings, seed: Seed, clock: Clock, audited: list[str]
) -> Iterator[TestClient]:
    """The real app on ``clock`` (SQLite or PostgreSQL), recording audit actions."""
    app = create_app(settings, clock=clock)
    state: AppState = app.state.chat
    original = state.audit_event

    async def recording(request: Any, user: Any, action: str, **kw: Any) -> None:
        audited.append(action)
        await original(request, user, action, **kw)

    state.audit_event = recording  # type: ignore[method-assign]
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        yield c


def test_now_view_counts_waiting_staff_and_chats(
    now_client: TestClient, seed: Seed, clock: Clock, audited: list[str]
) -> None:
    """Three wait in hc1 (one since 10:00, two since 10:03), nurse1 picks one and is
    online; the manager sees 2 waiting, the oldest 7 min, 1 staff online with 1 chat,
    and no patient field at all; hc2 is not theirs (403, audited)."""
    intake(now_client)
    clock.advance(180)
    intake(now_client, name="Other Patient")
    intake(now_client, name="Third Patient")
    intake(now_client, unit_id="hc2")
    clock.advance(240)
    sign_in(now_client, seed["nurse1"], clock)
    with now_client.websocket_connect("/ws/staff", headers=WS) as s:
        s.receive_json()
        s.send_json({"type": "pick"})
        receive_until(s, "assigned")
        sign_in(now_client, seed["manager1"], clock)
        audited.clear()
        r = now_client.get("/api/stats/now")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["at"] == clock()
        assert body["units"] == [
            {
                "unit_id": "hc1",
                "name": "Hälsocentralen Ett",
                "queues": [
                    {"id": "hc1:nurse", "name": "Sjuksköterska", "waiting": 2, "oldest_wait_s": 240}
                ],
                "waiting": 2,
                "oldest_wait_s": 240,
                "staff_online": 1,
                "open_chats": 1,
                "chats_per_staff": [
                    {
                        "user_id": seed["nurse1"].id,
                        "display_name": "Nina Nurse",
                        "online": True,
                        "chats": 1,
                    }
                ],
            }
        ]
        assert audited == []
        r = now_client.get("/api/stats/now?unit=hc2")
        assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
        assert audited == ["stats_read"]
    # The nurse's socket closed: she still holds her chat, now offline.
    unit = now_client.get("/api/stats/now?unit=hc1").json()["units"][0]
    assert (unit["staff_online"], unit["chats_per_staff"][0]["online"]) == (0, False)
    assert unit["chats_per_staff"][0]["chats"] == 1


def test_now_view_is_for_managers_and_admins(
    now_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """Anonymous: 401; a nurse: 403; an admin sees every unit."""
    r = now_client.get("/api/stats/now")
    assert r.status_code == 401
    sign_in(now_client, seed["nurse1"], clock)
    assert now_client.get("/api/stats/now").status_code == 403
    sign_in(now_client, seed["admin1"], clock)
    units = now_client.get("/api/stats/now").json()["units"]
    assert [(u["unit_id"], u["waiting"], u["staff_online"]) for u in units] == [
        ("hc1", 0, 0),
        ("hc2", 0, 0),
    ]


def test_now_view_pure_orders_staff_by_chats() -> None:
    """Most chats first, then name; offline staff without chats are not listed;
    a unit without queues waits 0 with oldest 0."""
    staff = [
        StaffMember("u1", 1, "Anna"),
        StaffMember("u1", 2, "Bo"),
        StaffMember("u1", 3, "Cia"),
        StaffMember("u2", 2, "Bo"),
    ]
    queues = [QueueNow("u1:nurse", "u1", "SSK", 3, 600), QueueNow("u1:doctor", "u1", "Läk", 1, 60)]
    out = now_view([("u1", "Ett"), ("u2", "Två")], queues, staff, {1, 2}, {("u1", 2): 3})
    assert [(m["display_name"], m["chats"], m["online"]) for m in out[0]["chats_per_staff"]] == [
        ("Bo", 3, True),
        ("Anna", 0, True),
    ]
    assert (out[0]["waiting"], out[0]["oldest_wait_s"], out[0]["staff_online"]) == (4, 600, 2)
    assert out[1] == {
        "unit_id": "u2",
        "name": "Två",
        "queues": [],
        "waiting": 0,
        "oldest_wait_s": 0,
        "staff_online": 1,
        "open_chats": 0,
        "chats_per_staff": [{"user_id": 2, "display_name": "Bo", "online": True, "chats": 0}],
    }
