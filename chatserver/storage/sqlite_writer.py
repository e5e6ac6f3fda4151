"""The single SQLite writer: a queue of operations, group-committed.

Every write of the process goes through one connection owned by one task.
The task takes everything queued (up to ``max_batch``) and runs it on the
writer thread in ONE hop as ONE ``BEGIN IMMEDIATE … COMMIT`` transaction, each
operation inside its own SAVEPOINT::

    BEGIN IMMEDIATE
      SAVEPOINT op      -- create_contact      → ok
      RELEASE op
      SAVEPOINT appends -- 37 append_message   → batched (sqlite_messages)
      RELEASE appends
      SAVEPOINT op      -- pick                → Conflict: ROLLBACK TO op
      RELEASE op
    COMMIT              -- only now are the callers' futures resolved

So a burst of messages shares one fsync, one failing operation only loses its
own changes, and nobody is acknowledged before the data is durable. If BEGIN
or COMMIT fails, every operation of the batch gets a StorageError.

Checkpoints (copying the WAL into the main file, an fsync of that file with
NORMAL or FULL) run after a batch's callers are answered, not inside its
COMMIT: every :data:`CHECKPOINT_EVERY_COMMITS` commits, at the first moment
nothing waits to be written (at the latest after four times as many). While
the answered callers prepare their next writes, the writer thread copies and
fsyncs. Measured on the persistence benchmark (100 conversations, group
commits of ~100 messages): synchronous=FULL stores 25,100 messages/s against
18,200 with SQLite's automatic checkpoint every 1,000 pages
(docs/benchmarks.md). SQLite's automatic checkpoint stays as a backstop at
:data:`~.sqlite_connection.WAL_AUTOCHECKPOINT_PAGES`.

A failure of the database rather than of the operation (disk full, an I/O
error, locked longer than the busy timeout: :func:`unavailable`) is a
:class:`~.base.StorageUnavailable`, which callers may retry; every batch
records its outcome in :attr:`SqliteWriter.health`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from chatserver.logs import get_logger

from .base import AppendResult, Conflict, NewMessage, NotFound, StorageError, StorageUnavailable
from .health import WriteHealth
from .sqlite_connection import ThreadConnection
from .sqlite_messages import append_batch

__all__ = ["CHECKPOINT_EVERY_COMMITS", "SqliteWriter", "WriterStats", "unavailable"]

T = TypeVar("T")
WriteFn = Callable[[sqlite3.Connection], Any]

log = get_logger("chatserver.storage.sqlite_writer")

# Commits between two checkpoints of the writer's own. 24 group commits of 100
# conversations (~330 pages each) stay below the backstop of 10,000 pages; at
# 100 messages/s one message a commit, it is a small checkpoint every 0.24 s.
# Measured: 8 commits 24,100 msg/s with FULL, 24 or 30 commits 25,100-25,700,
# 60 or more no better (150: 23,600).
CHECKPOINT_EVERY_COMMITS = 24


@dataclass(slots=True)
class WriterStats:
    """Counters for tests and benchmarks (group commit is working when
    ``ops / transactions`` is well above 1 under load)."""

    transactions: int = 0  # committed write transactions
    ops: int = 0  # operations run in committed transactions (succeeded or failed)
    failed_batches: int = 0  # batches whose BEGIN or COMMIT failed
    largest_batch: int = 0
    checkpoints: int = 0  # the writer's own checkpoints, off the commit path


@dataclass(slots=True)
class _Op:
    future: asyncio.Future[Any]
    fn: WriteFn | None = None  # a general operation, or …
    message: NewMessage | None = None  # … a message append (batched together)


class _Failed:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _TransactionAbortedError(Exception):
    """SQLite rolled the whole transaction back (e.g. disk full, I/O error)."""


_STOP = object()


# Primary result codes that mean "the database cannot write now", not "this
# operation is wrong": the disk is full (or max_page_count is reached), an I/O
# error, another process held the write lock past busy_timeout, the file went
# read-only (a remount) or could not be opened, out of memory.
_UNAVAILABLE_CODES = frozenset(
    {
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_PROTOCOL,
    }
)


def unavailable(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what caused it) says the database cannot write
    now: retrying later may succeed."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, StorageUnavailable):
            return True
        if isinstance(exc, sqlite3.Error) and not isinstance(exc, sqlite3.IntegrityError):
            code = getattr(exc, "sqlite_errorcode", None)
            if isinstance(code, int) and code & 0xFF in _UNAVAILABLE_CODES:
                return True
        exc = exc.__cause__  # (not __context__: a bug while handling one is still a bug)
        seen += 1
    return False


def _batch_error(message: str, exc: BaseException) -> StorageError:
    if unavailable(exc):
        return StorageUnavailable(f"{message}: {exc}")
    return StorageError(f"{message}: {exc}")


def translate(exc: BaseException) -> BaseException:
    """Map a constraint violation to the storage error the caller expects."""
    if unavailable(exc):
        return StorageUnavailable(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, sqlite3.IntegrityError):
        text = str(exc)
        if "FOREIGN KEY" in text:
            return NotFound(text)
        if "UNIQUE" in text or "PRIMARY KEY" in text:
            return Conflict(text)
        return StorageError(text)
    if isinstance(exc, sqlite3.Error):
        return StorageError(f"{type(exc).__name__}: {exc}")
    return exc


class SqliteWriter:
    def __init__(self, *, max_batch: int) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.stats = WriterStats()
        self.health = WriteHealth()
        self.connection = ThreadConnection("sqlite-writer")
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Op | object] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._since_checkpoint = 0  # commits since the writer's last checkpoint

    def start(self) -> None:
        """Start the writer task (the connection must be open)."""
        self._task = asyncio.create_task(self._loop(), name="sqlite-writer")

    async def submit(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in the next write transaction; returns after COMMIT."""
        return cast(T, await self._enqueue(_Op(self._future(), fn=fn)))

    async def append(self, message: NewMessage) -> AppendResult:
        return cast(AppendResult, await self._enqueue(_Op(self._future(), message=message)))

    def _future(self) -> asyncio.Future[Any]:
        if self._closed or self._task is None:
            raise StorageError("storage is not open")
        return asyncio.get_running_loop().create_future()

    async def _enqueue(self, op: _Op) -> Any:
        self._queue.put_nowait(op)
        return await op.future

    async def stop(self) -> None:
        """Refuse new operations and finish every queued one (the connection stays
        open: the owner closes it after the readers, so the last connection to
        close is a read-write one and can checkpoint and remove the WAL file)."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._queue.put_nowait(_STOP)
            await self._task

    # -- the writer task ----------------------------------------------------

    async def _loop(self) -> None:
        stopping = False
        while not stopping:
            item = await self._queue.get()
            if item is _STOP:
                break
            batch = [cast(_Op, item)]
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(cast(_Op, item))
            # A caller that gave up (was cancelled) before its turn is not
            # written at all; one that gives up later may still be committed.
            live = [op for op in batch if not op.future.done()]
            if live and await self._run(live):
                self._since_checkpoint += 1
                await self._maybe_checkpoint()

    async def _maybe_checkpoint(self) -> None:
        """Checkpoint the WAL after the callers of the last batch have their
        answers: at an idle moment once CHECKPOINT_EVERY_COMMITS commits have
        passed, in any case after four times as many."""
        due = self._since_checkpoint
        if due < CHECKPOINT_EVERY_COMMITS or (
            due < 4 * CHECKPOINT_EVERY_COMMITS and not self._queue.empty()
        ):
            return
        self._since_checkpoint = 0
        try:
            await self.connection.run(_checkpoint)
        except Exception as exc:  # the next one retries; SQLite's backstop remains
            log.warning("wal_checkpoint_failed", error=type(exc).__name__)
            return
        self.stats.checkpoints += 1

    async def _run(self, batch: list[_Op]) -> bool:
        try:
            committed, outcomes = await self.connection.run(
                lambda conn: self._run_batch(conn, batch)
            )
        except Exception as exc:  # the writer thread itself failed: fail the batch
            error = _batch_error("writer failed", exc)
            committed, outcomes = False, [_Failed(error) for _ in batch]
        if any(isinstance(o, _Failed) and isinstance(o.exc, StorageUnavailable) for o in outcomes):
            self.health.failed()
        elif committed:
            self.health.succeeded()
        if committed:
            self.stats.transactions += 1
            self.stats.ops += len(batch)
            self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        else:
            self.stats.failed_batches += 1
        for op, outcome in zip(batch, outcomes, strict=True):
            if op.future.done():
                continue
            if isinstance(outcome, _Failed):
                op.future.set_exception(outcome.exc)
            else:
                op.future.set_result(outcome)
        return committed

    # -- on the writer thread -----------------------------------------------

    def _run_batch(self, conn: sqlite3.Connection, batch: Sequence[_Op]) -> tuple[bool, list[Any]]:
        try:
            if conn.in_transaction:  # a ROLLBACK failed last time (e.g. an I/O error)
                conn.execute("ROLLBACK")
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            error = _batch_error("cannot begin", exc)
            return False, [_Failed(error) for _ in batch]
        outcomes: list[Any] = []
        try:
            i = 0
            while i < len(batch):
                if batch[i].message is None:
                    fn = batch[i].fn
                    assert fn is not None
                    outcomes.append(self._savepoint(conn, fn))
                    i += 1
                    continue
                j = i
                while j < len(batch) and batch[j].message is not None:
                    j += 1
                outcomes.extend(self._appends(conn, batch[i:j]))
                i = j
            conn.execute("COMMIT")
        except Exception as exc:  # sqlite3.Error, aborted, or a bug: never leave it open
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            error = _batch_error("write transaction failed", exc)
            return False, [_Failed(error) for _ in batch]
        return True, outcomes

    def _savepoint(self, conn: sqlite3.Connection, fn: WriteFn) -> Any:
        conn.execute("SAVEPOINT op")
        try:
            result = fn(conn)
        except Exception as exc:
            if not conn.in_transaction:
                raise _TransactionAbortedError(str(exc)) from exc
            conn.execute("ROLLBACK TO op")
            conn.execute("RELEASE op")
            return _Failed(translate(exc))
        conn.execute("RELEASE op")
        return result

    def _appends(self, conn: sqlite3.Connection, ops: Sequence[_Op]) -> list[Any]:
        messages = [op.message for op in ops if op.message is not None]
        conn.execute("SAVEPOINT appends")
        try:
            results = append_batch(conn, messages)
        except sqlite3.Error:
            if not conn.in_transaction:
                raise
            # Something unexpected (a constraint we did not pre-check): undo the
            # group and retry one by one so only the offending message fails.
            conn.execute("ROLLBACK TO appends")
            conn.execute("RELEASE appends")
            return [self._savepoint(conn, _single_append(m)) for m in messages]
        conn.execute("RELEASE appends")
        return [_Failed(r) if isinstance(r, Exception) else r for r in results]


def _single_append(message: NewMessage) -> WriteFn:
    def run(conn: sqlite3.Connection) -> AppendResult:
        (result,) = append_batch(conn, [message])
        if isinstance(result, Exception):
            raise result
        return result

    return run


def _checkpoint(conn: sqlite3.Connection) -> None:
    # PASSIVE: copies what no reader still needs and never waits for one; the
    # WAL starts over at the next commit once all of it is copied.
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
