"""The SQLite storage backend (the default, embedded store).

* One writer (:mod:`.sqlite_writer`): every write is an operation queued to a
  single connection and group-committed in ``BEGIN IMMEDIATE`` transactions;
  callers are answered only after COMMIT.
* ``readers`` read-only connections, used round-robin; reads never queue
  behind writes (WAL mode lets them run during a write transaction).
* WAL, ``foreign_keys=ON``, ``busy_timeout`` so the admin CLI can write while
  the server runs, ``synchronous`` NORMAL or FULL.
* The schema comes from numbered files in ``migrations/sqlite`` (:mod:`.migrations`).
"""

# SQL here is composed only of module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

import asyncio
import itertools
import os
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

from . import sqlite_login as login_ops
from . import sqlite_ops as ops
from .base import (
    AppendResult,
    Contact,
    ContactEvent,
    LockoutRecord,
    Message,
    NewContact,
    NewMessage,
    Queue,
    Session,
    Storage,
    StorageError,
    Unit,
    User,
)
from .migrations import apply_sqlite, list_migrations
from .plan import SQLITE, Plan, run_sync
from .sqlite_connection import SYNCHRONOUS_MODES, ThreadConnection
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
from .sqlite_writer import SqliteWriter, WriterStats

__all__ = ["SqliteStorage"]

