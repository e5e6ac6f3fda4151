"""The statistics rollup (migration 0006) answers exactly as the cells computed
from the contacts on the spot (``StatsStore(rollup=False)``),
also after contacts arrive, close, change or disappear on days already stored."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from chatserver.stats import Period, channel_shift, operations
from chatserver.stats.channel_shift import ChatCounts
from chatserver.stats.concurrency import Assignment, concurrency_by_staff
from chatserver.stats.rollup import (
    Cell,
    days_of,
    decode_assignments,
    encode,
    merge_histograms,
    merge_hours,
    merge_totals,
)
from chatserver.stats.store import StatsStore
from chatserver.stats.timebuckets import period_bounds
from chatserver.storage.sqlite import SqliteStorage
from loadtests.stats_generate import generate
from tests.stats.fixtures import utc

YEAR = Period(date(2025, 12, 31), date(2027, 1, 1))
LATER = utc("2028-01-01 00:00")  # every generated day has settled


async def _answers(store: StatsStore, units: list[str]) -> list[Any]:
    """Every view the dashboard asks for: all units, one unit, one queue, a DST week."""
    march = Period(date(2026, 3, 23), date(2026, 3, 31))
    queue = f"{units[0]}:nurse"
    return [
        await operations(store, units, YEAR),
        await operations(store, units[:1], YEAR),
        await operations(store, units, YEAR, queue),
        await operations(store, units, march),
        await channel_shift(store, units, YEAR, "day"),
        await channel_shift(store, units[1:], march, "week"),
    ]


def _with_stores(db: Path, body: Callable[..., Any], clock: float = LATER) -> Any:
    async def run() -> Any:
        storage = SqliteStorage(db, synchronous="NORMAL")
        await storage.open()
        try:
            rolled = StatsStore(storage, clock=lambda: clock)
            raw = StatsStore(storage, rollup=False)
            return await body(rolled, raw, await raw.unit_ids())
        finally:
            await storage.close()

    return asyncio.run(run())


def _marked(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM stats_rollup_days").fetchone()[0])
    finally:
        conn.close()


def _change(db: Path, *statements: tuple[str, tuple[Any, ...]]) -> None:
    """Change the data behind the server's back, as another writer would."""
    conn = sqlite3.connect(db)
    with conn:
        for sql, params in statements:
            conn.execute(sql, params)
    conn.close()


def test_rollup_equals_raw_and_follows_changes(tmp_path: Path) -> None:
    """Stored days answer as computed ones; new, closed, re-triaged and deleted contacts show up."""
    db = tmp_path / "region.db"
    generate(db, 3000, 3, seed=11)

    async def compare(rolled: StatsStore, raw: StatsStore, units: list[str]) -> bool:
        return await _answers(rolled, units) == await _answers(raw, units)

    assert _with_stores(db, compare)
    stored = _marked(db)
    assert stored == 3 * 367  # 3 units × the 367 days of the period, empty days included

    conn = sqlite3.connect(db)
    victim, unit, created = conn.execute(
        "SELECT id, unit_id, created_at FROM contacts WHERE status = 'closed'"
        " AND first_picked_at IS NOT NULL ORDER BY created_at LIMIT 1 OFFSET 500"
    ).fetchone()
    other = conn.execute(
        "SELECT id FROM contacts WHERE status = 'closed' ORDER BY created_at LIMIT 1 OFFSET 900"
    ).fetchone()[0]
    staff = conn.execute("SELECT MIN(id) FROM users").fetchone()[0]
    conn.close()
    # Reopen a stored contact (it counts as open, its assignment runs to the period's end) ...
    _change(
        db,
        (
            "UPDATE contacts SET status = 'assigned', outcome = NULL, closed_at = NULL"
            " WHERE id = ?",
            (victim,),
        ),
    )
    assert _marked(db) < stored
    assert _with_stores(db, compare)
    # ... then close it differently, re-triage it by staff, add a contact on a
    # stored day and delete another one.
    _change(
        db,
        (
            "UPDATE contacts SET status = 'closed', outcome = 'phone_callback',"
            " closed_at = first_picked_at + 1234.5, level = 'urgent' WHERE id = ?",
            (victim,),
        ),
        (
            "INSERT INTO contact_events (contact_id, at, kind, actor_user_id, data)"
            ' VALUES (?, ?, \'triage_change\', ?, \'{"from": "standard", "to": "urgent"}\')',
            (victim, created + 60, staff),
        ),
        (
            "INSERT INTO contacts (id, unit_id, queue_id, status, level, intake_level, tags,"
            " reasons, lang, age, name, text, would_otherwise, created_at, queued_at)"
            " VALUES ('late', ?, ?, 'queued', 'standard', 'standard', '[]', '[]', 'sv', 40,"
            " 'Namn', 'Text', 'physical_visit', ?, ?)",
            (unit, f"{unit}:nurse", created + 5, created + 6),
        ),
        ("DELETE FROM contact_events WHERE contact_id = ?", (other,)),
        ("DELETE FROM contacts WHERE id = ?", (other,)),
    )
    assert _with_stores(db, compare)
    assert _marked(db) == stored


