"""Bounded parameter parsing (chatserver.http.params) and the inputs the outside
run found 500s with (issue 20, point 6)."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.testclient import TestClient

from chatserver.errors import InvalidInput, NotFoundError
from chatserver.http import params
from tests.helpers import Seed, login

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "raw", ["", " ", "²", "٣", "+1", "1.0", "1e3", "0x10", "-1", HUGE, "9" * 5000, "1 ", "\x00"]
)
def test_parse_int_refuses(raw: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        params.parse_int(raw, "limit", low=0, high=10_000)
    assert exc.value.fields == {"limit": "an integer 0..10000"}


def test_parse_int_accepts_ascii_digits_in_range() -> None:
    assert params.parse_int("0042", "n", low=1, high=500) == 42
    assert params.parse_int("-5", "x", low=-10, high=10) == -5
    assert params.query_int({}, "n", low=1, high=5, default=3) == 3
    with pytest.raises(InvalidInput):
        params.query_int({}, "age", low=0, high=120)


def test_sql_id_fits_sqlite_and_postgres() -> None:
    assert params.sql_id(str(params.SQL_INT_MAX)) == 2**63 - 1
    for raw in (str(2**63), HUGE, "0", "-1", "²", "", "9" * 5000):
        assert params.sql_id(raw) is None
    with pytest.raises(NotFoundError) as exc:
        params.path_id({"user_id": HUGE}, "user_id", "unknown_user", "no such user")
    assert exc.value.code == "unknown_user"


def test_json_int() -> None:
    assert params.json_int(3, "rating", low=1, high=5) == 3
    for value in (True, 3.0, "3", None, 2**64, -1):
        with pytest.raises(InvalidInput):
            params.json_int(value, "rating", low=0, high=5)


def test_days_leave_room_at_both_ends_of_the_calendar() -> None:
    assert params.iso_day("1970-01-01") == date(1970, 1, 1)
    assert params.iso_day("9998-12-31") == date(9998, 12, 31)
    for raw in ("0001-01-01", "9999-12-31", "1969-12-31", "2026-02-30", "2026-1-01", "٢٠٢٦-01-01"):
        with pytest.raises(ValueError, match="date"):
            params.iso_day(raw)


def test_moments_convert_without_overflow() -> None:
    moment = params.parse_moment("9998-12-31T23:59:59-12:00", "to")
    assert moment.timestamp() > 0
    assert params.parse_moment("2026-03-29T02:30", "at").tzinfo is not None
    for raw in (
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-01:00",
        "2026-01-01T00:00:00+" + "0" * 60,
        "２０２６-01-01T00:00",
        "yesterday",
    ):
        with pytest.raises(InvalidInput):
            params.parse_moment(raw, "from")


def test_epoch_seconds() -> None:
    assert params.parse_epoch("1767225600", "from") == 1767225600.0
    assert params.parse_epoch("1.5", "from") == 1.5
    for raw in ("nan", "inf", "1e400", "-1", "²", "9" * 13, ""):
        with pytest.raises(InvalidInput):
            params.parse_epoch(raw, "to")


def test_reported_inputs_are_refused_with_documented_errors(client: TestClient, seed: Seed) -> None:
    """The outside run's examples: a 4xx with the documented code, not a 500."""
    csrf = login(client, seed["nurse1"])
    r = client.delete(f"/api/units/hc1/canned/{HUGE}", headers={"x-csrf-token": csrf})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_canned")

    csrf = login(client, seed["admin1"])
    r = client.patch(f"/api/admin/users/{HUGE}", json={}, headers={"x-csrf-token": csrf})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_user")
    r = client.post(
        "/api/admin/banners",
        json={"severity": "info", "message_sv": "Hej", "ends_at": "0001-01-01T00:00"},
        headers={"x-csrf-token": csrf},
    )
    assert (r.status_code, r.json()["error"]["fields"]) == (
        422,
        {"ends_at": "an ISO 8601 time, 1970-01-01..9998-12-31"},
    )
    r = client.put(
        "/api/admin/units/hc1/hours",
        json={"weekly": {}, "exceptions": {"0001-01-01": []}, "intake_stop_min": 2**64},
        headers={"x-csrf-token": csrf},
    )
    assert r.status_code == 422
    for query in ("limit=²", "limit=" + "9" * 5000, "to=9999-12-31", f"user={HUGE}"):
        r = client.get(f"/api/audit/events?{query}")
        assert r.status_code == 422 or (r.status_code == 200 and "user=" in query), query

    login(client, seed["manager1"])
    for path in ("operations", "channel-shift", "tables/concurrency.csv", "export/contacts.csv"):
        for day in ("0001-01-01", "9999-12-31"):
            r = client.get(f"/api/stats/{path}?unit=hc1&from={day}&to={day}")
            assert r.status_code == 422, (path, day, r.text)
            assert r.json()["error"]["code"] == "invalid_field"


def test_nul_in_path_or_query_is_refused_before_routing(client: TestClient, seed: Seed) -> None:
    """PostgreSQL text cannot hold U+0000: %00 never reaches a query, on either engine."""
    login(client, seed["admin1"])
    r = client.get("/api/admin/units/hc1%00/hours")
    assert (r.status_code, r.json()["error"]["fields"]) == (422, {"path": "no NUL character"})
    r = client.get("/api/audit/events?unit=hc1%00")
    assert (r.status_code, r.json()["error"]["fields"]) == (422, {"query": "no NUL character"})
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "x-request-id" in r.headers
