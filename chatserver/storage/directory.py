"""Plans for the directory: units, their queues, staff users and their sessions.

Written once for both engines (:mod:`.plan`). A duplicate is detected by the
write itself (``INSERT ... ON CONFLICT DO NOTHING RETURNING``), so two
instances adding the same name at once get one row and one :class:`Conflict`.
"""

# SQL here is composed only of module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence

from .base import Conflict, NotFound, Queue, Session, Unit, User
from .plan import Dialect, Plan, all_rows, count, execute, many, one, value
from .rows import (
    QUEUE_COLUMNS,
    SESSION_COLUMNS,
    UNIT_COLUMNS,
    USER_COLUMNS,
    queue_from_row,
    session_from_row,
    unit_from_row,
    user_from_row,
)

__all__ = [
    "add_unit",
    "add_user",
    "create_session",
    "delete_session",
    "get_queue",
    "get_session",
    "get_unit",
    "get_user",
    "get_user_by_username",
    "list_queues",
    "list_units",
    "set_password_hash",
    "set_unit_identification",
    "touch_session",
]


# -- units and queues ---------------------------------------------------------


def add_unit(unit: Unit, queues: Sequence[Queue]) -> Plan[None]:
    for q in queues:
        if q.unit_id != unit.id:
            raise ValueError(f"queue {q.id!r} belongs to unit {q.unit_id!r}, not {unit.id!r}")
    inserted = yield value(
        "INSERT INTO units (id, name, always_open, rollout, created_at, identification)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING 1",
        unit.id,
        unit.name,
        unit.always_open,
        unit.rollout,
        unit.created_at,
        unit.identification,
    )
    if inserted is None:
        raise Conflict(f"unit {unit.id!r} exists")
    yield many(
        "INSERT INTO queues (id, unit_id, competence, name, max_waiting) VALUES (?, ?, ?, ?, ?)",
        [(q.id, q.unit_id, q.competence, q.name, q.max_waiting) for q in queues],
    )


def get_unit(unit_id: str) -> Plan[Unit | None]:
    row = yield one(f"SELECT {UNIT_COLUMNS} FROM units WHERE id = ?", unit_id)
    return None if row is None else unit_from_row(row)


def list_units() -> Plan[list[Unit]]:
    rows = yield all_rows(f"SELECT {UNIT_COLUMNS} FROM units ORDER BY id")
    return [unit_from_row(r) for r in rows]


def set_unit_identification(unit_id: str, identification: str | None) -> Plan[bool]:
    """Set a unit's patient identification ('optional', 'required', or None for
    the global setting); False for an unknown unit."""
    changed = yield count(
        "UPDATE units SET identification = ? WHERE id = ?", identification, unit_id
    )
    return bool(changed)


def list_queues(d: Dialect, unit_ids: Sequence[str] | None) -> Plan[list[Queue]]:
    where, params = ("", ()) if unit_ids is None else d.any_of("unit_id", unit_ids)
    where = f" WHERE {where}" if where else ""
    rows = yield all_rows(f"SELECT {QUEUE_COLUMNS} FROM queues{where} ORDER BY id", *params)
    return [queue_from_row(r) for r in rows]


def get_queue(queue_id: str) -> Plan[Queue | None]:
    row = yield one(f"SELECT {QUEUE_COLUMNS} FROM queues WHERE id = ?", queue_id)
    return None if row is None else queue_from_row(row)


# -- staff --------------------------------------------------------------------


def add_user(
    d: Dialect,
    *,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
    totp_secret: str | None,
    unit_ids: Sequence[str],
    created_at: float,
    must_change_password: bool = False,
) -> Plan[User]:
    units = tuple(sorted(set(unit_ids)))
    if units:
        where, params = d.any_of("id", units)
        known = {r[0] for r in (yield all_rows(f"SELECT id FROM units WHERE {where}", *params))}
        missing = [u for u in units if u not in known]
        if missing:
            raise NotFound(f"unknown units {missing!r}")
    user_id = yield value(
        "INSERT INTO users (username, display_name, role, password_hash, totp_secret,"
        " disabled, created_at, must_change_password) VALUES (?, ?, ?, ?, ?, FALSE, ?, ?)"
        # No conflict target: the username, or its lower case (migration 0013).
        " ON CONFLICT DO NOTHING RETURNING id",
        username,
        display_name,
        role,
        password_hash,
        totp_secret,
        created_at,
        must_change_password,
    )
    if user_id is None:
        raise Conflict(f"username {username!r} exists")
    yield many(
        "INSERT INTO user_units (user_id, unit_id) VALUES (?, ?)", [(user_id, u) for u in units]
    )
    return User(
        id=int(user_id),
        username=username,
        display_name=display_name,
        role=role,
        password_hash=password_hash,
        totp_secret=totp_secret,
        disabled=False,
        created_at=created_at,
        unit_ids=units,
        must_change_password=must_change_password,
    )


def _user(where: str, param: int | str) -> Plan[User | None]:
    row = yield one(f"SELECT {USER_COLUMNS} FROM users WHERE {where}", param)
    if row is None:
        return None
    units = yield all_rows(
        "SELECT unit_id FROM user_units WHERE user_id = ? ORDER BY unit_id", row[0]
    )
    return user_from_row(row, tuple(u[0] for u in units))


def get_user(user_id: int) -> Plan[User | None]:
    return _user("id = ?", user_id)


def get_user_by_username(username: str) -> Plan[User | None]:
    # Usernames are unique regardless of case (migration 0013's index).
    return _user("lower(username) = lower(?)", username)


def set_password_hash(user_id: int, password_hash: str) -> Plan[None]:
    changed = yield count("UPDATE users SET password_hash = ? WHERE id = ?", password_hash, user_id)
    if changed == 0:
        raise NotFound(f"user {user_id}")


# -- sessions -----------------------------------------------------------------


def create_session(session: Session) -> Plan[None]:
    if (yield value("SELECT 1 FROM users WHERE id = ?", session.user_id)) is None:
        raise NotFound(f"user {session.user_id}")
    inserted = yield value(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, method)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id_hash) DO NOTHING RETURNING 1",
        session.id_hash,
        session.user_id,
        session.csrf_token,
        session.created_at,
        session.last_seen_at,
        session.method,
    )
    if inserted is None:
        raise Conflict("session exists")


def get_session(id_hash: str) -> Plan[Session | None]:
    row = yield one(f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = ?", id_hash)
    return None if row is None else session_from_row(row)


def touch_session(id_hash: str, at: float) -> Plan[None]:
    yield execute("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", at, id_hash)


def delete_session(id_hash: str) -> Plan[None]:
    yield execute("DELETE FROM sessions WHERE id_hash = ?", id_hash)
