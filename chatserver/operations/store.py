"""Storage of operations: hours, banners, legal holds, retention, and the admin
changes to units, queues and users that the core Storage interface lacks.

:class:`OperationsStore` is the interface; :class:`SqliteOperationsStore`
implements it on the SQLite backend's single writer (``run_write``) and
read-only connections (``run_read``). A PostgreSQL backend implements the same
methods. Tables: migration 0005.
"""

# SQL here is composed only of module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import orjson

from chatserver.storage.base import Conflict, NotFound, Queue, Storage, Unit, User
from chatserver.storage.sqlite_rows import (
    QUEUE_COLUMNS,
    UNIT_COLUMNS,
    USER_COLUMNS,
    queue_from_row,
    unit_from_row,
    user_from_row,
)

T = TypeVar("T")

# Contacts purged per write transaction: keeps each transaction short so
# chat writes queued behind it are not delayed noticeably.
PURGE_BATCH = 200
# Free-text columns of feature tables, purged when the table exists:
# (table, column, replacement). Survey comments are optional (NULL).
FEATURE_FREE_TEXT: tuple[tuple[str, str, str | None], ...] = (("survey_answers", "comment", None),)
# JSON keys of contact_events.data that hold free text (notes, transfer notes).
EVENT_FREE_TEXT_KEYS = ("$.body", "$.note", "$.text", "$.comment", "$.reason")

# "Leave unchanged" for :meth:`OperationsStore.update_queue` (None means "no limit").
UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class Banner:
    id: int
    severity: str  # info | warning | critical
    message_sv: str
    message_en: str
    created_at: float
    created_by: int | None
    ends_at: float | None
    ended_at: float | None

    def active_at(self, now: float) -> bool:
        return self.ended_at is None and (self.ends_at is None or now < self.ends_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "message": {"sv": self.message_sv, "en": self.message_en},
            "created_at": self.created_at,
            "ends_at": self.ends_at,
            "ended_at": self.ended_at,
        }


class OperationsStore(Protocol):
    async def all_hours(self) -> dict[str, dict[str, Any]]:
        """Configured hours documents by unit id."""

    async def set_hours(
        self, unit_id: str, hours: dict[str, Any] | None, *, at: float, by: int | None
    ) -> None:
        """Store (None: remove, i.e. back to the default). NotFound for an unknown unit."""

    async def update_unit(
        self, unit_id: str, *, name: str | None, always_open: bool | None, rollout: str | None
    ) -> Unit | None: ...

    async def add_queue(self, queue: Queue) -> None:
        """Conflict if the unit already has that competence; NotFound for an unknown unit."""

    async def update_queue(
        self, queue_id: str, *, name: str | None, max_waiting: Any
    ) -> Queue | None:
        """``max_waiting``: int, None (no limit) or the ``UNSET`` sentinel (unchanged)."""

    async def list_users(self) -> list[User]: ...

    async def update_user(
        self,
        user_id: int,
        *,
        display_name: str | None,
        role: str | None,
        unit_ids: Sequence[str] | None,
        disabled: bool | None,
    ) -> User | None: ...

    async def set_totp_secret(self, user_id: int, secret: str | None) -> bool: ...

    async def delete_sessions(self, user_id: int) -> list[str]:
        """Delete every session of the user; returns their id hashes."""

    async def add_banner(
        self,
        *,
        severity: str,
        message_sv: str,
        message_en: str,
        at: float,
        by: int | None,
        ends_at: float | None,
    ) -> Banner:
        """Publish a banner; the previously open one is ended at ``at``."""

    async def end_banner(self, banner_id: int, *, at: float, by: int | None) -> Banner | None: ...

    async def banners(self, limit: int) -> list[Banner]:
        """Newest first."""

    async def set_legal_hold(
        self, contact_id: str, *, hold: bool, reason: str, at: float, by: int | None
    ) -> bool:
        """True when the flag changed. NotFound for an unknown contact."""

    async def legal_hold(self, contact_id: str) -> bool: ...

    async def purge_before(self, cutoff: float, *, at: float) -> list[str]:
        """Purge free text of up to PURGE_BATCH contacts ended before ``cutoff``
        (not on legal hold, not yet purged); returns their ids."""


