"""PostgreSQL backend across instances: two storages (two connection pools, as
two instances have) on one database racing for the same rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from chatserver.storage import Storage
from chatserver.storage.migrations import list_migrations
from chatserver.storage.postgres import PostgresStorage
from tests.storage.factories import T0, Seed, new_contact, patient_message, seed

pytestmark = pytest.mark.postgres


@pytest.fixture
async def two(pg_url: str) -> AsyncIterator[tuple[PostgresStorage, PostgresStorage, Seed]]:
    """Instance A's and instance B's storage, seeded through A."""
    a, b = PostgresStorage(pg_url), PostgresStorage(pg_url)
    await a.open()
    await b.open()
    try:
        yield a, b, await seed(a)
    finally:
        await a.close()
        await b.close()


def test_every_sqlite_migration_has_a_postgresql_twin() -> None:
    """migrations/postgresql mirrors migrations/sqlite version by version and name by name."""
    pg = [(m.version, m.name) for m in list_migrations("postgresql")]
    assert pg == [(m.version, m.name) for m in list_migrations("sqlite")]
    assert pg[0] == (1, "init")


async def test_open_twice_applies_each_migration_once(pg_url: str) -> None:
    """Opening the same database twice (two instances starting) records every migration once."""
    for _ in range(2):
        store = PostgresStorage(pg_url)
        await store.open()
        await store.close()
    store = PostgresStorage(pg_url)
    await store.open()
    try:
        async with store.pool.acquire() as conn:
            rows = await conn.fetch("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [(r[0], r[1]) for r in rows] == [
            (m.version, m.name) for m in list_migrations("postgresql")
        ]
    finally:
        await store.close()


async def test_concurrent_opens_migrate_once(pg_url: str) -> None:
    """Four instances opening a fresh database at once: the advisory lock lets one migrate."""
    stores = [PostgresStorage(pg_url) for _ in range(4)]
    await asyncio.gather(*(s.open() for s in stores))
    try:
        async with stores[0].pool.acquire() as conn:
            n = await conn.fetchval("SELECT COUNT(*) FROM schema_migrations")
        assert n == len(list_migrations("postgresql"))
    finally:
        for s in stores:
            await s.close()


async def test_picks_from_two_instances_never_collide(
    two: tuple[PostgresStorage, PostgresStorage, Seed],
) -> None:
    """60 waiting contacts, 120 concurrent picks split over two instances: each contact once."""
    a, b, people = two
    ids = {f"c{i:02d}" for i in range(60)}
    for i, cid in enumerate(sorted(ids)):
        await a.create_contact(new_contact(cid, priority_key=T0 + i))

    async def pick(store: Storage, user_id: int) -> str | None:
        got = await store.pick(["u1:nurse"], user_id=user_id, staff_name="x", at=T0 + 100)
        return None if got is None else got.id

    results = await asyncio.gather(
        *(pick(a if i % 2 else b, people.alice.id if i % 2 else people.bob.id) for i in range(120))
    )
    picked = [r for r in results if r is not None]
    assert sorted(picked) == sorted(ids)
    assert await a.count_waiting("u1:nurse") == 0


async def test_appends_from_two_instances_are_gapless(
    two: tuple[PostgresStorage, PostgresStorage, Seed],
) -> None:
    """200 concurrent appends to one contact through two instances: seqs 1..200, each once."""
    a, b, _ = two
    await a.create_contact(new_contact("c1"))
    results = await asyncio.gather(
        *(
            (a if i % 2 else b).append_message(patient_message("c1", f"m{i:03d}"))
            for i in range(200)
        )
    )
    assert sorted(r.message.seq for r in results) == list(range(1, 201))
    stored = await b.messages_after("c1", 0)
    assert [m.seq for m in stored] == list(range(1, 201))
    assert sorted(m.client_id for m in stored) == [f"m{i:03d}" for i in range(200)]
    assert (await a.get_contact("c1")).last_seq == 200  # type: ignore[union-attr]


async def test_the_same_resend_on_two_instances_is_stored_once(
    two: tuple[PostgresStorage, PostgresStorage, Seed],
) -> None:
    """One client_id sent to both instances at once: one row, one seq, one duplicate."""
    a, b, _ = two
    await a.create_contact(new_contact("c1"))
    for round_ in range(20):
        msg = patient_message("c1", f"dup{round_}")
        first, second = await asyncio.gather(a.append_message(msg), b.append_message(msg))
        assert first.message.seq == second.message.seq == round_ + 1
        assert sorted([first.duplicate, second.duplicate]) == [False, True]
    assert len(await a.messages_after("c1", 0)) == 20
