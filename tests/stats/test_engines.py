"""SQLite and PostgreSQL give identical statistics: the same generated region
(tests/stats/generated.py) loaded into both, and every figure the statistics
API returns compared, before and after changes to days the rollup has stored;
and the PostgreSQL fill never stores a day a concurrent write has changed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from chatserver.stats import Period, service
from chatserver.stats.records import ContactFilter
from chatserver.stats.rollup_sql import LOCK_NAMESPACE, store_day
from chatserver.stats.store import StatsStore
from chatserver.stats.tables import channel_table, contact_export, operations_tables, to_csv
from chatserver.stats.timebuckets import BUCKETS
from chatserver.stats.triage_safety import summarize
from chatserver.storage.plan import POSTGRES, Plan, execute, value
from chatserver.storage.postgres import PostgresStorage
from chatserver.storage.sqlite import SqliteStorage
from tests.stats.fixtures import C, load, utc
from tests.stats.generated import STAFF, UNITS, Region, directory, region

pytestmark = pytest.mark.postgres

N_CONTACTS = 600
LATER = utc("2027-06-01 00:00")  # every generated day has settled
SPRING = Period(date(2026, 3, 22), date(2026, 4, 5))
AUTUMN = Period(date(2026, 10, 18), date(2026, 11, 1))
PERIODS = (
    SPRING,
    AUTUMN,
    Period(date(2026, 3, 29), date(2026, 3, 29)),  # 23 hours
    Period(date(2026, 3, 30), date(2026, 3, 30)),
    Period(date(2026, 10, 25), date(2026, 10, 25)),  # 25 hours
    Period(date(2026, 1, 1), date(2026, 12, 31)),
)
# (units, queue) as the dashboard's filters ask.
SCOPES: tuple[tuple[tuple[str, ...], str | None], ...] = (
    (UNITS, None),
    (("hc1",), None),
    (("hc2", "hc3"), None),
    (("hc1",), "hc1:doctor"),
    (("hc3",), "hc3:psych"),
)


@asynccontextmanager
async def _engines(tmp_path: Path, pg_url: str, data: Region) -> AsyncIterator[list[Any]]:
    """Both engines, opened, holding ``data``."""
    engines: list[Any] = [SqliteStorage(tmp_path / "chat.sqlite"), PostgresStorage(pg_url)]
    for storage in engines:
        await storage.open()
    try:
        ids = [await directory(s) for s in engines]
        assert ids[0] == ids[1]
        for storage in engines:
            await storage.write(load(data.contacts, ids[0], data.answers))
            await StatsStore(storage).upsert_visits(data.visits, at=0.0, user_id=None)
        yield engines
    finally:
        for storage in engines:
            await storage.close()


async def _figures(store: StatsStore, periods: Sequence[Period] = PERIODS) -> dict[str, Any]:
    """Every figure the routes return (operations, its tables, channel shift
    per bucket, triage safety, the per-contact export) for each period and scope."""
    out: dict[str, Any] = {}
    for p in periods:
        start, end = p.bounds
        for units, queue in SCOPES:
            key = f"{p.first}/{p.last} {','.join(units)} {queue}"
            ops = await service.operations(store, units, p, queue)
            out[f"{key} operations"] = ops
            out[f"{key} tables"] = [to_csv(t) for t in operations_tables(ops).values()]
            f = ContactFilter(units, start, end, queue)
            out[f"{key} triage safety"] = summarize(await store.safety_events(f))
            out[f"{key} export"] = to_csv(contact_export(await store.contact_rows(f, 10_000)))
            if queue is None:
                for bucket in BUCKETS:
                    buckets = await service.channel_shift(store, units, p, bucket)
                    out[f"{key} {bucket}"] = [b.to_dict() for b in buckets]
                    out[f"{key} {bucket} table"] = to_csv(channel_table(buckets))
    return out


async def _marks(storage: Any) -> int:
    marked: int = await storage.read(_value("SELECT COUNT(*) FROM stats_rollup_days"))
    return marked


def _value(sql: str, *params: Any) -> Plan[Any]:
    got = yield value(sql, *params)
    return got


def _changes(data: Region) -> Plan[None]:
    """Reopen a closed chat, re-triage another by staff, add a contact at a
    local midnight and delete a third one: all on days already stored."""
    closed = [c for c in data.contacts if c.status == "closed" and c.picked is not None]
    reopened, retriaged, deleted = closed[3], closed[40], closed[77]
    yield execute(
        "UPDATE contacts SET status = 'assigned', outcome = NULL, closed_at = NULL WHERE id = ?",
        reopened.id,
    )
    yield execute(
        "INSERT INTO contact_events (contact_id, at, kind, actor_user_id, data)"
        ' VALUES (?, ?, \'triage_change\', 1, \'{"from": "standard", "to": "urgent"}\')',
        retriaged.id,
        retriaged.created + 100,
    )
    yield execute("UPDATE contacts SET level = 'urgent' WHERE id = ?", retriaged.id)
    late = C("late", utc("2026-10-24 22:00"), unit="hc2", queue="hc2:nurse", queued=5.0)
    late.status, late.outcome = "queued", None
    yield from load([late], {})
    for table in ("survey_answers", "contact_events"):
        yield execute(f"DELETE FROM {table} WHERE contact_id = ?", deleted.id)
    yield execute("DELETE FROM contacts WHERE id = ?", deleted.id)


async def test_engines_give_identical_figures(tmp_path: Path, pg_url: str) -> None:
    """600 generated contacts: every figure is the same on SQLite and PostgreSQL,
    stored or computed, also after changes to stored days."""
    data = region(N_CONTACTS, seed=2026)
    async with _engines(tmp_path, pg_url, data) as engines:
        stored = [StatsStore(s, clock=lambda: LATER) for s in engines]
        fresh = [StatsStore(s, rollup=False) for s in engines]
        lite, pg = [await _figures(s) for s in stored]
        assert lite == pg
        year = lite[f"2026-01-01/2026-12-31 {','.join(UNITS)} None operations"]
        # The data exercise every part: all contacts, overrides, transfers, answers.
        assert year["contacts"] == N_CONTACTS
        assert year["triage_overrides"]["contacts"] > 10
        assert len(year["concurrency"]["staff"]) == len(STAFF)
        assert year["satisfaction"]["responses"] > 50
        assert lite[f"{SPRING.first}/{SPRING.last} hc1 None triage safety"]["screens_yes"] > 0
        marks = [await _marks(s) for s in engines]
        assert marks == [len(UNITS) * 365] * 2  # the year's unit-days, empty ones too
        assert await _figures(fresh[1], [SPRING, AUTUMN]) == await _figures(
            stored[1], [SPRING, AUTUMN]
        )

        for storage in engines:
            await storage.write(_changes(data))
        changed = [await _marks(s) for s in engines]
        assert changed[0] == changed[1] < marks[0]  # the same days dropped on both
        lite, pg = [await _figures(s) for s in stored]
        assert lite == pg
        assert [await _marks(s) for s in engines] == marks
        for rolled, computed in zip(stored, fresh, strict=True):
            assert await _figures(rolled, [SPRING, AUTUMN]) == await _figures(
                computed, [SPRING, AUTUMN]
            )


async def test_fill_never_waits_and_writes_wait_for_a_fill(tmp_path: Path, pg_url: str) -> None:
    """While another transaction holds a unit's fill lock, the fill stores
    nothing (the figures are computed instead), and a write of the unit's
    contacts waits until that transaction ends and then drops its new mark."""
    data = region(120, seed=7)
    async with _engines(tmp_path, pg_url, data) as (_, storage):
        store = StatsStore(storage, clock=lambda: LATER)
        reference = StatsStore(storage, rollup=False)
        expected = await service.operations(reference, ["hc1"], SPRING)
        day = SPRING.first
        holder = await asyncpg.connect(pg_url)
        try:
            async with holder.transaction():  # as a fill of hc1 on another instance
                await holder.execute(
                    "SELECT pg_advisory_xact_lock($1, hashtext($2))", LOCK_NAMESPACE, "hc1"
                )
                assert await storage.write(store_day(POSTGRES, ["hc1"], day, 0.0)) is None
                assert await service.operations(store, ["hc1"], SPRING) == expected
                assert await _marks(storage) == 0
                assert await storage.write(store_day(POSTGRES, ["hc2"], day, 0.0)) == 1
                await holder.execute(
                    "INSERT INTO stats_rollup_days (unit_id, day, computed_at)"
                    " VALUES ('hc1', $1, 0)",
                    day.isoformat(),
                )
                late = C("late", SPRING.bounds[0] + 60, queue="hc1:doctor")
                write = asyncio.create_task(storage.write(load([late], {})))
                await asyncio.sleep(0.3)  # a window: the write must NOT finish under the lock
                assert not write.done()
            await write
        finally:
            await holder.close()
        assert await _marks(storage) == 1  # hc1's mark dropped after the commit, hc2's kept
        expected = await service.operations(reference, ["hc1"], SPRING)
        assert expected["contacts"] == 1 + sum(
            1
            for c in data.contacts
            if c.unit == "hc1" and SPRING.bounds[0] <= c.created < SPRING.bounds[1]
        )
        assert await service.operations(store, ["hc1"], SPRING) == expected
        assert await _marks(storage) == 1 + 15  # hc1's fifteen days stored now
