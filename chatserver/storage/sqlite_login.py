"""Sign-in protection on SQLite: the account lockout and the used TOTP steps
(tables of migrations/sqlite/0008).

The write functions run on the single writer's connection inside its
``BEGIN IMMEDIATE`` transaction, which every process on the file serializes:
a read-modify-write of a lockout record, or a TOTP step's INSERT, is atomic
across instances.
"""

# SQL here is composed only of module constants and "?" placeholders.
# ruff: noqa: S608

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .base import LockoutRecord

__all__ = [
    "LOCKOUT_COLUMNS",
    "delete_lockout",
    "lockout_from_row",
    "lockout_params",
    "select_lockout",
    "update_lockout",
    "use_totp_step",
]

T = TypeVar("T")

# Expired lockout rows deleted per failure: bounds the work one sign-in does
# while a flood of made-up names drains away within a few failures.
PRUNE_BATCH = 500

LOCKOUT_COLUMNS = "failures, lockouts, locked_until, last_failure, expires_at"

_PRUNE = (
    "DELETE FROM login_lockouts WHERE name_key IN"
    " (SELECT name_key FROM login_lockouts WHERE expires_at < ? LIMIT ?)"
)

_UPSERT = (
    f"INSERT INTO login_lockouts (name_key, {LOCKOUT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (name_key) DO UPDATE SET failures = excluded.failures,"
    " lockouts = excluded.lockouts, locked_until = excluded.locked_until,"
    " last_failure = excluded.last_failure, expires_at = excluded.expires_at"
)

# One statement: refused when this step or a later one was used; a replay of the
# same step hits the primary key and inserts nothing.
_USE_STEP = (
    "INSERT INTO totp_used_steps (user_id, step, used_at)"
    " SELECT ?, ?, ? WHERE NOT EXISTS"
    " (SELECT 1 FROM totp_used_steps WHERE user_id = ? AND step >= ?)"
    " ON CONFLICT DO NOTHING"
)


def lockout_from_row(row: Sequence[Any]) -> LockoutRecord:
    """A ``LOCKOUTLOCKOUT_COLUMNS`` row (SQLite or PostgreSQL) as a record."""
    failures, lockouts, locked_until, last_failure, expires_at = row
    return LockoutRecord(
        failures=tuple(float(t) for t in json.loads(failures)),
        lockouts=int(lockouts),
        locked_until=float(locked_until),
        last_failure=float(last_failure),
        expires_at=float(expires_at),
    )


def lockout_params(record: LockoutRecord) -> tuple[str, int, float, float, float]:
    """The values of ``LOCKOUT_COLUMNS`` for a record."""
    return (
        json.dumps(list(record.failures)),
        record.lockouts,
        record.locked_until,
        record.last_failure,
        record.expires_at,
    )


def select_lockout(conn: sqlite3.Connection, name_key: str) -> LockoutRecord | None:
    row = conn.execute(
        f"SELECT {LOCKOUT_COLUMNS} FROM login_lockouts WHERE name_key = ?", (name_key,)
    ).fetchone()
    return None if row is None else lockout_from_row(row)


def update_lockout(
    conn: sqlite3.Connection,
    name_key: str,
    change: Callable[[LockoutRecord], tuple[LockoutRecord, T]],
    now: float,
) -> T:
    conn.execute(_PRUNE, (now, PRUNE_BATCH))
    record, result = change(select_lockout(conn, name_key) or LockoutRecord())
    conn.execute(_UPSERT, (name_key, *lockout_params(record)))
    return result


def delete_lockout(conn: sqlite3.Connection, name_key: str) -> None:
    conn.execute("DELETE FROM login_lockouts WHERE name_key = ?", (name_key,))


def use_totp_step(
    conn: sqlite3.Connection, user_id: int, step: int, at: float, forget_before: int
) -> bool:
    conn.execute(
        "DELETE FROM totp_used_steps WHERE user_id = ? AND step < ?", (user_id, forget_before)
    )
    cursor = conn.execute(_USE_STEP, (user_id, step, at, user_id, step))
    return cursor.rowcount == 1
