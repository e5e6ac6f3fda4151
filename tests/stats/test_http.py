"""The statistics routes against hand-computed fixtures (tests/stats/fixtures.py)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.helpers import Seed, login

SPRING = "from=2026-03-23&to=2026-04-05"


def _bucket(
    start: str,
    chat: int,
    resolved: int,
    shifted: int,
    physical: int = 0,
    phone: int = 0,
    video: int = 0,
) -> dict[str, Any]:
    total = chat + physical + phone + video
    return {
        "start": start,
        "chat_contacts": chat,
        "chat_resolved": resolved,
        "shifted_from_physical": shifted,
        "physical_visits": physical,
        "phone_contacts": phone,
        "video_visits": video,
        "chat_share": chat / total if total else 0.0,
        # The fixtures import no zero counts: a bucket has imports when it has visits.
        "visits_imported": bool(physical or phone or video),
    }


def _import(client: TestClient, csrf: str, rows: list[dict[str, Any]]) -> Any:
    return client.post("/api/stats/visits", json={"rows": rows}, headers={"x-csrf-token": csrf})


VISITS = [
    {"date": "2026-03-23", "unit_id": "hc1", "channel": "physical", "count": 10},
    {"date": "2026-03-30", "unit_id": "hc1", "channel": "physical", "count": 5},
    {"date": "2026-03-30", "unit_id": "hc1", "channel": "phone", "count": 3},
    {"date": "2026-04-05", "unit_id": "hc1", "channel": "video", "count": 2},
]


def test_channel_shift_weeks_across_spring_dst(stats_client: TestClient, seed: Seed) -> None:
    """Weekly buckets count contacts by local date, emergency advice included."""
    csrf = login(stats_client, seed["manager1"])
    assert _import(stats_client, csrf, VISITS).json() == {"imported": 4}
    r = stats_client.get(f"/api/stats/channel-shift?unit=hc1&{SPRING}&bucket=week")
    assert r.status_code == 200
    assert r.json() == {
        "buckets": [
            _bucket("2026-03-23", 3, 1, 1, physical=10),
            _bucket("2026-03-30", 3, 1, 1, physical=5, phone=3, video=2),
        ]
    }


def test_channel_shift_days_across_spring_dst(stats_client: TestClient, seed: Seed) -> None:
    """A contact at 23:30 on the 23-hour day stays on that day; 00:15 is the next."""
    login(stats_client, seed["manager1"])
    r = stats_client.get(
        "/api/stats/channel-shift?unit=hc1&from=2026-03-28&to=2026-04-01&bucket=day"
    )
    days = {b["start"]: b["chat_contacts"] for b in r.json()["buckets"]}
    assert days == {
        "2026-03-28": 1,
        "2026-03-29": 2,
        "2026-03-30": 1,
        "2026-03-31": 1,
        "2026-04-01": 1,
    }


def test_channel_shift_days_across_autumn_dst(stats_client: TestClient, seed: Seed) -> None:
    """The 25-hour day 2026-10-25 holds both 02:30s and 23:59, not 00:00 of the 26th."""
    login(stats_client, seed["manager1"])
    r = stats_client.get(
        "/api/stats/channel-shift?unit=hc1&from=2026-10-24&to=2026-10-26&bucket=day"
    )
    days = {b["start"]: b["chat_contacts"] for b in r.json()["buckets"]}
    assert days == {"2026-10-24": 1, "2026-10-25": 4, "2026-10-26": 1}


def test_channel_shift_month_and_partial_week(stats_client: TestClient, seed: Seed) -> None:
    """Buckets start on the ISO Monday / first of month; only days in the period count."""
    login(stats_client, seed["admin1"])
    r = stats_client.get(
        "/api/stats/channel-shift?unit=hc1&from=2026-03-29&to=2026-04-02&bucket=month"
    )
    assert r.json() == {"buckets": [_bucket("2026-03-01", 4, 1, 0), _bucket("2026-04-01", 1, 0, 1)]}
    r = stats_client.get(
        "/api/stats/channel-shift?unit=hc1&from=2026-03-29&to=2026-03-29&bucket=week"
    )
    assert r.json() == {"buckets": [_bucket("2026-03-23", 2, 0, 0)]}


def test_visits_upsert_and_csv(stats_client: TestClient, seed: Seed) -> None:
    """A second import of the same (date, unit, channel) replaces the count; CSV works."""
    csrf = login(stats_client, seed["manager1"])
    _import(stats_client, csrf, VISITS)
    body = "date,unit_id,channel,count\r\n2026-03-23,hc1,physical,7\r\n2026-03-24,hc1,phone,1\r\n"
    r = stats_client.post(
        "/api/stats/visits",
        content=body.encode(),
        headers={"x-csrf-token": csrf, "content-type": "text/csv"},
    )
    assert r.json() == {"imported": 2}
    r = stats_client.get("/api/stats/channel-shift?unit=hc1&from=2026-03-23&to=2026-03-29")
    assert r.json()["buckets"] == [_bucket("2026-03-23", 3, 1, 1, physical=7, phone=1)]


def test_visits_all_or_nothing(stats_client: TestClient, seed: Seed) -> None:
    """One bad row rejects the import with row-level errors; nothing is stored."""
    csrf = login(stats_client, seed["manager1"])
    rows = [
        *VISITS[:2],
        {"date": "2026-02-30", "unit_id": "hc1", "channel": "fax", "count": -1},
        {"date": "2026-03-25", "unit_id": "nope", "channel": "phone", "count": 1},
    ]
    r = _import(stats_client, csrf, rows)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_rows"
    assert r.json()["error"]["rows"] == [
        {
            "row": 3,
            "fields": {
                "date": "a date as YYYY-MM-DD, 1970-01-01..9998-12-31",
                "channel": "one of physical, phone, video",
                "count": "an integer from 0 to 1000000",
            },
        },
        {"row": 4, "fields": {"unit_id": "unknown unit 'nope'"}},
    ]
    r = stats_client.get("/api/stats/channel-shift?unit=hc1&from=2026-03-23&to=2026-03-29")
    assert r.json()["buckets"][0]["physical_visits"] == 0


def test_visits_csv_errors_name_lines(stats_client: TestClient, seed: Seed) -> None:
    """CSV row errors are numbered by data row; a bad header is a 422 of its own."""
    csrf = login(stats_client, seed["admin1"])
    body = "date,unit_id,channel,count\n2026-03-23,hc1,physical,1.5\n2026-03-23,hc1,physical,2\n"
    r = stats_client.post(
        "/api/stats/visits",
        content=body.encode(),
        headers={"x-csrf-token": csrf, "content-type": "text/csv; charset=utf-8"},
    )
    assert (r.status_code, r.json()["error"]["rows"]) == (
        422,
        [{"row": 1, "fields": {"count": "an integer from 0 to 1000000"}}],
    )
    r = stats_client.post(
        "/api/stats/visits",
        content=b"day,unit,channel,count\n",
        headers={"x-csrf-token": csrf, "content-type": "text/csv"},
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_body")


def test_visits_access_rules(stats_client: TestClient, seed: Seed) -> None:
    """CSRF is required; managers import only their own units; nurses not at all."""
    csrf = login(stats_client, seed["manager1"])
    r = stats_client.post("/api/stats/visits", json={"rows": VISITS})
    assert (r.status_code, r.json()["error"]["code"]) == (403, "csrf_failed")
    other = [{"date": "2026-03-23", "unit_id": "hc2", "channel": "phone", "count": 1}]
    r = _import(stats_client, csrf, other)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    r = stats_client.get(f"/api/stats/channel-shift?unit=hc2&{SPRING}")
    assert r.status_code == 403
    stats_client.post("/api/staff/logout", headers={"x-csrf-token": csrf})
    csrf = login(stats_client, seed["nurse1"])
    assert _import(stats_client, csrf, VISITS).status_code == 403
    assert stats_client.get(f"/api/stats/channel-shift?unit=hc1&{SPRING}").status_code == 403


def test_bad_queries_are_422(stats_client: TestClient, seed: Seed) -> None:
    """Bad dates, reversed periods and unknown buckets are 422; unknown units 404."""
    login(stats_client, seed["admin1"])
    for query, code in [
        ("unit=hc1&from=2026-3-1&to=2026-03-02", 422),
        ("unit=hc1&from=2026-03-02&to=2026-03-01", 422),
        (f"unit=hc1&{SPRING}&bucket=year", 422),
        (f"unit=zz&{SPRING}", 404),
    ]:
        assert stats_client.get(f"/api/stats/channel-shift?{query}").status_code == code


def test_operations_figures(stats_client: TestClient, seed: Seed) -> None:
    """Every operations figure of hc1 over the spring fortnight, worked out by hand."""
    login(stats_client, seed["manager1"])
    r = stats_client.get(f"/api/stats/operations?unit=hc1&{SPRING}")
    assert r.status_code == 200
    body = r.json()
    hours = body.pop("busiest_hours")
    expected_hours = {(5, 23): 1, (6, 1): 1, (6, 23): 1, (0, 0): 1, (1, 10): 1, (2, 12): 1}
    assert {
        (d, h): n for d, row in enumerate(hours) for h, n in enumerate(row) if n
    } == expected_hours
    n1, d1 = seed["nurse1"], seed["doctor1"]
    assert body == {
        "units": ["hc1"],
        "queue": None,
        "from": "2026-03-23",
        "to": "2026-04-05",
        "time_zone": "Europe/Stockholm",
        "contacts": 6,
        "emergency_advised": 1,
        "queued": 5,
        "picked": 4,
        "waiting_to_pick": {"count": 4, "median_s": 60, "p90_s": 300, "mean_s": 127.5},
        "first_staff_reply": {"count": 4, "median_s": 90, "p90_s": 321, "mean_s": 151.5},
        "handling": {"count": 4, "median_s": 600, "p90_s": 7200, "mean_s": 2350.0},
        "abandoned": {"count": 1, "rate": 0.2},
        "outcomes": {
            "resolved_in_chat": 2,
            "physical_visit_booked": 2,
            "video_visit_booked": 0,
            "phone_callback": 0,
            "referred_emergency": 1,
            "referred_other_unit": 0,
            "patient_left": 1,
            "no_response": 0,
            "open": 0,
        },
        "triage_levels": {
            "intake": {"emergency": 2, "urgent": 1, "standard": 3, "non_urgent": 0},
            "current": {"emergency": 2, "urgent": 2, "standard": 2, "non_urgent": 0},
        },
        "triage_overrides": {
            "up": 1,
            "down": 1,
            "contacts": 2,
            "transitions": [
                {"from": "standard", "to": "urgent", "count": 1},
                {"from": "urgent", "to": "standard", "count": 1},
            ],
        },
        "satisfaction": {"responses": 0, "eligible": 5, "mean_rating": None, "response_rate": 0.0},
        "concurrency": {
            "peak": 2,
            "staff": [
                {
                    "user_id": n1.id,
                    "display_name": n1.display_name,
                    "assignments": 3,
                    "peak": 2,
                    "mean": 1.01,
                },
                {
                    "user_id": d1.id,
                    "display_name": d1.display_name,
                    "assignments": 2,
                    "peak": 1,
                    "mean": 1.0,
                },
            ],
        },
    }


def test_operations_queue_filter(stats_client: TestClient, seed: Seed) -> None:
    """queue= narrows the contact figures to the contact's current queue."""
    login(stats_client, seed["admin1"])
    r = stats_client.get(f"/api/stats/operations?unit=hc1&queue=hc1:doctor&{SPRING}")
    body = r.json()
    assert (body["contacts"], body["waiting_to_pick"]["median_s"], body["handling"]["p90_s"]) == (
        1,
        300,
        1300,
    )
    assert (
        stats_client.get(f"/api/stats/operations?unit=hc1&queue=hc2:nurse&{SPRING}").status_code
        == 404
    )
