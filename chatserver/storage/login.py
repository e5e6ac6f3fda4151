"""Plans for sign-in protection: the account lockout and the used TOTP steps
(tables of migration 0008), shared by every instance on the database.

A lockout update is a read-modify-write under the record's row lock: the row
is first made to exist (``INSERT ... ON CONFLICT DO NOTHING`` waits for a
concurrent insert of the same name to commit), then read ``FOR UPDATE``, so
concurrent failures on several instances queue up and each counts once.
Expired rows are pruned with ``SKIP LOCKED``: the prune never waits for, and
so never deadlocks with, another instance's update. On SQLite the locks are
empty: the single writer's ``BEGIN IMMEDIATE`` transaction, which every
process on the file serializes, makes the same statements atomic.
"""

# SQL here is composed only of module constants and "?" placeholders.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .base import LockoutRecord
from .plan import Dialect, Plan, execute, one, value
from .rows import Row, dumps, loads

__all__ = ["delete_lockout", "get_lockout", "update_lockout", "use_totp_step"]

T = TypeVar("T")

# Expired lockout rows deleted per failure: bounds the work one sign-in does
# while a flood of made-up names drains away within a few failures.
PRUNE_BATCH = 500

LOCKOUT_COLUMNS = "failures, lockouts, locked_until, last_failure, expires_at"

_SELECT = f"SELECT {LOCKOUT_COLUMNS} FROM login_lockouts WHERE name_key = ?"

# The neutral row of a name without history (LockoutRecord()), to lock.
_ENSURE = (
    f"INSERT INTO login_lockouts (name_key, {LOCKOUT_COLUMNS})"
    " VALUES (?, '[]', 0, 0, 0, 0) ON CONFLICT DO NOTHING"
)

_UPSERT = (
    f"INSERT INTO login_lockouts (name_key, {LOCKOUT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (name_key) DO UPDATE SET failures = excluded.failures,"
    " lockouts = excluded.lockouts, locked_until = excluded.locked_until,"
    " last_failure = excluded.last_failure, expires_at = excluded.expires_at"
)

# One statement: refused when this step or a later one was used; a replay of
# the same step hits the primary key and inserts nothing. Under PostgreSQL's
# READ COMMITTED two concurrent inserts of the same step both pass NOT EXISTS;
# the primary key then lets exactly one in. The casts type the SELECT list
# for PostgreSQL (SQLite reads them as INTEGER and REAL affinity).
_USE_STEP = (
    "INSERT INTO totp_used_steps (user_id, step, used_at)"
    " SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS DOUBLE PRECISION) WHERE NOT EXISTS"
    " (SELECT 1 FROM totp_used_steps WHERE user_id = ? AND step >= ?)"
    " ON CONFLICT DO NOTHING RETURNING 1"
)


def _record(row: Row) -> LockoutRecord:
    return LockoutRecord(
        failures=tuple(float(t) for t in loads(row[0])),
        lockouts=int(row[1]),
        locked_until=float(row[2]),
        last_failure=float(row[3]),
        expires_at=float(row[4]),
    )


def get_lockout(name_key: str) -> Plan[LockoutRecord | None]:
    row = yield one(_SELECT, name_key)
    return None if row is None else _record(row)


def update_lockout(
    d: Dialect,
    name_key: str,
    change: Callable[[LockoutRecord], tuple[LockoutRecord, T]],
    now: float,
) -> Plan[T]:
    yield execute(
        "DELETE FROM login_lockouts WHERE name_key IN (SELECT name_key FROM login_lockouts"
        f" WHERE expires_at < ? LIMIT ?{d.skip_locked})",
        now,
        PRUNE_BATCH,
    )
    yield execute(_ENSURE, name_key)
    row = yield one(_SELECT + d.for_update, name_key)
    # None only if a success on another instance deleted the row in between.
    record, result = change(LockoutRecord() if row is None else _record(row))
    yield execute(
        _UPSERT,
        name_key,
        dumps(list(record.failures)),
        record.lockouts,
        float(record.locked_until),
        float(record.last_failure),
        float(record.expires_at),
    )
    return result


def delete_lockout(name_key: str) -> Plan[None]:
    yield execute("DELETE FROM login_lockouts WHERE name_key = ?", name_key)


def use_totp_step(user_id: int, step: int, at: float, forget_before: int) -> Plan[bool]:
    yield execute(
        "DELETE FROM totp_used_steps WHERE user_id = ? AND step < ?", user_id, forget_before
    )
    used = yield value(_USE_STEP, user_id, step, at, user_id, step)
    return used is not None
