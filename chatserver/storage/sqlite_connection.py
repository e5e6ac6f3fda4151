"""A SQLite connection that lives on its own thread.

``sqlite3`` is blocking, so each connection gets a dedicated one-thread
executor (the same model as aiosqlite). Unlike aiosqlite, where every
``execute``/``fetch`` is a separate hop to that thread, :meth:`ThreadConnection.run`
ships a whole synchronous function (a complete read, or a whole write batch)
in ONE hop: thread switches, not SQLite, dominate the cost of small queries.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

__all__ = ["BUSY_TIMEOUT_MS", "SYNCHRONOUS_MODES", "ThreadConnection"]

T = TypeVar("T")

# How long a statement waits for another process's write lock (e.g. the admin
# CLI writing while the server runs) before failing with SQLITE_BUSY. 5 s is
# the value datasette and Django use; CLI transactions are tiny.
BUSY_TIMEOUT_MS = 5000

# NORMAL: in WAL mode a power loss may lose the last transactions but never
# corrupts; FULL: fsync on every commit, so an acknowledged message survives
# power loss. OFF is deliberately not offered.
SYNCHRONOUS_MODES = ("NORMAL", "FULL")


class ThreadConnection:
    """One sqlite3 connection, used only from its own thread."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` on the connection's thread (one hop)."""
        conn = self._conn
        if conn is None:
            raise RuntimeError("connection is not open")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, conn)

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
            return conn

        await self._open(connect)

    async def _open(self, connect: Callable[[], sqlite3.Connection]) -> None:
        loop = asyncio.get_running_loop()
        self._conn = await loop.run_in_executor(self._executor, connect)

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)
