"""Contacts made through the real intake API show up in the statistics."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed, intake, login
from tests.stats.fixtures import utc

CHEST_PAIN = "Jag har svår bröstsmärta som strålar ut i vänster arm och kallsvettas"


def test_intake_through_api_counts_once_per_contact(settings: Settings, seed: Seed) -> None:
    """Emergency advice, its acknowledgement and a plain intake on the DST day: two contacts."""
    now = [utc("2026-03-29 21:30")]  # 23:30 local (+02:00), still 29 March
    app = create_app(settings, clock=lambda: now[0])
    with TestClient(app, headers={"origin": ORIGIN}) as client:
        advised = intake(client, text=CHEST_PAIN, age=60)
        assert advised["status"] == "emergency"
        plain = intake(client)
        assert plain["status"] == "queued"
        now[0] = time.time()  # sign-in (sessions, one-time codes) runs on real time
        login(client, seed["manager1"])
        query = "unit=hc1&from=2026-03-29&to=2026-03-30&bucket=day"
        before = client.get(f"/api/stats/channel-shift?{query}").json()["buckets"]
        assert [(b["start"], b["chat_contacts"]) for b in before] == [
            ("2026-03-29", 2),
            ("2026-03-30", 0),
        ]
        ops = client.get("/api/stats/operations?unit=hc1&from=2026-03-29&to=2026-03-29").json()
        assert (
            ops["contacts"],
            ops["emergency_advised"],
            ops["outcomes"]["referred_emergency"],
        ) == (
            2,
            1,
            1,
        )
        # The patient acknowledges the advice (twice) ten minutes after it, within the
        # acknowledgement window: still one contact, no longer referred.
        now[0] = utc("2026-03-29 21:40")
        for _ in range(2):
            client.post(
                "/api/contacts",
                json={
                    "unit_id": "hc1",
                    "lang": "sv",
                    "age": 60,
                    "name": "Petra",
                    "text": CHEST_PAIN,
                    "would_otherwise": "physical_visit",
                    "acknowledge_emergency": True,
                    "contact_id": advised["contact_id"],
                },
            )
        ops = client.get("/api/stats/operations?unit=hc1&from=2026-03-29&to=2026-03-29").json()
        assert (ops["contacts"], ops["emergency_advised"], ops["queued"]) == (2, 0, 2)
        assert ops["outcomes"]["referred_emergency"] == 0
        assert ops["outcomes"]["open"] == 2
