"""Sign-in protection on PostgreSQL: the account lockout and the used TOTP
steps (tables of migrations/postgresql/0008), shared by every instance.

A lockout update is a read-modify-write under the record's row lock: the row
is first made to exist (``INSERT ... ON CONFLICT DO NOTHING`` waits for a
concurrent insert of the same name to commit), then read ``FOR UPDATE``, so
concurrent failures on several instances queue up and each counts once.
Expired rows are pruned with ``SKIP LOCKED``: the prune never waits for, and
so never deadlocks with, another instance's update.
"""

# SQL here is composed only of module constants and "$n" placeholders.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import asyncpg

from .base import LockoutRecord
from .sqlite_login import LOCKOUT_COLUMNS, PRUNE_BATCH, lockout_from_row, lockout_params

__all__ = ["delete_lockout", "select_lockout", "update_lockout", "use_totp_step"]

T = TypeVar("T")

_PRUNE = (
    "DELETE FROM login_lockouts WHERE name_key IN"
    " (SELECT name_key FROM login_lockouts WHERE expires_at < $1"
    " LIMIT $2 FOR UPDATE SKIP LOCKED)"
)

# The neutral row of a name without history (LockoutRecord()), to lock.
_ENSURE = (
    f"INSERT INTO login_lockouts (name_key, {LOCKOUT_COLUMNS})"
    " VALUES ($1, '[]', 0, 0, 0, 0) ON CONFLICT DO NOTHING"
)

_UPSERT = (
    f"INSERT INTO login_lockouts (name_key, {LOCKOUT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (name_key) DO UPDATE SET failures = excluded.failures,"
    " lockouts = excluded.lockouts, locked_until = excluded.locked_until,"
    " last_failure = excluded.last_failure, expires_at = excluded.expires_at"
)

# As sqlite_login._USE_STEP. Under READ COMMITTED two concurrent inserts of
# the same step both pass NOT EXISTS; the primary key then lets exactly one in.
_USE_STEP = (
    "INSERT INTO totp_used_steps (user_id, step, used_at)"
    " SELECT $1::bigint, $2::bigint, $3::double precision WHERE NOT EXISTS"
    " (SELECT 1 FROM totp_used_steps WHERE user_id = $1 AND step >= $2)"
    " ON CONFLICT DO NOTHING RETURNING 1"
)


async def select_lockout(conn: asyncpg.Connection, name_key: str) -> LockoutRecord | None:
    row = await conn.fetchrow(
        f"SELECT {LOCKOUT_COLUMNS} FROM login_lockouts WHERE name_key = $1", name_key
    )
    return None if row is None else lockout_from_row(tuple(row))


async def update_lockout(
    conn: asyncpg.Connection,
    name_key: str,
    change: Callable[[LockoutRecord], tuple[LockoutRecord, T]],
    now: float,
) -> T:
    """Inside the caller's transaction."""
    await conn.execute(_PRUNE, now, PRUNE_BATCH)
    await conn.execute(_ENSURE, name_key)
    row = await conn.fetchrow(
        f"SELECT {LOCKOUT_COLUMNS} FROM login_lockouts WHERE name_key = $1 FOR UPDATE",
        name_key,
    )
    # None only if a success on another instance deleted the row in between.
    current = LockoutRecord() if row is None else lockout_from_row(tuple(row))
    record, result = change(current)
    await conn.execute(_UPSERT, name_key, *lockout_params(record))
    return result


async def delete_lockout(conn: asyncpg.Connection, name_key: str) -> None:
    await conn.execute("DELETE FROM login_lockouts WHERE name_key = $1", name_key)


async def use_totp_step(
    conn: asyncpg.Connection, user_id: int, step: int, at: float, forget_before: int
) -> bool:
    """Inside the caller's transaction."""
    await conn.execute(
        "DELETE FROM totp_used_steps WHERE user_id = $1 AND step < $2", user_id, forget_before
    )
    return await conn.fetchval(_USE_STEP, user_id, step, at) is not None