def operations_store(storage: Storage) -> OperationsStore:
    if hasattr(storage, "run_write") and hasattr(storage, "run_read"):
        return SqliteOperationsStore(storage)
    from chatserver.storage.postgres import PostgresStorage  # noqa: PLC0415

    if isinstance(storage, PostgresStorage):
        from chatserver.storage.postgres_operations import PostgresOperationsStore  # noqa: PLC0415

        return PostgresOperationsStore(storage)
    raise NotImplementedError(f"no operations store for {type(storage).__name__}")


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _banner(r: Sequence[Any]) -> Banner:
    return Banner(
        id=r[0],
        severity=r[1],
        message_sv=r[2],
        message_en=r[3],
        created_at=r[4],
        created_by=r[5],
        ends_at=r[6],
        ended_at=r[7],
    )


BANNER_COLUMNS = "id, severity, message_sv, message_en, created_at, created_by, ends_at, ended_at"


def _user(c: sqlite3.Connection, user_id: int) -> User | None:
    row = c.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        return None
    units = tuple(
        r[0]
        for r in c.execute(
            "SELECT unit_id FROM user_units WHERE user_id = ? ORDER BY unit_id", (user_id,)
        )
    )
    return user_from_row(row, units)


class SqliteOperationsStore:
    def __init__(self, storage: Any) -> None:
        self.storage = storage

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self.storage.run_write(fn)
        return result

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self.storage.run_read(fn)
        return result

    # -- hours -------------------------------------------------------------
    async def all_hours(self) -> dict[str, dict[str, Any]]:
        def read(c: sqlite3.Connection) -> dict[str, dict[str, Any]]:
            return {
                r[0]: orjson.loads(r[1]) for r in c.execute("SELECT unit_id, hours FROM unit_hours")
            }

        return await self._read(read)

    async def set_hours(
        self, unit_id: str, hours: dict[str, Any] | None, *, at: float, by: int | None
    ) -> None:
        def write(c: sqlite3.Connection) -> None:
            if c.execute("SELECT 1 FROM units WHERE id = ?", (unit_id,)).fetchone() is None:
                raise NotFound(unit_id)
            if hours is None:
                c.execute("DELETE FROM unit_hours WHERE unit_id = ?", (unit_id,))
                return
            c.execute(
                "INSERT INTO unit_hours (unit_id, hours, updated_at, updated_by)"
                " VALUES (?, ?, ?, ?)"
                " ON CONFLICT (unit_id) DO UPDATE SET hours = excluded.hours,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (unit_id, orjson.dumps(hours).decode(), at, by),
            )

        await self._write(write)

    # -- units and queues --------------------------------------------------
    async def update_unit(
        self, unit_id: str, *, name: str | None, always_open: bool | None, rollout: str | None
    ) -> Unit | None:
        def write(c: sqlite3.Connection) -> Unit | None:
            for column, value in (
                ("name", name),
                ("always_open", always_open),
                ("rollout", rollout),
            ):
                if value is not None:
                    c.execute(f"UPDATE units SET {column} = ? WHERE id = ?", (value, unit_id))
            row = c.execute(f"SELECT {UNIT_COLUMNS} FROM units WHERE id = ?", (unit_id,)).fetchone()
            return None if row is None else unit_from_row(row)

        return await self._write(write)

    async def add_queue(self, queue: Queue) -> None:
        def write(c: sqlite3.Connection) -> None:
            if c.execute("SELECT 1 FROM units WHERE id = ?", (queue.unit_id,)).fetchone() is None:
                raise NotFound(queue.unit_id)
            if c.execute("SELECT 1 FROM queues WHERE id = ?", (queue.id,)).fetchone():
                raise Conflict(queue.id)
            c.execute(
                "INSERT INTO queues (id, unit_id, competence, name, max_waiting)"
                " VALUES (?, ?, ?, ?, ?)",
                (queue.id, queue.unit_id, queue.competence, queue.name, queue.max_waiting),
            )

        await self._write(write)

    async def update_queue(
        self, queue_id: str, *, name: str | None, max_waiting: Any
    ) -> Queue | None:
        def write(c: sqlite3.Connection) -> Queue | None:
            if name is not None:
                c.execute("UPDATE queues SET name = ? WHERE id = ?", (name, queue_id))
            if max_waiting is not UNSET:
                c.execute("UPDATE queues SET max_waiting = ? WHERE id = ?", (max_waiting, queue_id))
            row = c.execute(
                f"SELECT {QUEUE_COLUMNS} FROM queues WHERE id = ?", (queue_id,)
            ).fetchone()
            return None if row is None else queue_from_row(row)

        return await self._write(write)

    # -- users -------------------------------------------------------------
    async def list_users(self) -> list[User]:
        def read(c: sqlite3.Connection) -> list[User]:
            units: dict[int, list[str]] = {}
            for uid, unit in c.execute("SELECT user_id, unit_id FROM user_units ORDER BY unit_id"):
                units.setdefault(uid, []).append(unit)
            rows = c.execute(f"SELECT {USER_COLUMNS} FROM users ORDER BY username")
            return [user_from_row(r, tuple(units.get(r[0], ()))) for r in rows]

        return await self._read(read)

    async def update_user(
        self,
        user_id: int,
        *,
        display_name: str | None,
        role: str | None,
        unit_ids: Sequence[str] | None,
        disabled: bool | None,
    ) -> User | None:
        wanted_units = None if unit_ids is None else tuple(sorted(set(unit_ids)))

        def write(c: sqlite3.Connection) -> User | None:
            if c.execute("SELECT 1 FROM users WHERE id = ?", (user_id,)).fetchone() is None:
                return None
            for column, value in (
                ("display_name", display_name),
                ("role", role),
                ("disabled", disabled),
            ):
                if value is not None:
                    c.execute(f"UPDATE users SET {column} = ? WHERE id = ?", (value, user_id))
            if wanted_units is not None:
                known = {
                    r[0]
                    for r in c.execute(
                        f"SELECT id FROM units WHERE id IN ({_marks(len(wanted_units))})",
                        wanted_units,
                    )
                }
                missing = [u for u in wanted_units if u not in known]
                if missing:
                    raise NotFound(f"unknown units {missing!r}")
                c.execute("DELETE FROM user_units WHERE user_id = ?", (user_id,))
                c.executemany(
                    "INSERT INTO user_units (user_id, unit_id) VALUES (?, ?)",
                    [(user_id, u) for u in wanted_units],
                )
            return _user(c, user_id)

        return await self._write(write)

    async def set_totp_secret(self, user_id: int, secret: str | None) -> bool:
        def write(c: sqlite3.Connection) -> bool:
            cur = c.execute("UPDATE users SET totp_secret = ? WHERE id = ?", (secret, user_id))
            return cur.rowcount == 1

        return await self._write(write)

    async def delete_sessions(self, user_id: int) -> list[str]:
        def write(c: sqlite3.Connection) -> list[str]:
            hashes = [
                r[0]
                for r in c.execute("SELECT id_hash FROM sessions WHERE user_id = ?", (user_id,))
            ]
            c.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
            return hashes

        return await self._write(write)

    # -- banners -------------------------------------------------------------
    async def add_banner(
        self,
        *,
        severity: str,
        message_sv: str,
        message_en: str,
        at: float,
        by: int | None,
        ends_at: float | None,
    ) -> Banner:
        def write(c: sqlite3.Connection) -> Banner:
            c.execute(
                "UPDATE banners SET ended_at = ?, ended_by = ? WHERE ended_at IS NULL", (at, by)
            )
            cur = c.execute(
                "INSERT INTO banners (severity, message_sv, message_en, created_at, created_by,"
                " ends_at) VALUES (?, ?, ?, ?, ?, ?)",
                (severity, message_sv, message_en, at, by, ends_at),
            )
            row = c.execute(
                f"SELECT {BANNER_COLUMNS} FROM banners WHERE id = ?", (cur.lastrowid,)
            ).fetchone()
            return _banner(row)

        return await self._write(write)

    async def end_banner(self, banner_id: int, *, at: float, by: int | None) -> Banner | None:
        def write(c: sqlite3.Connection) -> Banner | None:
            c.execute(
                "UPDATE banners SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL",
                (at, by, banner_id),
            )
            row = c.execute(
                f"SELECT {BANNER_COLUMNS} FROM banners WHERE id = ?", (banner_id,)
            ).fetchone()
            return None if row is None else _banner(row)

        return await self._write(write)

    async def banners(self, limit: int) -> list[Banner]:
        sql = f"SELECT {BANNER_COLUMNS} FROM banners ORDER BY id DESC LIMIT ?"
        return await self._read(lambda c: [_banner(r) for r in c.execute(sql, (limit,))])

    # -- legal hold and retention ---------------------------------------------
    async def set_legal_hold(
        self, contact_id: str, *, hold: bool, reason: str, at: float, by: int | None
    ) -> bool:
        def write(c: sqlite3.Connection) -> bool:
            if c.execute("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)).fetchone() is None:
                raise NotFound(contact_id)
            if hold:
                cur = c.execute(
                    "INSERT OR IGNORE INTO legal_holds (contact_id, reason, set_at, set_by)"
                    " VALUES (?, ?, ?, ?)",
                    (contact_id, reason, at, by),
                )
            else:
                cur = c.execute("DELETE FROM legal_holds WHERE contact_id = ?", (contact_id,))
            return cur.rowcount == 1

        return await self._write(write)

    async def legal_hold(self, contact_id: str) -> bool:
        sql = "SELECT 1 FROM legal_holds WHERE contact_id = ?"
        return await self._read(lambda c: c.execute(sql, (contact_id,)).fetchone() is not None)

    async def purge_before(self, cutoff: float, *, at: float) -> list[str]:
        return await self._write(lambda c: _purge(c, cutoff, at))


def _purge(c: sqlite3.Connection, cutoff: float, at: float) -> list[str]:
    # Closed contacts by their closing time; emergency advice (never queued,
    # never closed) by its intake time.
    ids = [
        r[0]
        for r in c.execute(
            "SELECT id FROM contacts WHERE ((status = 'closed' AND closed_at < ?)"
            " OR (status = 'emergency_advised' AND created_at < ?))"
            " AND id NOT IN (SELECT contact_id FROM legal_holds)"
            " AND id NOT IN (SELECT contact_id FROM retention_purges)"
            " ORDER BY id LIMIT ?",
            (cutoff, cutoff, PURGE_BATCH),
        )
    ]
    if not ids:
        return []
    marks = _marks(len(ids))
    # Triage reasons quote the words that matched a rule: drop the quotes, keep the rules.
    c.execute(
        "UPDATE contacts SET name = '', text = '', reasons = (SELECT"
        " coalesce(json_group_array(json_remove(value, '$.matched')), '[]')"
        f" FROM json_each(contacts.reasons)) WHERE id IN ({marks})",
        ids,
    )
    # The patient's name is also the sender name of their messages.
    c.execute(
        "UPDATE messages SET body = '',"
        " sender_name = CASE WHEN sender = 'patient' THEN '' ELSE sender_name END"
        f" WHERE contact_id IN ({marks})",
        ids,
    )
    keys = ", ".join(f"'{k}'" for k in EVENT_FREE_TEXT_KEYS)
    c.execute(
        f"UPDATE contact_events SET data = json_remove(data, {keys}) WHERE contact_id IN ({marks})",
        ids,
    )
    tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table, column, replacement in FEATURE_FREE_TEXT:
        if table in tables:
            c.execute(
                f"UPDATE {table} SET {column} = ? WHERE contact_id IN ({marks})",
                [replacement, *ids],
            )
    c.executemany(
        "INSERT INTO retention_purges (contact_id, purged_at) VALUES (?, ?)",
        [(cid, at) for cid in ids],
    )
    return ids
