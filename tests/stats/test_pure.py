"""The pure statistics core, synchronously: days, buckets, percentiles, shares,
concurrency, import parsing, charts and the export table."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from chatserver.stats.channel_shift import ChatCounts, build_buckets, chat_by_day, chat_share
from chatserver.stats.charts import bar_chart, heatmap
from chatserver.stats.concurrency import Assignment, assignments_from_events, concurrency_by_staff
from chatserver.stats.operations import busiest_hours, override_direction
from chatserver.stats.percentiles import mean_of, percentile_of, summary_of
from chatserver.stats.store import ContactRow
from chatserver.stats.tables import channel_table, contact_export, to_csv
from chatserver.stats.timebuckets import (
    bucket_start,
    bucket_starts,
    check_whole_hour_zone,
    day_start_utc,
    parse_date,
    period_bounds,
)
from chatserver.stats.visits_import import parse_csv, parse_json
from tests.stats.fixtures import utc

H = 3600


def test_dst_days_have_23_and_25_hours() -> None:
    """Local days around the 2026 clock changes are 23 h and 25 h long."""
    assert day_start_utc(date(2026, 3, 29)) == utc("2026-03-28 23:00")
    assert day_start_utc(date(2026, 3, 30)) - day_start_utc(date(2026, 3, 29)) == 23 * H
    assert day_start_utc(date(2026, 10, 26)) - day_start_utc(date(2026, 10, 25)) == 25 * H
    assert period_bounds(date(2026, 10, 25), date(2026, 10, 25)) == (
        utc("2026-10-24 22:00"),
        utc("2026-10-25 23:00"),
    )


def test_bucket_starts() -> None:
    """Weeks start on the ISO Monday and months on the 1st, also across years."""
    assert bucket_start(date(2026, 3, 29), "week") == date(2026, 3, 23)
    assert bucket_start(date(2027, 1, 1), "week") == date(2026, 12, 28)
    assert bucket_start(date(2026, 3, 29), "month") == date(2026, 3, 1)
    assert bucket_starts(date(2026, 3, 28), date(2026, 4, 6), "week") == [
        date(2026, 3, 23),
        date(2026, 3, 30),
        date(2026, 4, 6),
    ]
    with pytest.raises(ValueError, match="unknown bucket"):
        bucket_start(date(2026, 1, 1), "year")


@pytest.mark.parametrize("text", ["2026-3-01", "2026-02-30", "20260301", "2026-03-01T00:00", ""])
def test_parse_date_is_strict(text: str) -> None:
    """Only real calendar dates written YYYY-MM-DD are accepted."""
    with pytest.raises(ValueError):  # noqa: PT011 - the message is datetime's own
        parse_date(text)


def test_whole_hour_guard() -> None:
    """Stockholm passes the whole-hour offset check; India (+05:30) does not."""
    check_whole_hour_zone(ZoneInfo("Europe/Stockholm"), 2026)
    with pytest.raises(ValueError, match="whole hours"):
        check_whole_hour_zone(ZoneInfo("Asia/Kolkata"), 2026)


def test_chat_by_day_maps_utc_hours_to_local_days() -> None:
    """22:00 UTC is the next local day in summer (+02) but not in winter (+01)."""
    summer = int(utc("2026-06-01 22:00") // H)
    winter = int(utc("2026-01-01 22:00") // H)
    one = ChatCounts(1, 1, 0)
    assert chat_by_day([(summer, one), (winter, one)]) == {
        date(2026, 6, 2): one,
        date(2026, 1, 1): one,
    }


def test_build_buckets_sums_and_shares() -> None:
    """Chat and visit counts add up per bucket; days outside the period are ignored."""
    chat = {date(2026, 3, 2): ChatCounts(3, 2, 1), date(2026, 3, 9): ChatCounts(1, 0, 0)}
    visits = {(date(2026, 3, 3), "physical"): 4, (date(2026, 3, 1), "phone"): 99}
    (b,) = build_buckets(date(2026, 3, 2), date(2026, 3, 8), "week", chat, visits)
    assert b.to_dict() == {
        "start": "2026-03-02",
        "chat_contacts": 3,
        "chat_resolved": 2,
        "shifted_from_physical": 1,
        "physical_visits": 4,
        "phone_contacts": 0,
        "video_visits": 0,
        "chat_share": 3 / 7,
        "visits_imported": True,
    }
    assert chat_share(0, 0, 0, 0) == 0.0
    assert chat_share(1, 1, 1, 1) == 0.25


def test_bucket_without_imported_visits_has_no_share() -> None:
    """Chat contacts but no visit counts: the contract's chat_share reads 1.0, the
    dashboard's share is None ("no data"); an imported 0 is data (share 1.0)."""
    chat = {date(2026, 3, 2): ChatCounts(3, 2, 1), date(2026, 3, 9): ChatCounts(2, 0, 0)}
    visits = {(date(2026, 3, 10), "physical"): 0}
    first, second = build_buckets(date(2026, 3, 2), date(2026, 3, 15), "week", chat, visits)
    assert (first.chat_share, first.visits_imported, first.known_share) == (1.0, False, None)
    assert (second.chat_share, second.visits_imported, second.known_share) == (1.0, True, 1.0)
    table = channel_table([first, second])
    assert [row[-1] for row in table.rows] == [None, 1.0]
    assert [row[0] for row in table.rows] == ["2026-03-02", "2026-03-09"]