T = TypeVar("T")


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _contacts(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> list[Contact]:
    rows = conn.execute(f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE {where}", params)
    return [contact_from_row(r) for r in rows]


def _user(conn: sqlite3.Connection, where: str, params: Sequence[Any]) -> User | None:
    row = conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE {where}", params).fetchone()
    if row is None:
        return None
    units = conn.execute(
        "SELECT unit_id FROM user_units WHERE user_id = ? ORDER BY unit_id", (row[0],)
    )
    return user_from_row(row, tuple(u[0] for u in units))


class SqliteStorage:
    """:class:`~chatserver.storage.base.Storage` on one SQLite file."""

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
            await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)
            await self._writer.connection.open_writer(self.path, self._synchronous)
            await self._writer.connection.run(lambda conn: apply_sqlite(conn, migrations))
            for reader in self._readers:
                await reader.open_reader(self.path)
        except BaseException:
            await self._close_connections()
            raise
        self._writer.start()
        self._open = True

    async def _close_connections(self) -> None:
        for reader in self._readers:
            await reader.close()
        await self._writer.connection.close()

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
        """``close()`` drains the writer and closes every connection;
        ``close(contact_id, ...)`` is :meth:`close_contact` (see base.Storage)."""
        if contact_id is not None:
            if outcome is None or at is None:
                raise TypeError("close(contact_id) needs outcome= and at=")
            return await self.close_contact(
                contact_id, outcome=outcome, at=at, actor_user_id=actor_user_id
            )
        if outcome is not None or at is not None or actor_user_id is not None:
            raise TypeError("close() without contact_id shuts the storage down")
        if self._open:
            self._open = False
            await self._writer.stop()
            await self._close_connections()
        return None

    async def ping(self) -> bool:
        try:
            return await self._read(lambda c: c.execute("SELECT 1").fetchone() == (1,))
        except (sqlite3.Error, StorageError):
            return False

    # -- feature modules with self-contained tables (e.g. chatserver/stats) --

    dialect = SQLITE

    async def read(self, plan: Plan[T]) -> T:
        """Run a read-only plan on a reader connection (the :class:`Database` port)."""
        return await self._read(lambda conn: run_sync(conn, plan))

    async def write(self, plan: Plan[T]) -> T:
        """Run a plan through the single writer, group-committed (the port)."""
        return await self._writer.submit(lambda conn: run_sync(conn, plan))

    async def run_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on a read-only connection (a feature's own queries)."""
        return await self._read(fn)

    async def run_write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` through the single writer, inside its transaction."""
        return await self._writer.submit(fn)

    # -- units and queues -------------------------------------------------

    async def add_unit(self, unit: Unit, queues: Sequence[Queue]) -> None:
        await self._writer.submit(lambda c: ops.add_unit(c, unit, queues))

    async def get_unit(self, unit_id: str) -> Unit | None:
        def read(c: sqlite3.Connection) -> Unit | None:
            row = c.execute(f"SELECT {UNIT_COLUMNS} FROM units WHERE id = ?", (unit_id,)).fetchone()
            return None if row is None else unit_from_row(row)

        return await self._read(read)

    async def list_units(self) -> list[Unit]:
        sql = f"SELECT {UNIT_COLUMNS} FROM units ORDER BY id"
        return await self._read(lambda c: [unit_from_row(r) for r in c.execute(sql)])

    async def list_queues(self, unit_ids: Sequence[str] | None = None) -> list[Queue]:
        params: tuple[str, ...] = ()
        where = ""
        if unit_ids is not None:
            params = tuple(unit_ids)
            where = f"WHERE unit_id IN ({_marks(len(params))})"
        sql = f"SELECT {QUEUE_COLUMNS} FROM queues {where} ORDER BY id"
        return await self._read(lambda c: [queue_from_row(r) for r in c.execute(sql, params)])

    async def get_queue(self, queue_id: str) -> Queue | None:
        def read(c: sqlite3.Connection) -> Queue | None:
            row = c.execute(
                f"SELECT {QUEUE_COLUMNS} FROM queues WHERE id = ?", (queue_id,)
            ).fetchone()
            return None if row is None else queue_from_row(row)

        return await self._read(read)

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
        return await self._writer.submit(
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

    async def get_user(self, user_id: int) -> User | None:
        return await self._read(lambda c: _user(c, "id = ?", (user_id,)))

    async def get_user_by_username(self, username: str) -> User | None:
        return await self._read(lambda c: _user(c, "username = ?", (username,)))

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self._writer.submit(lambda c: ops.set_password_hash(c, user_id, password_hash))

    # -- sessions ---------------------------------------------------------

    async def create_session(self, session: Session) -> None:
        await self._writer.submit(lambda c: ops.create_session(c, session))

    async def get_session(self, id_hash: str) -> Session | None:
        def read(c: sqlite3.Connection) -> Session | None:
            row = c.execute(
                f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = ?", (id_hash,)
            ).fetchone()
            return None if row is None else session_from_row(row)

        return await self._read(read)

    async def touch_session(self, id_hash: str, at: float) -> None:
        await self._writer.submit(lambda c: ops.touch_session(c, id_hash, at))

    async def delete_session(self, id_hash: str) -> None:
        await self._writer.submit(lambda c: ops.delete_session(c, id_hash))

    # -- sign-in protection (sqlite_login) --------------------------------

    async def get_lockout(self, name_key: str) -> LockoutRecord | None:
        return await self._read(lambda c: login_ops.select_lockout(c, name_key))

    async def update_lockout(
        self,
        name_key: str,
        change: Callable[[LockoutRecord], tuple[LockoutRecord, T]],
        *,
        now: float,
    ) -> T:
        return await self._writer.submit(
            lambda c: login_ops.update_lockout(c, name_key, change, now)
        )

    async def delete_lockout(self, name_key: str) -> None:
        await self._writer.submit(lambda c: login_ops.delete_lockout(c, name_key))

    async def use_totp_step(
        self, user_id: int, step: int, *, at: float, forget_before: int
    ) -> bool:
        return await self._writer.submit(
            lambda c: login_ops.use_totp_step(c, user_id, step, at, forget_before)
        )

    # -- contacts ---------------------------------------------------------

    async def create_contact(self, new: NewContact) -> Contact:
        return await self._writer.submit(lambda c: ops.create_contact(c, new))

    async def get_contact(self, contact_id: str) -> Contact | None:
        return await self._read(lambda c: ops.select_contact(c, contact_id))

    async def get_contact_by_token_hash(self, token_hash: str) -> Contact | None:
        def read(c: sqlite3.Connection) -> Contact | None:
            found = _contacts(c, "patient_token_hash = ?", (token_hash,))
            return found[0] if found else None

        return await self._read(read)

    async def acknowledge_emergency(
        self,
        contact_id: str,
        *,
        patient_token_hash: str,
        priority_tier: int,
        priority_key: float,
        at: float,
    ) -> Contact | None:
        return await self._writer.submit(
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
        queues = tuple(queue_ids)
        if not queues:
            return []
        where = (
            f"status = 'queued' AND queue_id IN ({_marks(len(queues))})"
            f" ORDER BY {ops.WAITING_ORDER}"
        )
        return await self._read(lambda c: _contacts(c, where, queues))

    async def count_waiting(self, queue_id: str) -> int:
        sql = "SELECT count(*) FROM contacts WHERE status = 'queued' AND queue_id = ?"
        return await self._read(lambda c: int(c.execute(sql, (queue_id,)).fetchone()[0]))

    async def queue_position(self, contact_id: str) -> int | None:
        # Counts along the contacts_waiting index: no rows are fetched.
        sql = (
            "SELECT 1 + (SELECT count(*) FROM contacts o WHERE o.status = 'queued'"
            " AND o.queue_id = c.queue_id AND (o.priority_tier, o.priority_key, o.created_at, o.id)"
            " < (c.priority_tier, c.priority_key, c.created_at, c.id))"
            " FROM contacts c WHERE c.id = ? AND c.status = 'queued'"
        )

        def run(c: sqlite3.Connection) -> int | None:
            row = c.execute(sql, (contact_id,)).fetchone()
            return int(row[0]) if row else None

        return await self._read(run)

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
        return await self._writer.submit(
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
        return await self._writer.submit(
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
        return await self._writer.submit(
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
        return await self._writer.submit(
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
        return await self._writer.submit(
            lambda c: ops.close_contact(
                c, contact_id, outcome=outcome, at=at, actor_user_id=actor_user_id
            )
        )

    async def assigned_to(self, user_id: int) -> list[Contact]:
        where = "status = 'assigned' AND assigned_user_id = ? ORDER BY assigned_at, id"
        return await self._read(lambda c: _contacts(c, where, (user_id,)))

    async def recent_pick_times(self, queue_id: str, since: float) -> list[float]:
        sql = (
            "SELECT at FROM contact_events WHERE kind = 'pick' AND at >= ?"
            " AND json_extract(data, '$.queue_id') = ? ORDER BY at, id"
        )
        return await self._read(lambda c: [float(r[0]) for r in c.execute(sql, (since, queue_id))])

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
        await self._writer.submit(
            lambda c: ops.add_event(
                c, contact_id, kind=kind, at=at, actor_user_id=actor_user_id, data=payload
            )
        )

    async def events(self, contact_id: str) -> list[ContactEvent]:
        sql = f"SELECT {EVENT_COLUMNS} FROM contact_events WHERE contact_id = ? ORDER BY id"
        return await self._read(
            lambda c: [event_from_row(r) for r in c.execute(sql, (contact_id,))]
        )

    # -- messages ---------------------------------------------------------

    async def append_message(self, new: NewMessage) -> AppendResult:
        return await self._writer.append(new)

    async def messages_after(
        self, contact_id: str, after_seq: int, limit: int | None = None
    ) -> list[Message]:
        sql = (
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE contact_id = ? AND seq > ?"
            " ORDER BY seq LIMIT ?"
        )
        params = (contact_id, after_seq, -1 if limit is None else limit)
        return await self._read(lambda c: [message_from_row(r) for r in c.execute(sql, params)])


def _conforms(store: SqliteStorage) -> Storage:
    """Never called: makes mypy check that SqliteStorage implements Storage."""
    return store
