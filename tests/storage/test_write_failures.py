"""A database that cannot write is told apart from a failing operation.

Real failures, not mocks: SQLite's ``max_page_count`` makes the engine hit a
real ``SQLITE_FULL``, another connection holding the write lock past
``busy_timeout`` a real ``SQLITE_BUSY``, and ``pg_terminate_backend`` the
``admin_shutdown`` that a restarting PostgreSQL sends to every connection.
Each becomes a :class:`StorageUnavailable`, marks writes unhealthy, and the
same write retried afterwards is stored once. (tests/realserver/test_disk_full.py
fills a real filesystem.)
"""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest

from chatserver.metrics import Metrics
from chatserver.storage import Storage, StorageError, StorageUnavailable
from chatserver.storage.postgres import PostgresStorage
from chatserver.storage.postgres import unavailable as pg_unavailable
from chatserver.storage.sqlite import SqliteStorage
from chatserver.storage.sqlite_writer import unavailable as sqlite_unavailable
from chatserver.storage_watch import PROBE_IDLE_S, StorageWatch

from .factories import new_contact, patient_message, seed

BIG = "x" * 4000  # a message at the size limit: a few fill a page


async def _set_pragma(store: SqliteStorage, pragma: str) -> int:
    def run(conn: sqlite3.Connection) -> int:
        return int(conn.execute(f"PRAGMA {pragma}").fetchone()[0])

    return await store._writer.connection.run(run)


async def _stored(store: Storage, contact_id: str) -> list[str]:
    return [m.client_id for m in await store.messages_after(contact_id, 0)]


async def test_sqlite_full_is_unavailable_and_the_retry_stores_once(
    sqlite_storage: SqliteStorage,
) -> None:
    await seed(sqlite_storage)
    await sqlite_storage.create_contact(new_contact("c1"))
    pages = await _set_pragma(sqlite_storage, "page_count")
    await _set_pragma(sqlite_storage, f"max_page_count = {pages}")
    sent: list[str] = []
    refused: StorageUnavailable | None = None
    for i in range(200):  # the file may have a few free pages left
        sent.append(f"m{i}")
        try:
            await sqlite_storage.append_message(patient_message("c1", f"m{i}", BIG))
        except StorageUnavailable as exc:
            refused = exc
            break
    assert refused is not None
    assert "full" in str(refused)
    assert not sqlite_storage.write_health.healthy
    failed = sent[-1]
    assert failed not in await _stored(sqlite_storage, "c1")

    await _set_pragma(sqlite_storage, f"max_page_count = {pages + 1000}")
    again = await sqlite_storage.append_message(patient_message("c1", failed, BIG))
    assert not again.duplicate
    assert sqlite_storage.write_health.healthy
    assert await _stored(sqlite_storage, "c1") == sent  # each once, in order


async def test_sqlite_lock_held_too_long_is_unavailable(sqlite_storage: SqliteStorage) -> None:
    await seed(sqlite_storage)
    await sqlite_storage.create_contact(new_contact("c1"))
    await _set_pragma(sqlite_storage, "busy_timeout = 50")
    other = sqlite3.connect(sqlite_storage.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # e.g. an admin command line holding the lock
        with pytest.raises(StorageUnavailable):
            await sqlite_storage.append_message(patient_message("c1", "m1"))
        assert not sqlite_storage.write_health.healthy
        other.execute("COMMIT")
    finally:
        other.close()
    result = await sqlite_storage.append_message(patient_message("c1", "m1"))
    assert result.message.seq == 1
    assert sqlite_storage.write_health.healthy


async def test_an_operation_error_is_not_unavailable(sqlite_storage: SqliteStorage) -> None:
    """A bug (bad SQL) stays a plain StorageError and does not touch readiness."""
    with pytest.raises(StorageError) as caught:
        await sqlite_storage.run_write(lambda conn: conn.execute("SELECT * FROM no_such_table"))
    assert not isinstance(caught.value, StorageUnavailable)
    assert sqlite_storage.write_health.healthy


def test_classification_of_engine_errors() -> None:
    conn = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError) as missing:
        conn.execute("SELECT * FROM nothing_here")
    conn.close()
    assert not sqlite_unavailable(missing.value)  # "no such table": a bug, not an outage
    assert pg_unavailable(asyncpg.exceptions.AdminShutdownError("terminating connection"))
    assert pg_unavailable(asyncpg.exceptions.CannotConnectNowError("starting up"))
    assert pg_unavailable(asyncpg.exceptions.DiskFullError("no space left"))
    assert pg_unavailable(ConnectionRefusedError())
    assert pg_unavailable(asyncpg.InterfaceError("cannot call X: connection is closed"))
    assert not pg_unavailable(asyncpg.exceptions.UndefinedTableError("no table"))
    assert not pg_unavailable(asyncpg.exceptions.QueryCanceledError("statement timeout"))


async def test_watch_probes_when_idle_and_recovers(sqlite_storage: SqliteStorage) -> None:
    """Nobody writes any more (the load balancer took the instance out): the
    probe write finds that writes work again and readiness comes back."""
    watch = StorageWatch(sqlite_storage, Metrics())
    health = sqlite_storage.write_health
    health.failed()
    health.last_outcome_at -= PROBE_IDLE_S  # idle long enough
    assert not watch.writes_ok
    await watch.check_once()
    assert watch.writes_ok


async def test_postgres_restart_is_unavailable_then_heals(storage: Storage) -> None:
    """The server ends the connection under a write (as a restart or failover
    does: ``admin_shutdown``): the write fails as unavailable, the next one
    gets a new connection and succeeds."""
    if not isinstance(storage, PostgresStorage):
        pytest.skip("PostgreSQL only")
    await seed(storage)
    await storage.create_contact(new_contact("c1"))
    slow = asyncio.ensure_future(storage.run_write(lambda conn: conn.execute("SELECT pg_sleep(5)")))
    killer = await asyncpg.connect(storage.url)
    try:
        for _ in range(100):
            killed = await killer.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query LIKE '%pg_sleep(5)%'"
                " AND pid <> pg_backend_pid()"
            )
            if killed:
                break
            await asyncio.sleep(0.02)
    finally:
        await killer.close()
    with pytest.raises(StorageUnavailable):
        await slow
    assert not storage.write_health.healthy
    await storage.append_message(patient_message("c1", "m1"))
    assert storage.write_health.healthy
    assert await _stored(storage, "c1") == ["m1"]
