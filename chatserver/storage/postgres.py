"""The PostgreSQL storage backend (asyncpg), for several instances on one database.

Chosen when ``CHATSERVER_DATABASE_URL`` is ``postgresql://...``. Group commit
is a SQLite concern; here every write is one short transaction on a pooled
connection, and correctness across instances comes from row locks: ``seq`` is
allocated by ``UPDATE contacts SET last_seq = last_seq + 1 ... RETURNING`` and
``pick`` locks its row with ``FOR UPDATE SKIP LOCKED`` (see :mod:`.postgres_ops`).
Rows are converted by the same functions as SQLite's (:mod:`.sqlite_rows`):
the columns, JSON text included, are laid out identically.
"""

# SQL here is composed only of module constants and "$n" placeholders; every
# value is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any, TypeAlias, TypeVar, overload

import asyncpg

from . import postgres_login as login_ops
from . import postgres_ops as ops
from .base import (
    AppendResult,
    Conflict,
    Contact,
    ContactEvent,
    LockoutRecord,
    Message,
    NewContact,
    NewMessage,
    NotFound,
    Queue,
    Session,
    Storage,
    StorageError,
    Unit,
    User,
)
from .migrations import list_migrations
from .plan import POSTGRES, Plan, run_async
from .postgres_migrations import apply_postgres
from .sqlite_rows import (
    CONTACT_COLUMNS,
    EVENT_COLUMNS,
    MESSAGE_COLUMNS,
    QUEUE_COLUMNS,
    SESSION_COLUMNS,
    UNIT_COLUMNS,
    USER_COLUMNS,
    contact_from_row,
    event_from_row,
    message_from_row,
    queue_from_row,
    session_from_row,
    unit_from_row,
    user_from_row,
)

__all__ = ["PostgresStorage"]

T = TypeVar("T")
Conn: TypeAlias = asyncpg.Connection


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


