"""Durable stores for the relay *floor*: the bare ``websockets`` relay that
writes every message to disk (``synchronous=FULL``) before it acks and relays.

Issue 19 asks for a relay at half the bare relay's throughput, and the
service acks a message only once it is stored durably ("nothing they send is
lost"). These stores answer how much of that budget durability alone takes on
the same core, with nothing else of the service (no validation, auth, triage,
audit, fan-out bookkeeping):

- ``service``: the service's own storage layer (``SqliteStorage``: group
  commit, per-contact sequence, resend detection by an index, the contact's
  state checked inside the write);
- ``minimal``: the least a durable relay can do: one rowid table without
  indexes, group-committed by one writer thread, ``synchronous=FULL``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

STORES = ("service", "minimal")
MAX_BATCH = 256  # the service's default group-commit size


class Store(Protocol):
    async def open(self) -> None: ...

    async def ensure_pair(self, token: str) -> None:
        """The pair's conversation exists (created at its first hello)."""

    async def append(self, token: str, side: str, client_id: str, body: str) -> None:
        """Returns once the message is durable."""

    async def close(self) -> None: ...


class ServiceStore:
    """The service's ``SqliteStorage``, as ``chatserver serve`` opens it."""

    def __init__(self, path: Path) -> None:
        from chatserver.storage.sqlite import SqliteStorage  # noqa: PLC0415

        self._storage = SqliteStorage(path, synchronous="FULL")
        self._created: dict[str, asyncio.Future[None]] = {}

    async def open(self) -> None:
        from chatserver.storage.base import Queue, Unit  # noqa: PLC0415

        await self._storage.open()
        queue = Queue("bench:nurse", "bench", "nurse", "Sjuksköterska")
        await self._storage.add_unit(Unit("bench", "Bench", True, "live", time.time()), [queue])

    async def ensure_pair(self, token: str) -> None:
        pending = self._created.get(token)
        if pending is None:  # the first hello of the pair creates its contact
            pending = self._created[token] = asyncio.get_running_loop().create_future()
            try:
                await self._create(token)
            except Exception as exc:  # the pair's other hello fails alike
                pending.set_exception(exc)
                del self._created[token]
                raise
            pending.set_result(None)
        await pending

    async def _create(self, token: str) -> None:
        from loadtests.bench_contacts import bench_contact  # noqa: PLC0415

        at = time.time()
        contact = bench_contact(token, "bench", "bench:nurse", at, patient_token_hash=f"h:{token}")
        await self._storage.create_contact(contact)

    async def append(self, token: str, side: str, client_id: str, body: str) -> None:
        from chatserver.storage.base import NewMessage  # noqa: PLC0415

        sender = "staff" if side == "staff" else "patient"
        key = "s:1" if sender == "staff" else f"p:{token}"
        await self._storage.append_message(
            NewMessage(token, sender, key, "Bench", client_id, body, time.time())
        )

    async def close(self) -> None:
        await self._storage.close()


Row = tuple[str, str, str, str, float]


class MinimalStore:
    """One table, no index, one writer thread, one COMMIT (and fsync) per batch."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._queue: list[tuple[Row, asyncio.Future[None]]] = []
        self._wake = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = self._loop.create_future()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        await ready

    async def ensure_pair(self, token: str) -> None:
        return None

    async def append(self, token: str, side: str, client_id: str, body: str) -> None:
        assert self._loop is not None
        done = self._loop.create_future()
        with self._wake:
            self._queue.append(((token, side, client_id, body, time.time()), done))
            self._wake.notify()
        await done

    async def close(self) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)

    def _run(self, ready: asyncio.Future[None]) -> None:
        assert self._loop is not None
        try:
            conn = sqlite3.connect(self._path, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS messages"
                " (contact_id TEXT, sender TEXT, client_id TEXT, body TEXT, sent_at REAL)"
            )
        except sqlite3.Error as exc:  # open() fails instead of waiting forever
            self._loop.call_soon_threadsafe(ready.set_exception, exc)
            return
        self._loop.call_soon_threadsafe(ready.set_result, None)
        try:
            while True:
                with self._wake:
                    while not self._queue and not self._stop:
                        self._wake.wait()
                    if not self._queue:
                        return
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                conn.execute("BEGIN IMMEDIATE")
                rows = [row for row, _ in batch]
                conn.executemany("INSERT INTO messages VALUES (?, ?, ?, ?, ?)", rows)
                conn.execute("COMMIT")
                self._loop.call_soon_threadsafe(_resolve, [f for _, f in batch])
        finally:
            conn.close()


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    for f in futures:
        if not f.done():
            f.set_result(None)


def make_store(kind: str, path: Path) -> Store:
    makers: dict[str, Callable[[Path], Store]] = {"service": ServiceStore, "minimal": MinimalStore}
    return makers[kind](path)
