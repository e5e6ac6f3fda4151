"""The SQLite storage backend (the default, embedded store).

* One writer (:mod:`.sqlite_writer`): every write is a plan queued to a
  single connection and group-committed in ``BEGIN IMMEDIATE`` transactions;
  callers are answered only after COMMIT.
* ``readers`` read-only connections, used round-robin; reads never queue
  behind writes (WAL mode lets them run during a write transaction).
* WAL, ``foreign_keys=ON``, ``busy_timeout`` so the admin CLI can write while
  the server runs, ``synchronous`` NORMAL or FULL.
* The schema comes from numbered files in ``migrations/sqlite`` (:mod:`.migrations`).

The operations themselves are :class:`~.planned.PlannedStorage`'s; message
appends take the writer's batched path (:mod:`.sqlite_messages`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from chatserver.logs import get_logger

from .base import AppendResult, NewMessage, StorageError
from .health import WriteHealth
from .migrations import apply_sqlite, list_migrations
from .plan import SQLITE, Plan, run_sync
from .planned import PlannedStorage
from .sqlite_connection import SYNCHRONOUS_MODES, ThreadConnection
from .sqlite_writer import SqliteWriter, WriterStats

__all__ = ["SqliteStorage"]

T = TypeVar("T")
log = get_logger("chatserver.storage.sqlite")

# wal_checkpoint(TRUNCATE) tries after a purge while a reader holds an old snapshot.
CHECKPOINT_ATTEMPTS = 5


class SqliteStorage(PlannedStorage):
    """:class:`~chatserver.storage.base.Storage` on one SQLite file."""

    dialect = SQLITE

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "FULL",
        readers: int = 2,
        max_batch: int = 256,
    ) -> None:
        if synchronous.upper() not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {SYNCHRONOUS_MODES}")
        if readers < 1:
            raise ValueError("readers must be at least 1")
        self.path = Path(path)
        self._synchronous = synchronous.upper()
        self._writer = SqliteWriter(max_batch=max_batch)
        self._readers = [ThreadConnection(f"sqlite-reader-{i}") for i in range(readers)]
        self._next_reader = itertools.cycle(self._readers)
        self._open = False
        self._used = False

    @property
    def stats(self) -> WriterStats:
        """Writer counters: committed transactions and operations."""
        return self._writer.stats

    # -- running plans (the Database port) --------------------------------

    async def read(self, plan: Plan[T], *, snapshot: bool = False) -> T:
        """Run a read-only plan on a reader connection, in one read transaction
        (one WAL snapshot for all its statements, whatever ``snapshot`` says:
        on SQLite it costs two statements on the same thread)."""
        return await self._read(lambda conn: _in_snapshot(conn, plan))

    async def write(self, plan: Plan[T]) -> T:
        """Run a plan through the single writer, group-committed."""
        return await self._writer.submit(lambda conn: run_sync(conn, plan))

    async def run_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on a read-only connection (being replaced by :meth:`read`)."""
        return await self._read(fn)

    async def run_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` through the single writer (being replaced by :meth:`write`)."""
        return await self._writer.submit(fn)

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if not self._open:
            raise StorageError("storage is not open")
        return await next(self._next_reader).run(fn)

    # -- life cycle -------------------------------------------------------

    async def open(self) -> None:
        """Create the directory and file if needed, apply migrations, connect.
        An instance is opened once; after close() build a new one."""
        if self._open:
            return
        if self._used:
            raise StorageError("a closed SqliteStorage cannot be reopened; make a new one")
        self._used = True
        migrations = list_migrations("sqlite")
        try:
            await asyncio.to_thread(_create_private, self.path)
            await self._writer.connection.open_writer(self.path, self._synchronous)
            await self._writer.connection.run(lambda conn: apply_sqlite(conn, migrations))
            for reader in self._readers:
                await reader.open_reader(self.path)
        except BaseException:
            await self._close_connections()
            raise
        self._writer.start()
        self._open = True

    async def _shutdown(self) -> None:
        """Drain the writer, then close every connection."""
        if self._open:
            self._open = False
            await self._writer.stop()
            await self._close_connections()

    async def _close_connections(self) -> None:
        for reader in self._readers:
            await reader.close()
        await self._writer.connection.close()

    async def erase_freed(self, tables: Sequence[str]) -> bool:
        """Checkpoint every WAL frame into the main file and truncate the WAL to
        zero bytes (``secure_delete``, set on every connection, has zeroed the
        overwritten content in the pages). Runs on the writer's thread between
        two write transactions; waits up to ``busy_timeout`` for readers, and
        tries again a few times if one still held an old snapshot."""
        if not self._open:
            raise StorageError("storage is not open")
        for attempt in range(CHECKPOINT_ATTEMPTS):
            try:
                busy, _, _ = await self._writer.connection.run(
                    lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                )
            except sqlite3.Error as exc:
                log.warning("wal_checkpoint_failed", error=type(exc).__name__)
                return False
            if not busy:
                return True
            await asyncio.sleep(0.05 * (attempt + 1))
        log.warning("wal_checkpoint_busy", attempts=CHECKPOINT_ATTEMPTS)
        return False

    async def ping(self) -> bool:
        try:
            return await self._read(lambda c: c.execute("SELECT 1").fetchone() == (1,))
        except (sqlite3.Error, StorageError):
            return False

    @property
    def write_health(self) -> WriteHealth:
        return self._writer.health

    async def probe_write(self) -> None:
        """Rewrite the header's ``application_id`` (unused, 0) through the
        writer: a real one-page commit, so it fails while the disk is full
        (once the WAL cannot grow) and its success marks writes healthy."""
        await self._writer.submit(_touch_header)

    # -- messages ---------------------------------------------------------

    async def append_message(self, new: NewMessage) -> AppendResult:
        """Batched with the other appends of the same group commit."""
        return await self._writer.append(new)


def _touch_header(conn: sqlite3.Connection) -> None:
    (value,) = conn.execute("PRAGMA application_id").fetchone()
    conn.execute(f"PRAGMA application_id = {int(value)}")


def _create_private(path: Path) -> None:
    """The directory (0700) and an empty database file (0600) if missing: SQLite
    gives the -wal and -shm files the database file's permissions, so all three
    are private to the service's account whatever the process's umask."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # an existing one is SQLite's to check
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))


def _in_snapshot(conn: sqlite3.Connection, plan: Plan[T]) -> T:
    conn.execute("BEGIN")
    try:
        return run_sync(conn, plan)
    finally:
        conn.execute("COMMIT")
