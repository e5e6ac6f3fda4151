"""The PostgreSQL storage backend (asyncpg), for several instances on one database.

Chosen when ``CHATSERVER_DATABASE_URL`` is ``postgresql://...``. Group commit
is a SQLite concern; here every write is one short transaction on a pooled
connection, and correctness across instances comes from row locks: the
operations (:class:`~.planned.PlannedStorage`) take them from the
:data:`~.plan.POSTGRES` dialect (``FOR UPDATE``, ``pick``'s ``SKIP
LOCKED``), and ``seq`` is allocated by ``UPDATE contacts SET last_seq =
last_seq + 1 ... RETURNING`` (:mod:`.postgres_messages`).

A failure of the server rather than of the operation (connection refused or
lost, ``admin_shutdown`` while it restarts, ``cannot_connect_now`` while it
starts, disk full, a read-only standby: :func:`unavailable`) becomes a
:class:`~.base.StorageUnavailable`, which callers may retry; writes record
their outcome in :attr:`PostgresStorage.write_health`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TypeAlias, TypeVar

import asyncpg

from chatserver.logs import get_logger

from . import messages
from .base import AppendResult, Conflict, NewMessage, NotFound, StorageError, StorageUnavailable
from .health import WriteHealth
from .migrations import list_migrations
from .plan import POSTGRES, Plan, run_async
from .planned import PlannedStorage
from .postgres_messages import append_fast
from .postgres_migrations import apply_postgres

__all__ = ["Conn", "PostgresStorage", "unavailable"]

T = TypeVar("T")
Conn: TypeAlias = asyncpg.Connection
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
log = get_logger("chatserver.storage.postgres")


# The server is down, restarting, starting, out of disk or connections, or a
# read-only standby: not this operation's fault. (QueryCanceledError, also in
# class 57, is a statement timeout and stays an ordinary error.)
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    TimeoutError,
    asyncpg.PostgresConnectionError,  # class 08, incl. ConnectionDoesNotExistError
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: disk full, too many connections
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # a failed-over primary is now a standby
)


def unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot serve now (retry later)."""
    if isinstance(exc, (StorageUnavailable, *_UNAVAILABLE)):
        return True
    # asyncpg reports a connection that died under an operation this way.
    return isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc)


class _Connection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg is untyped
    """Pooled connection without the reset query on release.

    asyncpg runs ``SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`` whenever a connection goes back to the pool: one more round
    trip per operation. This backend never leaves session state behind (no
    SET, LISTEN, cursors or session advisory locks; migrations use
    transaction-level locks), and an open transaction is still rolled back.
    """

    def get_reset_query(self) -> str:
        return ""