class PostgresStorage:
    """:class:`~chatserver.storage.base.Storage` on a PostgreSQL database."""

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

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise StorageError("storage is not open")
        return self._pool

    dialect = POSTGRES

    async def read(self, plan: Plan[T]) -> T:
        """Run a read-only plan on a pooled connection (the :class:`Database` port)."""
        async with self.pool.acquire() as conn:
            return await run_async(conn, plan)

    async def write(self, plan: Plan[T]) -> T:
        """Run a plan in one short transaction (the :class:`Database` port);
        constraint violations become the interface's Conflict / NotFound."""
        return await self._write(lambda conn: run_async(conn, plan))

    async def run_write(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        """Run ``fn`` in one short transaction (being replaced by :meth:`write`)."""
        return await self._write(fn)

    async def _write(self, fn: Callable[[Conn], Awaitable[T]]) -> T:
        with self._tracked():
            async with self.pool.acquire() as conn, conn.transaction():
                try:
                    return await fn(conn)
                except asyncpg.UniqueViolationError as exc:
                    raise Conflict(str(exc)) from None
                except asyncpg.ForeignKeyViolationError as exc:
                    raise NotFound(str(exc)) from None

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

    async def _fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with self.pool.acquire() as conn:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows

    async def _fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async with self.pool.acquire() as conn:
            row: asyncpg.Record | None = await conn.fetchrow(sql, *args)
            return row

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

    @overload
    async def close(self) -> None: ...

    @overload
    async def close(
        self, contact_id: str, *, outcome: str, at: float, actor_user_id: int | None
    ) -> Contact | None: ...

    async def close(
        self,
        contact_id: str | None = None,
        *,
        outcome: str | None = None,
        at: float | None = None,
        actor_user_id: int | None = None,
    ) -> Contact | None:
        """``close()`` closes the pool; ``close(contact_id, ...)`` is :meth:`close_contact`."""
        if contact_id is not None:
            if outcome is None or at is None:
                raise TypeError("close(contact_id) needs outcome= and at=")
            return await self.close_contact(
                contact_id, outcome=outcome, at=at, actor_user_id=actor_user_id
            )
        if outcome is not None or at is not None or actor_user_id is not None:
            raise TypeError("close() without contact_id shuts the storage down")
        if self._pool is not None:
            self._closing = True
            if self._inflight:
                self._drained.clear()
                await self._drained.wait()
            pool, self._pool = self._pool, None
            await pool.close()
        return None

    async def ping(self) -> bool:
        try:
            async with self.pool.acquire(timeout=2) as conn:
                return bool(await conn.fetchval("SELECT 1", timeout=2) == 1)
        except (OSError, TimeoutError, asyncpg.PostgresError, StorageError):
            return False
        except asyncpg.InterfaceError:
            return False

    # -- units and queues -------------------------------------------------

    async def add_unit(self, unit: Unit, queues: Sequence[Queue]) -> None:
        await self._write(lambda c: ops.add_unit(c, unit, queues))

    async def get_unit(self, unit_id: str) -> Unit | None:
        row = await self._fetchrow(f"SELECT {UNIT_COLUMNS} FROM units WHERE id = $1", unit_id)
        return None if row is None else unit_from_row(row)

    async def list_units(self) -> list[Unit]:
        return [
            unit_from_row(r)
            for r in await self._fetch(f"SELECT {UNIT_COLUMNS} FROM units ORDER BY id")
        ]

    async def list_queues(self, unit_ids: Sequence[str] | None = None) -> list[Queue]:
        if unit_ids is None:
            rows = await self._fetch(f"SELECT {QUEUE_COLUMNS} FROM queues ORDER BY id")
        else:
            rows = await self._fetch(
                f"SELECT {QUEUE_COLUMNS} FROM queues WHERE unit_id = ANY($1) ORDER BY id",
                list(unit_ids),
            )
        return [queue_from_row(r) for r in rows]

    async def get_queue(self, queue_id: str) -> Queue | None:
        row = await self._fetchrow(f"SELECT {QUEUE_COLUMNS} FROM queues WHERE id = $1", queue_id)
        return None if row is None else queue_from_row(row)

    # -- staff ------------------------------------------------------------

    async def add_user(
        self,
        *,
        username: str,
        display_name: str,
        role: str,
        password_hash: str,
        totp_secret: str | None,
        unit_ids: Sequence[str],
        created_at: float,
    ) -> User:
        return await self._write(
            lambda c: ops.add_user(
                c,
                username=username,
                display_name=display_name,
                role=role,
                password_hash=password_hash,
                totp_secret=totp_secret,
                unit_ids=unit_ids,
                created_at=created_at,
            )
        )

    async def _user(self, where: str, arg: Any) -> User | None:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE {where}", arg)
            if row is None:
                return None
            units = await conn.fetch(
                "SELECT unit_id FROM user_units WHERE user_id = $1 ORDER BY unit_id", row[0]
            )
        return user_from_row(row, tuple(u[0] for u in units))

    async def get_user(self, user_id: int) -> User | None:
        return await self._user("id = $1", user_id)

    async def get_user_by_username(self, username: str) -> User | None:
        return await self._user("username = $1", username)

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        async def write(c: Conn) -> None:
            done = await c.fetchval(
                "UPDATE users SET password_hash = $1 WHERE id = $2 RETURNING 1",
                password_hash,
                user_id,
            )
            if done is None:
                raise NotFound(f"user {user_id}")

        await self._write(write)

    # -- sessions ---------------------------------------------------------

    async def create_session(self, session: Session) -> None:
        await self._write(lambda c: ops.create_session(c, session))

    async def get_session(self, id_hash: str) -> Session | None:
        row = await self._fetchrow(
            f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = $1", id_hash
        )
        return None if row is None else session_from_row(row)

    async def touch_session(self, id_hash: str, at: float) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute(
                "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2", at, id_hash
            )

    async def delete_session(self, id_hash: str) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute("DELETE FROM sessions WHERE id_hash = $1", id_hash)

    # -- sign-in protection (postgres_login) ------------------------------

    async def get_lockout(self, name_key: str) -> LockoutRecord | None:
        async with self.pool.acquire() as conn:
            return await login_ops.select_lockout(conn, name_key)

    async def update_lockout(
        self,
        name_key: str,
        change: Callable[[LockoutRecord], tuple[LockoutRecord, T]],
        *,
        now: float,
    ) -> T:
        return await self._write(lambda c: login_ops.update_lockout(c, name_key, change, now))

    async def delete_lockout(self, name_key: str) -> None:
        await self._write(lambda c: login_ops.delete_lockout(c, name_key))

    async def use_totp_step(
        self, user_id: int, step: int, *, at: float, forget_before: int
    ) -> bool:
        return await self._write(
            lambda c: login_ops.use_totp_step(c, user_id, step, at, forget_before)
        )

    # -- contacts ---------------------------------------------------------

    async def create_contact(self, new: NewContact) -> Contact:
        return await self._write(lambda c: ops.create_contact(c, new))

    async def get_contact(self, contact_id: str) -> Contact | None:
        async with self.pool.acquire() as conn:
            return await ops.select_contact(conn, contact_id)

    async def get_contact_by_token_hash(self, token_hash: str) -> Contact | None:
        row = await self._fetchrow(
            f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE patient_token_hash = $1", token_hash
        )
        return None if row is None else contact_from_row(row)

    async def acknowledge_emergency(
        self,
        contact_id: str,
        *,
        patient_token_hash: str,
        priority_tier: int,
        priority_key: float,
        at: float,
    ) -> Contact | None:
        return await self._write(
            lambda c: ops.acknowledge_emergency(
                c,
                contact_id,
                patient_token_hash=patient_token_hash,
                priority_tier=priority_tier,
                priority_key=priority_key,
                at=at,
            )
        )

    async def waiting(self, queue_ids: Sequence[str]) -> list[Contact]:
        if not queue_ids:
            return []
        rows = await self._fetch(
            f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE status = 'queued'"
            f" AND queue_id = ANY($1) ORDER BY {ops.WAITING_ORDER}",
            list(queue_ids),
        )
        return [contact_from_row(r) for r in rows]

    async def count_waiting(self, queue_id: str) -> int:
        async with self.pool.acquire() as conn:
            n = await conn.fetchval(
                "SELECT count(*) FROM contacts WHERE status = 'queued' AND queue_id = $1",
                queue_id,
            )
        return int(n)

    async def queue_position(self, contact_id: str) -> int | None:
        async with self.pool.acquire() as conn:
            n = await conn.fetchval(
                "SELECT 1 + (SELECT count(*) FROM contacts o WHERE o.status = 'queued'"
                " AND o.queue_id = c.queue_id"
                " AND (o.priority_tier, o.priority_key, o.created_at, o.id)"
                " < (c.priority_tier, c.priority_key, c.created_at, c.id))"
                " FROM contacts c WHERE c.id = $1 AND c.status = 'queued'",
                contact_id,
            )
        return None if n is None else int(n)

    async def pick(
        self,
        queue_ids: Sequence[str],
        *,
        user_id: int,
        staff_name: str,
        at: float,
        contact_id: str | None = None,
    ) -> Contact | None:
        queues = tuple(queue_ids)
        return await self._write(
            lambda c: ops.pick(
                c, queues, user_id=user_id, staff_name=staff_name, at=at, contact_id=contact_id
            )
        )

    async def transfer(
        self,
        contact_id: str,
        *,
        queue_id: str,
        priority_tier: int,
        priority_key: float,
        at: float,
        actor_user_id: int | None,
        note: str | None,
    ) -> Contact | None:
        return await self._write(
            lambda c: ops.transfer(
                c,
                contact_id,
                queue_id=queue_id,
                priority_tier=priority_tier,
                priority_key=priority_key,
                at=at,
                actor_user_id=actor_user_id,
                note=note,
            )
        )

    async def requeue(
        self,
        contact_id: str,
        *,
        priority_tier: int,
        priority_key: float,
        at: float,
        reason: str,
    ) -> Contact | None:
        return await self._write(
            lambda c: ops.requeue(
                c,
                contact_id,
                priority_tier=priority_tier,
                priority_key=priority_key,
                at=at,
                reason=reason,
            )
        )

    async def set_level(
        self,
        contact_id: str,
        *,
        level: str,
        tags: Sequence[str],
        priority_key: float | None,
        at: float,
        actor_user_id: int | None,
        reason: str,
        added_reasons: Sequence[Mapping[str, Any]] = (),
    ) -> Contact | None:
        tag_list = tuple(tags)
        added = tuple(dict(r) for r in added_reasons)
        return await self._write(
            lambda c: ops.set_level(
                c,
                contact_id,
                level=level,
                tags=tag_list,
                priority_key=priority_key,
                at=at,
                actor_user_id=actor_user_id,
                reason=reason,
                added_reasons=added,
            )
        )

    async def close_contact(
        self, contact_id: str, *, outcome: str, at: float, actor_user_id: int | None
    ) -> Contact | None:
        return await self._write(
            lambda c: ops.close_contact(
                c, contact_id, outcome=outcome, at=at, actor_user_id=actor_user_id
            )
        )

    async def assigned_to(self, user_id: int) -> list[Contact]:
        rows = await self._fetch(
            f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE status = 'assigned'"
            " AND assigned_user_id = $1 ORDER BY assigned_at, id",
            user_id,
        )
        return [contact_from_row(r) for r in rows]

    async def recent_pick_times(self, queue_id: str, since: float) -> list[float]:
        rows = await self._fetch(
            "SELECT at FROM contact_events WHERE kind = 'pick' AND at >= $1"
            " AND data::jsonb ->> 'queue_id' = $2 ORDER BY at, id",
            since,
            queue_id,
        )
        return [float(r[0]) for r in rows]

    async def add_event(
        self,
        contact_id: str,
        *,
        kind: str,
        at: float,
        actor_user_id: int | None,
        data: Mapping[str, Any],
    ) -> None:
        payload = dict(data)
        await self._write(
            lambda c: ops.add_event(
                c, contact_id, kind=kind, at=at, actor_user_id=actor_user_id, data=payload
            )
        )

    async def events(self, contact_id: str) -> list[ContactEvent]:
        rows = await self._fetch(
            f"SELECT {EVENT_COLUMNS} FROM contact_events WHERE contact_id = $1 ORDER BY id",
            contact_id,
        )
        return [event_from_row(r) for r in rows]

    # -- messages ---------------------------------------------------------

    async def append_message(self, new: NewMessage) -> AppendResult:
        # Appends to one contact from this instance queue on a FIFO lock, so
        # they get their seqs in call order (as SQLite's single writer gives)
        # and do not hold pool connections while waiting for the row lock.
        lock = self._append_locks.setdefault(new.contact_id, _CountedLock())
        lock.users += 1
        try:
            with self._tracked():
                async with lock.lock:
                    return await self._append(new)
        finally:
            lock.users -= 1
            if lock.users == 0:
                del self._append_locks[new.contact_id]

    async def _append(self, new: NewMessage) -> AppendResult:
        try:
            if new.sender in ops.SENDERS:
                with self._tracked():
                    async with self.pool.acquire() as conn:
                        fast = await ops.append_message_fast(conn, new)
                if fast is not None:
                    return fast
            return await self._write(lambda c: ops.append_message(c, new))
        except (Conflict, asyncpg.UniqueViolationError):
            # Either refused (closed, not assigned), or a concurrent re-send of
            # the same client_id won the unique index: then the original is the answer.
            async with self.pool.acquire() as conn:
                original = await ops.find_message(conn, new)
                contact = await conn.fetchrow(
                    "SELECT status, assigned_user_id FROM contacts WHERE id = $1", new.contact_id
                )
            if original is None:
                raise
            status, assigned = (None, None) if contact is None else (contact[0], contact[1])
            return AppendResult(original, duplicate=True, status=status, assigned_user_id=assigned)

    async def messages_after(
        self, contact_id: str, after_seq: int, limit: int | None = None
    ) -> list[Message]:
        rows = await self._fetch(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE contact_id = $1 AND seq > $2"
            " ORDER BY seq LIMIT $3",
            contact_id,
            after_seq,
            limit,
        )
        return [message_from_row(r) for r in rows]


def _conforms(store: PostgresStorage) -> Storage:
    """Never called: makes mypy check that PostgresStorage implements Storage."""
    return store