def test_unsettled_days_are_computed_not_stored(tmp_path: Path) -> None:
    """With the clock mid-year, later days are read from the contacts and not stored."""
    db = tmp_path / "region.db"
    generate(db, 1500, 2, seed=5)

    async def compare(rolled: StatsStore, raw: StatsStore, units: list[str]) -> bool:
        return await _answers(rolled, units) == await _answers(raw, units)

    assert _with_stores(db, compare, clock=utc("2026-07-01 12:00"))
    # 2025-12-31 … 2026-06-29 settled (a day settles 24 h after its end): 181 days × 2 units.
    assert _marked(db) == 2 * 181


def test_cell_packing_round_trip() -> None:
    """Packed cells merge to the sums, histograms and clipped intervals they came from."""
    a = Cell("hc1", date(2026, 3, 29), "hc1:nurse", totals=[1, 2, 3])
    a.hours = {493_000: ChatCounts(2, 1, 0)}
    a.waiting = {30: 2, 60: 1}
    a.assignments = [
        (7, 100.0, 200.0),
        (7, 150.0, float("inf")),  # still open: ends at the period's end
        (7, 190.0, 250.0),  # picked after the period's end: nothing left
        (3, 10.0, 20.0),
        (3, 30.0, 30.0),  # no length: left out
    ]
    b = Cell("hc1", date(2026, 3, 30), "hc1:nurse", totals=[10, 0, 1], waiting={60: 1})
    rows = [encode(a), encode(b)]
    assert merge_totals((r[0] for r in rows), 3) == [11, 2, 4]
    assert merge_hours(r[2] for r in rows) == {493_000: 1}  # resolved in chat
    assert merge_histograms(r[4] for r in rows) == {30: 2, 60: 2}
    spans = decode_assignments([r[9] for r in rows], 180.0)
    got = zip(spans.users.tolist(), spans.starts.tolist(), spans.ends.tolist(), strict=True)
    assert sorted(got) == [(3, 10.0, 20.0), (7, 100.0, 180.0), (7, 150.0, 180.0)]
    assert spans.members() == [3, 7]


def test_days_of_local_periods() -> None:
    """Local-midnight bounds give their days (DST day included); other bounds give None."""
    start, end = period_bounds(date(2026, 3, 28), date(2026, 3, 30))
    assert days_of(start, end) == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
    assert days_of(start + 3600, end) is None
    assert days_of(start, end - 60) is None