class _CountedLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class PostgresStorage(PlannedStorage):
    """:class:`~chatserver.storage.base.Storage` on a PostgreSQL database."""

    dialect = POSTGRES

    def __init__(self, url: str, *, min_size: int = 2, max_size: int = 10) -> None:
        self.url = url
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._append_locks: dict[str, _CountedLock] = {}
        # Writes accepted before close() still complete ("close drains").
        self._inflight = 0
        self._drained = asyncio.Event()
        self._closing = False
        self._health = WriteHealth()

    @property
    def write_health(self) -> WriteHealth:
        return self._health

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageError("storage is not open")
        return self._pool

    # -- running plans (the Database port) --------------------------------

    async def read(self, plan: Plan[T], *, snapshot: bool = False) -> T:
        """Run a read-only plan on a pooled connection; with ``snapshot`` in one
        read-only REPEATABLE READ transaction (every statement sees one snapshot)."""
        with self._translated(write=False):
            async with self.pool.acquire() as conn:
                if not snapshot:
                    return await run_async(conn, plan)
                async with conn.transaction(isolation="repeatable_read", readonly=True):
                    return await run_async(conn, plan)

    async def write(self, plan: Plan[T]) -> T:
        """Run a plan in one short transaction; constraint violations become
        the interface's Conflict / NotFound."""
        return await self.run_write(lambda conn: run_async(conn, plan))

    async def run_write(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """Run ``fn`` in one short transaction (being replaced by :meth:`write`)."""
        with self._tracked(), self._translated(write=True):
            async with self.pool.acquire() as conn, conn.transaction():
                try:
                    return await fn(conn)
                except asyncpg.UniqueViolationError as exc:
                    raise Conflict(str(exc)) from None
                except asyncpg.ForeignKeyViolationError as exc:
                    raise NotFound(str(exc)) from None

    @contextlib.contextmanager
    def _translated(self, *, write: bool) -> Iterator[None]:
        """Raise an unavailable server's error as StorageUnavailable; a write
        records its outcome (only where it is translated: once per operation)."""
        try:
            yield
        except StorageUnavailable:
            raise
        except Exception as exc:
            if not unavailable(exc):
                raise
            if write:
                self._health.failed()
            raise StorageUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if write:
            self._health.succeeded()

    async def probe_write(self) -> None:
        """One empty write transaction on a pooled connection."""
        await self.run_write(lambda conn: conn.execute("SELECT 1"))

    @contextlib.contextmanager
    def _tracked(self) -> Iterator[None]:
        if self._pool is None or (self._closing and self._inflight == 0):
            raise StorageError("storage is not open")
        self._inflight += 1
        try:
            yield
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._drained.set()

    # -- life cycle -------------------------------------------------------

    async def open(self) -> None:
        """Create the pool and apply pending migrations (safe on many instances at once)."""
        if self._pool is not None:
            return
        pool = await asyncpg.create_pool(
            self.url,
            min_size=self._min_size,
            max_size=self._max_size,
            connection_class=_Connection,
        )
        try:
            async with pool.acquire() as conn:
                await apply_postgres(conn, list_migrations("postgresql"))
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def _shutdown(self) -> None:
        """Wait for accepted writes, then close the pool."""
        if self._pool is not None:
            self._closing = True
            if self._inflight:
                self._drained.clear()
                await self._drained.wait()
            pool, self._pool = self._pool, None
            await pool.close()

    async def erase_freed(self, tables: Sequence[str]) -> bool:
        """``VACUUM`` the purged tables, outside a transaction (VACUUM refuses to
        run inside one): the overwritten row versions stop being dead tuples that
        a page dump could read, and their space is reused. It does not shrink the
        files, and WAL segments and base backups keep the old text until they are
        recycled (docs/operations.md). Waits for a VACUUM of another instance."""
        names = [t for t in tables if _IDENTIFIER.fullmatch(t)]
        if len(names) != len(tables):
            raise ValueError(f"not table names: {tables!r}")
        if not names:
            return True
        try:
            with self._tracked():
                async with self.pool.acquire() as conn:
                    await conn.execute(f"VACUUM {', '.join(names)}")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("vacuum_failed", error=type(exc).__name__)
            return False
        return True

    async def ping(self) -> bool:
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return bool(await conn.fetchval("SELECT 1", timeout=2) == 1)
        except (OSError, TimeoutError, asyncpg.PostgresError, StorageError):
            return False
        except asyncpg.InterfaceError:
            return False

    # -- messages ---------------------------------------------------------

    async def append_message(self, new: NewMessage) -> AppendResult:
        # Appends to one contact from this instance queue on a FIFO lock, so
        # they get their seqs in call order (as SQLite's single writer gives)
        # and do not hold pool connections while waiting for the row lock.
        lock = self._append_locks.setdefault(new.contact_id, _CountedLock())
        lock.users += 1
        try:
            with self._tracked(), self._translated(write=True):
                async with lock.lock:
                    return await self._append(new)
        finally:
            lock.users -= 1
            if lock.users == 0:
                del self._append_locks[new.contact_id]

    async def _append(self, new: NewMessage) -> AppendResult:
        try:
            if new.sender in messages.SENDERS:
                with self._tracked():
                    async with self.pool.acquire() as conn:
                        fast = await append_fast(conn, new)
                if fast is not None:
                    return fast
            return await self.write(messages.append_one(self.dialect, new))
        except (Conflict, asyncpg.UniqueViolationError):
            # Either refused (closed, not assigned), or a concurrent re-send of
            # the same client_id won the unique index: then the original is the answer.
            duplicate = await self.read(messages.duplicate_of(new))
            if duplicate is None:
                raise
            return duplicate
