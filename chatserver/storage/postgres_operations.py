"""Operations (chatserver/operations) on PostgreSQL: :class:`OperationsStore`
over asyncpg, with the semantics of ``SqliteOperationsStore``. Tables: 0005."""

# SQL here is composed only of module constants and "$n" placeholders; column
# names come from fixed tuples below, never from input.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from chatserver.operations.store import (
    BANNER_COLUMNS,
    EVENT_FREE_TEXT_KEYS,
    FEATURE_FREE_TEXT,
    PURGE_BATCH,
    UNSET,
    Banner,
    _banner,
)

from .base import Conflict, NotFound, Queue, Unit, User
from .postgres import Conn, PostgresStorage
from .sqlite_rows import (
    QUEUE_COLUMNS,
    UNIT_COLUMNS,
    USER_COLUMNS,
    queue_from_row,
    unit_from_row,
    user_from_row,
)

__all__ = ["PostgresOperationsStore"]

# "$.body" → "body": the top-level keys of contact_events.data with free text.
_EVENT_KEYS = [k.removeprefix("$.") for k in EVENT_FREE_TEXT_KEYS]


async def _user(c: Conn, user_id: int) -> User | None:
    row = await c.fetchrow(f"SELECT {USER_COLUMNS} FROM users WHERE id = $1", user_id)
    if row is None:
        return None
    units = await c.fetch(
        "SELECT unit_id FROM user_units WHERE user_id = $1 ORDER BY unit_id", user_id
    )
    return user_from_row(row, tuple(r[0] for r in units))