def test_concurrency_sweep_matches_edge_order() -> None:
    """Ends before starts at one instant; overlaps and a gap give peak 3 and the weighted mean."""
    spans = [
        Assignment(1, 0.0, 10.0),
        Assignment(1, 10.0, 20.0),  # starts as the first ends: not two at once
        Assignment(1, 12.0, 30.0),
        Assignment(1, 14.0, 16.0),
        Assignment(1, 40.0, 50.0),
    ]
    (one,) = concurrency_by_staff(spans)
    # busy 0–30 and 40–50 = 40 s; weighted 10 + 10 + 18 + 2 + 10 = 50 → 1.25
    assert (one.assignments, one.peak, one.mean) == (5, 3, 1.25)


def _edge_sweep(spans: list[tuple[float, float]]) -> tuple[int, float]:
    """The sweep as defined: edges in time order, an end before a start at one instant."""
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    open_now = peak = 0
    busy = weighted = 0.0
    last = edges[0][0]
    for at, step in edges:
        if open_now > 0:
            busy += at - last
            weighted += open_now * (at - last)
        open_now += step
        peak = max(peak, open_now)
        last = at
    return peak, round(weighted / busy, 2)


def test_counting_sweep_equals_edge_sweep() -> None:
    """On 2,000 random sets (ties, nesting, real time stamps) peak and mean equal the edge sweep."""
    rng = random.Random(3)
    for _ in range(2000):
        spans = []
        for _ in range(rng.randint(1, 40)):
            start = rng.choice([float(rng.randint(0, 100)), 1.7e9 + rng.random() * 5000])
            spans.append(
                (start, start + rng.choice([rng.randint(1, 30), rng.random() * 900 + 0.5]))
            )
        (got,) = concurrency_by_staff(Assignment(1, s, e) for s, e in spans)
        assert (got.peak, got.mean) == _edge_sweep(spans)


def test_counting_sweep_deep_nesting_and_idle_gaps() -> None:
    """Twelve nested assignments peak at 12; back-to-back ones and an idle gap count once."""
    nested = [Assignment(7, float(i), 100.0 - i) for i in range(12)]
    tail = [Assignment(7, 100.0, 110.0), Assignment(7, 110.0, 120.0), Assignment(7, 200.0, 210.0)]
    (got,) = concurrency_by_staff(nested + tail)
    # busy 0–120 and 200–210 = 130 s; weighted = lengths 100+98+…+78 (1068) + 30 = 1098
    assert (got.user_id, got.assignments, got.peak, got.mean) == (7, 15, 12, 8.45)


def test_sweep_of_many_staff_at_once_equals_each_alone() -> None:
    """Interleaved staff (small and sparse ids) get the figures of their own edge sweep."""
    rng = random.Random(11)
    for users in ([1, 2, 3, 9], [5, 10**12, 7]):  # 10**12: ids too spread for a count table
        for _ in range(200):
            spans = [
                Assignment(rng.choice(users), start, start + rng.choice([5.0, rng.random() * 60]))
                for start in (float(rng.randint(0, 200)) for _ in range(rng.randint(1, 60)))
            ]
            got = concurrency_by_staff(reversed(spans))  # input order does not matter
            want = {
                u: _edge_sweep([(a.start, a.end) for a in spans if a.user_id == u])
                for u in sorted({a.user_id for a in spans})
            }
            assert [(g.user_id, g.peak, g.mean) for g in got] == [(u, *want[u]) for u in want]
            assert [g.assignments for g in got] == [
                sum(a.user_id == u for a in spans) for u in want
            ]


def test_histogram_merge_of_widely_spread_values() -> None:
    """Values too far apart for a count table are counted by sorting, with the same result."""
    a = Cell("hc1", date(2026, 1, 5), "hc1:nurse", waiting={0: 2, 2_000_000_000: 1})
    b = Cell("hc1", date(2026, 1, 6), "hc1:nurse", waiting={7: 1, 2_000_000_000: 2})
    assert merge_histograms(encode(x)[4] for x in (a, b)) == {0: 2, 7: 1, 2_000_000_000: 3}
    assert merge_histograms([]) == {}
