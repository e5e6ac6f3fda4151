"""Swedish public holidays close a unit (migration 0018): the pure calendar and
hours, the admin API's flag and list, the intake gate, and the sweep that
brings a change made elsewhere (the command line) to a running service."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

import pytest
from starlette.testclient import TestClient

from chatserver.admin.holiday_store import set_public_holidays
from chatserver.admin.hours import DEFAULT_HOURS, Hours, status
from chatserver.admin.hours_text import describe_week
from chatserver.admin.public_holidays import holiday_name, next_holidays, swedish_holidays
from chatserver.cli.common import add_unit
from tests.helpers import Seed, intake_body

from .util import Clock, local, run, sign_in, state_of, sweep

FOLLOWING = replace(DEFAULT_HOURS, public_holidays=True)


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 12, 24), "Julafton"),  # a Thursday
        (date(2026, 6, 19), "Midsommarafton"),  # a Friday
        (date(2027, 1, 6), "Trettondedag jul"),  # a Wednesday
        (date(2026, 12, 31), "Nyårsafton"),
        (date(2026, 4, 3), "Långfredagen"),
        (date(2026, 5, 14), "Kristi himmelsfärdsdag"),
    ],
)
def test_holidays_close_a_weekday(day: date, name: str) -> None:
    assert holiday_name(day) == name
    assert day.weekday() < 5
    assert FOLLOWING.intervals_on(day) == ()
    assert DEFAULT_HOURS.intervals_on(day) == ((time(8, 0), time(17, 0)),)


def test_ordinary_days_and_sundays_are_not_holidays() -> None:
    """A plain Tuesday is open; ordinary Sundays are not in the calendar (the
    weekly hours close them), only named ones like påskdagen."""
    assert holiday_name(date(2026, 11, 24)) is None
    assert FOLLOWING.intervals_on(date(2026, 11, 24)) == ((time(8, 0), time(17, 0)),)
    year = swedish_holidays(2026)
    assert date(2026, 11, 29) not in year  # first Sunday of Advent
    sundays = {d for d in year if d.weekday() == 6}
    assert {year[d] for d in sundays} == {"Påskdagen", "Pingstdagen"}
    assert len(year) == 16  # 13 public holidays + the three eves


def test_an_exception_on_a_holiday_wins() -> None:
    """An exception that opens julafton morning beats the holiday."""
    hours = Hours(
        weekly=DEFAULT_HOURS.weekly,
        exceptions={date(2026, 12, 24): ((time(8, 0), time(12, 0)),)},
        public_holidays=True,
    )
    assert hours.intervals_on(date(2026, 12, 24)) == ((time(8, 0), time(12, 0)),)
    assert hours.intervals_on(date(2026, 12, 25)) == ()
    at = local(datetime(2026, 12, 24, 9, 0))
    assert status(hours, at, 15).open is True
    assert status(FOLLOWING, at, 15).open is False


def test_next_opening_skips_the_christmas_holidays() -> None:
    """Closed from julafton (Thu) to annandag jul (Sat) and the Sunday: opens Monday 28th."""
    st = status(FOLLOWING, local(datetime(2026, 12, 23, 18, 0)), 15)
    assert st.open is False
    assert st.next_open == local(datetime(2026, 12, 28, 8, 0))


def test_next_holidays_cross_the_new_year() -> None:
    got = next_holidays(date(2026, 12, 26), 4)
    assert got == [
        (date(2026, 12, 26), "Annandag jul"),
        (date(2026, 12, 31), "Nyårsafton"),
        (date(2027, 1, 1), "Nyårsdagen"),
        (date(2027, 1, 6), "Trettondedag jul"),
    ]
    assert next_holidays(date(2026, 1, 1), 0) == []


def test_week_described_for_the_command_line() -> None:
    assert describe_week(DEFAULT_HOURS) == "mon–fri 08:00–17:00; sat–sun closed"
    split = Hours(
        weekly={
            0: ((time(8, 0), time(12, 0)), (time(13, 0), None)),
            6: ((time(10, 0), time(14, 0)),),
        }
    )
    assert describe_week(split) == ("mon 08:00–12:00, 13:00–24:00; tue–sat closed; sun 10:00–14:00")


def _add_hc3(client: TestClient) -> None:
    run(client, add_unit, state_of(client).storage, "hc3", "Hälsocentralen Tre", always_open=False)


def test_admin_api_shows_and_changes_the_flag(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """Julafton 10:00: a following unit refuses intake; switched off in the admin
    API it takes the chat; the unit lists the next holidays."""
    _add_hc3(app_client)
    clock.set(local(datetime(2026, 12, 24, 10, 0)))
    admin = sign_in(app_client, seed["admin1"], clock)
    r = app_client.get("/api/admin/units/hc3/hours")
    assert r.status_code == 200
    body = r.json()
    assert (body["public_holidays"], body["open"]) == (True, False)
    assert body["next_holidays"][:2] == [
        {"date": "2026-12-24", "name": "Julafton"},
        {"date": "2026-12-25", "name": "Juldagen"},
    ]
    assert len(body["next_holidays"]) == 5
    r = app_client.post("/api/contacts", json=intake_body(unit_id="hc3"))
    assert (r.status_code, r.json()["error"]["code"]) == (409, "unit_closed")
    assert r.json()["error"]["next_open"] == "2026-12-28T08:00:00+01:00"

    r = app_client.patch("/api/admin/units/hc3", json={"public_holidays": False}, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["public_holidays"], r.json()["open"]) == (False, True)
    r = app_client.post("/api/contacts", json=intake_body(unit_id="hc3"))
    assert r.status_code == 201
    listed = {u["id"]: u for u in app_client.get("/api/admin/units").json()["units"]}
    assert listed["hc3"]["public_holidays"] is False
    assert listed["hc1"]["public_holidays"] is True

    r = app_client.patch("/api/admin/units/hc3", json={"public_holidays": "no"}, headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_field")
    r = app_client.patch("/api/admin/units/hc3", json={"public_holidays": True}, headers=admin)
    assert r.json()["public_holidays"] is True
    r = app_client.post("/api/contacts", json=intake_body(unit_id="hc3"))
    assert r.status_code == 409


def test_unit_created_opted_out(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    admin = sign_in(app_client, seed["admin1"], clock)
    body = {"id": "hc4", "name": "Fyran", "public_holidays": False, "rollout": "live"}
    r = app_client.post("/api/admin/units", json=body, headers=admin)
    assert r.status_code == 201, r.text
    assert r.json()["public_holidays"] is False
    clock.set(local(datetime(2026, 6, 19, 9, 0)))  # midsommarafton
    assert app_client.post("/api/contacts", json=intake_body(unit_id="hc4")).status_code == 201


def test_a_change_elsewhere_arrives_with_the_sweep(app_client: TestClient, clock: Clock) -> None:
    """The command line writes the flag; the running service sees it after a sweep."""
    _add_hc3(app_client)
    storage = state_of(app_client).storage
    clock.set(local(datetime(2027, 1, 6, 9, 0)))  # trettondedag jul
    assert app_client.post("/api/contacts", json=intake_body(unit_id="hc3")).status_code == 409
    assert run(app_client, storage.write, set_public_holidays("hc3", False)) is True
    assert run(app_client, storage.write, set_public_holidays("nope", False)) is False
    sweep(app_client, clock())
    assert app_client.post("/api/contacts", json=intake_body(unit_id="hc3")).status_code == 201