class PostgresOperationsStore:
    def __init__(self, storage: PostgresStorage) -> None:
        self.storage = storage

    # -- hours -------------------------------------------------------------
    async def all_hours(self) -> dict[str, dict[str, Any]]:
        async with self.storage.pool.acquire() as c:
            rows = await c.fetch("SELECT unit_id, hours FROM unit_hours")
        return {r[0]: orjson.loads(r[1]) for r in rows}

    async def set_hours(
        self, unit_id: str, hours: dict[str, Any] | None, *, at: float, by: int | None
    ) -> None:
        async def write(c: Conn) -> None:
            if await c.fetchval("SELECT 1 FROM units WHERE id = $1", unit_id) is None:
                raise NotFound(unit_id)
            if hours is None:
                await c.execute("DELETE FROM unit_hours WHERE unit_id = $1", unit_id)
                return
            await c.execute(
                "INSERT INTO unit_hours (unit_id, hours, updated_at, updated_by)"
                " VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (unit_id) DO UPDATE SET hours = excluded.hours,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                unit_id,
                orjson.dumps(hours).decode(),
                at,
                by,
            )

        await self.storage.run_write(write)

    # -- units and queues --------------------------------------------------
    async def update_unit(
        self, unit_id: str, *, name: str | None, always_open: bool | None, rollout: str | None
    ) -> Unit | None:
        async def write(c: Conn) -> Unit | None:
            for column, value in (
                ("name", name),
                ("always_open", always_open),
                ("rollout", rollout),
            ):
                if value is not None:
                    await c.execute(f"UPDATE units SET {column} = $1 WHERE id = $2", value, unit_id)
            row = await c.fetchrow(f"SELECT {UNIT_COLUMNS} FROM units WHERE id = $1", unit_id)
            return None if row is None else unit_from_row(row)

        return await self.storage.run_write(write)

    async def add_queue(self, queue: Queue) -> None:
        async def write(c: Conn) -> None:
            if await c.fetchval("SELECT 1 FROM units WHERE id = $1", queue.unit_id) is None:
                raise NotFound(queue.unit_id)
            if await c.fetchval("SELECT 1 FROM queues WHERE id = $1", queue.id):
                raise Conflict(queue.id)
            await c.execute(
                "INSERT INTO queues (id, unit_id, competence, name, max_waiting)"
                " VALUES ($1, $2, $3, $4, $5)",
                queue.id,
                queue.unit_id,
                queue.competence,
                queue.name,
                queue.max_waiting,
            )

        await self.storage.run_write(write)

    async def update_queue(
        self, queue_id: str, *, name: str | None, max_waiting: Any
    ) -> Queue | None:
        async def write(c: Conn) -> Queue | None:
            if name is not None:
                await c.execute("UPDATE queues SET name = $1 WHERE id = $2", name, queue_id)
            if max_waiting is not UNSET:
                await c.execute(
                    "UPDATE queues SET max_waiting = $1 WHERE id = $2", max_waiting, queue_id
                )
            row = await c.fetchrow(f"SELECT {QUEUE_COLUMNS} FROM queues WHERE id = $1", queue_id)
            return None if row is None else queue_from_row(row)

        return await self.storage.run_write(write)

    # -- users -------------------------------------------------------------
    async def list_users(self) -> list[User]:
        async with self.storage.pool.acquire() as c:
            units: dict[int, list[str]] = {}
            for uid, unit in await c.fetch(
                "SELECT user_id, unit_id FROM user_units ORDER BY unit_id"
            ):
                units.setdefault(uid, []).append(unit)
            rows = await c.fetch(f"SELECT {USER_COLUMNS} FROM users ORDER BY username")
        return [user_from_row(r, tuple(units.get(r[0], ()))) for r in rows]

    async def update_user(
        self,
        user_id: int,
        *,
        display_name: str | None,
        role: str | None,
        unit_ids: Sequence[str] | None,
        disabled: bool | None,
    ) -> User | None:
        wanted_units = None if unit_ids is None else sorted(set(unit_ids))

        async def write(c: Conn) -> User | None:
            if await c.fetchval("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", user_id) is None:
                return None
            for column, value in (
                ("display_name", display_name),
                ("role", role),
                ("disabled", disabled),
            ):
                if value is not None:
                    await c.execute(f"UPDATE users SET {column} = $1 WHERE id = $2", value, user_id)
            if wanted_units is not None:
                known = {
                    r[0]
                    for r in await c.fetch("SELECT id FROM units WHERE id = ANY($1)", wanted_units)
                }
                missing = [u for u in wanted_units if u not in known]
                if missing:
                    raise NotFound(f"unknown units {missing!r}")
                await c.execute("DELETE FROM user_units WHERE user_id = $1", user_id)
                await c.executemany(
                    "INSERT INTO user_units (user_id, unit_id) VALUES ($1, $2)",
                    [(user_id, u) for u in wanted_units],
                )
            return await _user(c, user_id)

        return await self.storage.run_write(write)

    async def set_totp_secret(self, user_id: int, secret: str | None) -> bool:
        async def write(c: Conn) -> bool:
            done = await c.fetchval(
                "UPDATE users SET totp_secret = $1 WHERE id = $2 RETURNING 1", secret, user_id
            )
            return done is not None

        return await self.storage.run_write(write)

    async def delete_sessions(self, user_id: int) -> list[str]:
        async def write(c: Conn) -> list[str]:
            rows = await c.fetch(
                "DELETE FROM sessions WHERE user_id = $1 RETURNING id_hash", user_id
            )
            return [r[0] for r in rows]

        return await self.storage.run_write(write)

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
        async def write(c: Conn) -> Banner:
            # Serialise publishers on all instances: at most one banner stays open.
            await c.execute("LOCK TABLE banners IN SHARE ROW EXCLUSIVE MODE")
            await c.execute(
                "UPDATE banners SET ended_at = $1, ended_by = $2 WHERE ended_at IS NULL", at, by
            )
            row = await c.fetchrow(
                "INSERT INTO banners (severity, message_sv, message_en, created_at, created_by,"
                f" ends_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {BANNER_COLUMNS}",
                severity,
                message_sv,
                message_en,
                at,
                by,
                ends_at,
            )
            return _banner(row)

        return await self.storage.run_write(write)

    async def end_banner(self, banner_id: int, *, at: float, by: int | None) -> Banner | None:
        async def write(c: Conn) -> Banner | None:
            await c.execute(
                "UPDATE banners SET ended_at = $1, ended_by = $2"
                " WHERE id = $3 AND ended_at IS NULL",
                at,
                by,
                banner_id,
            )
            row = await c.fetchrow(f"SELECT {BANNER_COLUMNS} FROM banners WHERE id = $1", banner_id)
            return None if row is None else _banner(row)

        return await self.storage.run_write(write)

    async def banners(self, limit: int) -> list[Banner]:
        async with self.storage.pool.acquire() as c:
            rows = await c.fetch(
                f"SELECT {BANNER_COLUMNS} FROM banners ORDER BY id DESC LIMIT $1", limit
            )
        return [_banner(r) for r in rows]

    # -- legal hold and retention ---------------------------------------------
    async def set_legal_hold(
        self, contact_id: str, *, hold: bool, reason: str, at: float, by: int | None
    ) -> bool:
        async def write(c: Conn) -> bool:
            if await c.fetchval("SELECT 1 FROM contacts WHERE id = $1", contact_id) is None:
                raise NotFound(contact_id)
            if hold:
                done = await c.fetchval(
                    "INSERT INTO legal_holds (contact_id, reason, set_at, set_by)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (contact_id) DO NOTHING RETURNING 1",
                    contact_id,
                    reason,
                    at,
                    by,
                )
            else:
                done = await c.fetchval(
                    "DELETE FROM legal_holds WHERE contact_id = $1 RETURNING 1", contact_id
                )
            return done is not None

        return await self.storage.run_write(write)

    async def legal_hold(self, contact_id: str) -> bool:
        async with self.storage.pool.acquire() as c:
            found = await c.fetchval("SELECT 1 FROM legal_holds WHERE contact_id = $1", contact_id)
        return found is not None

    async def purge_before(self, cutoff: float, *, at: float) -> list[str]:
        return await self.storage.run_write(lambda c: _purge(c, cutoff, at))


