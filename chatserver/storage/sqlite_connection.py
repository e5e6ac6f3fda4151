"""A SQLite connection that lives on its own thread, managed by aiosqlite.

aiosqlite gives each connection a dedicated worker thread. Its public API makes
every ``execute``/``fetch`` a separate hop to that thread, and thread switches,
not SQLite, dominate the cost of small queries. :meth:`ThreadConnection.run`
therefore ships a whole synchronous function (a complete read, or a whole write
batch) to the same worker thread in ONE hop, through aiosqlite's
``Connection._execute`` (stable since aiosqlite 0.11; pinned by
``tests/storage/test_sqlite_backend.py``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import aiosqlite

__all__ = [
    "BUSY_TIMEOUT_MS",
    "JOURNAL_SIZE_LIMIT_BYTES",
    "SECURE_DELETE",
    "SYNCHRONOUS_MODES",
    "WAL_AUTOCHECKPOINT_PAGES",
    "ThreadConnection",
]

T = TypeVar("T")

# How long a statement waits for another process's write lock (e.g. the admin
# CLI writing while the server runs) before failing with SQLITE_BUSY. 5 s is
# the value datasette and Django use; CLI transactions are tiny.
BUSY_TIMEOUT_MS = 5000

# NORMAL: in WAL mode a power loss may lose the last transactions but never
# corrupts; FULL: fsync on every commit, so an acknowledged message survives
# power loss. OFF is deliberately not offered.
SYNCHRONOUS_MODES = ("NORMAL", "FULL")

# Deleted and overwritten content is zeroed in the file, not left in free
# pages (retention must erase, docs/operations.md). Per connection, so set on
# the writer and every reader; some builds (Debian's) default to it, others not.
SECURE_DELETE = "PRAGMA secure_delete = ON"
# SQLite's own (automatic) checkpoint, inside the COMMIT that crosses this many
# WAL pages: only a backstop. The writer checkpoints off the commit path after
# every CHECKPOINT_EVERY_COMMITS commits (:mod:`.sqlite_writer`), which stays
# below it in normal use. SQLite's default, 1,000, stopped a FULL writer for a
# checkpoint (a copy and an fsync of the main file) every third group commit of
# 100 messages (about 330 pages each).
WAL_AUTOCHECKPOINT_PAGES = 10_000
# After a checkpoint the WAL is truncated to at most this size instead of
# keeping its high-water mark, old frames and all. Above the checkpoint
# threshold, so the file is reused rather than cut and regrown every cycle
# (regrowing is an fsync of the file size too: FULL/OFF 0.79x with 4 MiB).
# Retention does not rely on it: after a purge a TRUNCATE checkpoint empties
# the WAL (docs/operations.md).
JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024


class ThreadConnection:
    """One sqlite3 connection, used only from its own thread."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._aconn: aiosqlite.Connection | None = None
        self._conn: sqlite3.Connection | None = None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` on the connection's thread (one hop)."""
        aconn, conn = self._aconn, self._conn
        if aconn is None or conn is None:
            raise RuntimeError("connection is not open")
        result = await aconn._execute(fn, conn)  # type: ignore[no-untyped-call]
        return cast(T, result)

    async def open_writer(self, path: str | os.PathLike[str], synchronous: str) -> None:
        """Open read-write, switching the database to WAL mode."""

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None)
            try:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise sqlite3.OperationalError(f"cannot switch to WAL (got {mode!r})")
                conn.execute(f"PRAGMA synchronous = {synchronous}")
                conn.execute("PRAGMA foreign_keys = ON")
                conn.execute(SECURE_DELETE)
                conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT_BYTES}")
                conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}").fetchall()
            except BaseException:
                conn.close()
                raise
            return conn

        await self._open(connect)

    async def open_reader(self, path: str | os.PathLike[str]) -> None:
        """Open read-only (``mode=ro``); the writer must have created the file."""

        def connect() -> sqlite3.Connection:
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(SECURE_DELETE)
            return conn

        await self._open(connect)

    async def _open(self, connect: Callable[[], sqlite3.Connection]) -> None:
        # aiosqlite calls ``connector()`` on its worker thread, so the sqlite3
        # connection is created and used on that one thread only.
        aconn = aiosqlite.core.Connection(connect, iter_chunk_size=64)
        self._aconn = await aconn
        self._conn = self._aconn._conn

    async def close(self) -> None:
        aconn, self._aconn, self._conn = self._aconn, None, None
        if aconn is not None:
            await aconn.close()