def test_nearest_rank_percentiles() -> None:
    """Nearest rank: the smallest value with at least p % of values at or below it."""
    counts = {10: 1, 20: 1, 30: 1, 40: 1, 50: 1, 60: 1, 70: 1, 80: 1, 90: 1, 100: 1}
    assert (percentile_of(counts, 50), percentile_of(counts, 90), percentile_of(counts, 91)) == (
        50,
        90,
        100,
    )
    assert percentile_of({5: 3}, 50) == 5
    assert summary_of({}) == {"count": 0, "median_s": None, "p90_s": None, "mean_s": None}
    assert mean_of({1: 1, 2: 2}) == 1.7
    with pytest.raises(ValueError, match="p must be"):
        percentile_of(counts, 0)


def test_concurrency_sweep() -> None:
    """Peak and time-weighted mean per staff member; back-to-back is not overlap."""
    spans = [
        Assignment(1, 0, 100),
        Assignment(1, 50, 150),  # overlaps 50 s
        Assignment(1, 150, 200),  # starts exactly when the last one ends
        Assignment(2, 10, 10),  # zero length: ignored
    ]
    (one,) = concurrency_by_staff(spans)
    # Busy 0..200 = 200 s; weighted 100 + 50 + 50 (extra) = 250 → 1.25.
    assert (one.user_id, one.assignments, one.peak, one.mean) == (1, 3, 2, 1.25)


def test_override_direction_and_busiest_hours() -> None:
    """Raising urgency is 'up' (under-triage); local weekday and hour honour DST."""
    assert override_direction("standard", "urgent") == "up"
    assert override_direction("urgent", "non_urgent") == "down"
    assert override_direction("urgent", "urgent") is None
    assert override_direction("??", "urgent") is None
    grid = busiest_hours(
        {int(utc("2026-03-29 00:30") // H): 2, int(utc("2026-03-29 01:30") // H): 1}
    )
    # 00:30 UTC = 01:30 CET; 01:30 UTC = 03:30 CEST (02:xx never happened). Sunday = 6.
    assert (grid[6][1], grid[6][3], sum(map(sum, grid))) == (2, 1, 3)


def test_parse_json_reports_every_bad_row() -> None:
    """Each bad row is listed with its fields; duplicates of one key are refused."""
    row = {"date": "2026-03-02", "unit_id": "hc1", "channel": "phone", "count": 2}
    parsed = parse_json({"rows": [row, "x", {**row, "count": True}, dict(row)]})
    assert [(e.row, e.fields) for e in parsed.errors] == [
        (2, {"row": "an object"}),
        (3, {"count": "an integer from 0 to 1000000"}),
        (4, {"date": "same date, unit and channel as row 1"}),
    ]
    assert parse_json({"rows": {}}).problem == 'the body must be {"rows": [...]}'


def test_parse_csv_any_column_order_and_blank_lines() -> None:
    """Columns may come in any order; BOM and blank lines are tolerated."""
    parsed = parse_csv("\ufeffunit_id,count,date,channel\n\nhc1, 7 ,2026-03-02,video\n")
    assert parsed.ok
    assert [(r.unit_id, r.count, r.date, r.channel, r.row) for r in parsed.rows] == [
        ("hc1", 7, date(2026, 3, 2), "video", 2)
    ]
    bad = parse_csv("date,unit_id,channel,count\n2026-03-02,hc1,video\n2026-03-02,hc1,video,-1\n")
    assert [(e.row, e.fields) for e in bad.errors] == [
        (1, {"row": "4 columns"}),
        (2, {"count": "an integer from 0 to 1000000"}),
    ]


def test_charts_have_title_desc_and_no_style() -> None:
    """SVG charts name themselves for assistive technology and use no style attributes."""
    svg = bar_chart("c", "Andel / Share", ["v1", "v2"], [0.25, 0.5], percent=True)
    assert '<title id="c-title">Andel / Share</title>' in svg
    assert '<desc id="c-desc">2 staplar / bars. v1: 25.0 %, v2: 50.0 %</desc>' in svg
    assert 'aria-labelledby="c-title c-desc"' in svg
    assert "style" not in svg
    grid = [[0] * 24 for _ in range(7)]
    grid[2][9] = 4
    assert "Flest / most: ons 09:00, 4." in heatmap(
        "h", "T", ["mån", "tis", "ons", "tor", "fre", "lör", "sön"], grid
    )
    assert "&lt;b&gt;" in bar_chart("x", "<b>", [], [])


def test_contact_export_has_no_identifying_fields() -> None:
    """The export row has no name/text/age and gives the local hour only."""
    row = ContactRow(
        "hc1",
        "hc1:nurse",
        utc("2026-03-29 21:30"),
        "emergency_advised",
        None,
        "emergency",
        "emergency",
        "physical_visit",
        False,
        None,
        None,
        None,
        None,
    )
    table = contact_export([row])
    assert to_csv(table).splitlines()[1] == (
        "hc1,hc1:nurse,2026-03-29,23,sun,emergency_advised,referred_emergency,emergency,"
        "emergency,physical_visit,0,,,,0,0,0"
    )
    assert not {"name", "text", "age", "id", "contact_id"} & set(table.header)


def test_assignments_from_events() -> None:
    """A pick lasts until the contact's next transfer, requeue or close, else the period's end."""
    events = [
        ("a", "pick", 10.0, 1),
        ("a", "transfer", 40.0, 1),
        ("a", "pick", 50.0, 2),
        ("a", "close", 90.0, 2),
        ("b", "pick", 60.0, 1),  # still open
        ("c", "close", 5.0, None),  # closed without a pick: no assignment
    ]
    assert assignments_from_events(events, 100.0) == [
        Assignment(1, 10.0, 40.0),
        Assignment(2, 50.0, 90.0),
        Assignment(1, 60.0, 100.0),
    ]