async def _purge(c: Conn, cutoff: float, at: float) -> list[str]:
    # SKIP LOCKED: two instances' sweepers purge different contacts, never twice.
    ids = [
        r[0]
        for r in await c.fetch(
            "SELECT id FROM contacts WHERE ((status = 'closed' AND closed_at < $1)"
            " OR (status = 'emergency_advised' AND created_at < $1))"
            " AND id NOT IN (SELECT contact_id FROM legal_holds)"
            " AND id NOT IN (SELECT contact_id FROM retention_purges)"
            " ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
            cutoff,
            PURGE_BATCH,
        )
    ]
    if not ids:
        return []
    # Triage reasons quote the words that matched a rule: drop the quotes, keep the rules.
    await c.execute(
        "UPDATE contacts SET name = '', text = '', reasons = (SELECT"
        " coalesce(jsonb_agg(value - 'matched'), '[]'::jsonb)::text"
        " FROM jsonb_array_elements(contacts.reasons::jsonb)) WHERE id = ANY($1)",
        ids,
    )
    await c.execute(
        "UPDATE messages SET body = '',"
        " sender_name = CASE WHEN sender = 'patient' THEN '' ELSE sender_name END"
        " WHERE contact_id = ANY($1)",
        ids,
    )
    await c.execute(
        "UPDATE contact_events SET data = (data::jsonb - $2::text[])::text"
        " WHERE contact_id = ANY($1)",
        ids,
        _EVENT_KEYS,
    )
    for table, column, replacement in FEATURE_FREE_TEXT:
        if await c.fetchval("SELECT to_regclass($1) IS NOT NULL", table):
            await c.execute(
                f"UPDATE {table} SET {column} = $1 WHERE contact_id = ANY($2)", replacement, ids
            )
    await c.executemany(
        "INSERT INTO retention_purges (contact_id, purged_at) VALUES ($1, $2)",
        [(cid, at) for cid in ids],
    )
    return ids
