"""Synchronous write operations of the SQLite backend.

Each function runs on the writer thread inside the batch transaction and its
own SAVEPOINT (see :mod:`.sqlite_writer`): it may raise Conflict/NotFound and
only its own changes are rolled back. Because one writer runs them one after
the other, a select-then-update inside one function is atomic.
"""

# SQL here is composed only of module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from .base import Conflict, Contact, NewContact, NotFound, Queue, Session, Unit, User
from .sqlite_rows import CONTACT_COLUMNS, contact_from_row, dumps

__all__ = [
    "acknowledge_emergency",
    "add_event",
    "add_unit",
    "add_user",
    "close_contact",
    "create_contact",
    "create_session",
    "delete_session",
    "insert_event",
    "pick",
    "requeue",
    "select_contact",
    "set_level",
    "set_password_hash",
    "touch_session",
    "transfer",
]

OPEN_STATUSES = ("emergency_advised", "queued", "assigned")
INTAKE_STATUSES = ("queued", "emergency_advised")

# Waiting-room order. NULL priority keys go last within their tier, which is
# also PostgreSQL's default for ascending order, so both backends agree.
WAITING_ORDER = "priority_tier, priority_key IS NULL, priority_key, created_at, id"


def _placeholders(n: int) -> str:
    return ", ".join("?" * n)


def select_contact(conn: sqlite3.Connection, contact_id: str) -> Contact | None:
    row = conn.execute(
        f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?", (contact_id,)
    ).fetchone()
    return None if row is None else contact_from_row(row)


def _must_contact(conn: sqlite3.Connection, contact_id: str) -> Contact:
    contact = select_contact(conn, contact_id)
    assert contact is not None, "row vanished inside the writer transaction"
    return contact


def insert_event(
    conn: sqlite3.Connection,
    contact_id: str,
    kind: str,
    *,
    at: float,
    actor_user_id: int | None,
    data: Mapping[str, Any],
) -> None:
    conn.execute(
        "INSERT INTO contact_events (contact_id, at, kind, actor_user_id, data)"
        " VALUES (?, ?, ?, ?, ?)",
        (contact_id, at, kind, actor_user_id, dumps(dict(data))),
    )


# -- units, users, sessions ---------------------------------------------------


def add_unit(conn: sqlite3.Connection, unit: Unit, queues: Sequence[Queue]) -> None:
    if conn.execute("SELECT 1 FROM units WHERE id = ?", (unit.id,)).fetchone():
        raise Conflict(f"unit {unit.id!r} exists")
    for q in queues:
        if q.unit_id != unit.id:
            raise ValueError(f"queue {q.id!r} belongs to unit {q.unit_id!r}, not {unit.id!r}")
    conn.execute(
        "INSERT INTO units (id, name, always_open, rollout, created_at) VALUES (?, ?, ?, ?, ?)",
        (unit.id, unit.name, int(unit.always_open), unit.rollout, unit.created_at),
    )
    conn.executemany(
        "INSERT INTO queues (id, unit_id, competence, name, max_waiting) VALUES (?, ?, ?, ?, ?)",
        [(q.id, q.unit_id, q.competence, q.name, q.max_waiting) for q in queues],
    )


def add_user(
    conn: sqlite3.Connection,
    *,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
    totp_secret: str | None,
    unit_ids: Sequence[str],
    created_at: float,
) -> User:
    if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
        raise Conflict(f"username {username!r} exists")
    units = tuple(sorted(set(unit_ids)))
    if units:
        known = {
            r[0]
            for r in conn.execute(
                f"SELECT id FROM units WHERE id IN ({_placeholders(len(units))})", units
            )
        }
        missing = [u for u in units if u not in known]
        if missing:
            raise NotFound(f"unknown units {missing!r}")
    cur = conn.execute(
        "INSERT INTO users (username, display_name, role, password_hash, totp_secret,"
        " disabled, created_at) VALUES (?, ?, ?, ?, ?, 0, ?)",
        (username, display_name, role, password_hash, totp_secret, created_at),
    )
    user_id = cur.lastrowid
    assert user_id is not None
    conn.executemany(
        "INSERT INTO user_units (user_id, unit_id) VALUES (?, ?)", [(user_id, u) for u in units]
    )
    return User(
        id=user_id,
        username=username,
        display_name=display_name,
        role=role,
        password_hash=password_hash,
        totp_secret=totp_secret,
        disabled=False,
        created_at=created_at,
        unit_ids=units,
    )


def set_password_hash(conn: sqlite3.Connection, user_id: int, password_hash: str) -> None:
    cur = conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))
    if cur.rowcount == 0:
        raise NotFound(f"user {user_id}")


def create_session(conn: sqlite3.Connection, session: Session) -> None:
    if conn.execute("SELECT 1 FROM users WHERE id = ?", (session.user_id,)).fetchone() is None:
        raise NotFound(f"user {session.user_id}")
    if conn.execute("SELECT 1 FROM sessions WHERE id_hash = ?", (session.id_hash,)).fetchone():
        raise Conflict("session exists")
    conn.execute(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            session.id_hash,
            session.user_id,
            session.csrf_token,
            session.created_at,
            session.last_seen_at,
        ),
    )


def touch_session(conn: sqlite3.Connection, id_hash: str, at: float) -> None:
    conn.execute("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", (at, id_hash))


def delete_session(conn: sqlite3.Connection, id_hash: str) -> None:
    conn.execute("DELETE FROM sessions WHERE id_hash = ?", (id_hash,))


# -- contacts -----------------------------------------------------------------


def create_contact(conn: sqlite3.Connection, new: NewContact) -> Contact:
    if new.status not in INTAKE_STATUSES:
        raise ValueError(f"a new contact cannot have status {new.status!r}")
    queue = conn.execute("SELECT unit_id FROM queues WHERE id = ?", (new.queue_id,)).fetchone()
    if queue is None:
        raise NotFound(f"queue {new.queue_id!r}")
    if queue[0] != new.unit_id:
        raise ValueError(f"queue {new.queue_id!r} is not a queue of unit {new.unit_id!r}")
    if conn.execute("SELECT 1 FROM contacts WHERE id = ?", (new.id,)).fetchone():
        raise Conflict(f"contact {new.id!r} exists")
    if (
        new.patient_token_hash is not None
        and conn.execute(
            "SELECT 1 FROM contacts WHERE patient_token_hash = ?", (new.patient_token_hash,)
        ).fetchone()
    ):
        raise Conflict("patient token hash already in use")
    conn.execute(
        "INSERT INTO contacts (id, unit_id, queue_id, status, level, intake_level, tags,"
        " reasons, red_flag, emergency_acknowledged, lang, age, name, text, would_otherwise,"
        " patient_token_hash, created_at, queued_at, priority_tier, priority_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            new.id,
            new.unit_id,
            new.queue_id,
            new.status,
            new.level,
            new.level,
            dumps(list(new.tags)),
            dumps([dict(r) for r in new.reasons]),
            int(new.red_flag),
            int(new.emergency_acknowledged),
            new.lang,
            new.age,
            new.name,
            new.text,
            new.would_otherwise,
            new.patient_token_hash,
            new.created_at,
            new.created_at if new.status == "queued" else None,
            new.priority_tier,
            new.priority_key,
        ),
    )
    insert_event(
        conn,
        new.id,
        "intake",
        at=new.created_at,
        actor_user_id=None,
        data={"status": new.status, "level": new.level, "queue_id": new.queue_id},
    )
    return _must_contact(conn, new.id)


def acknowledge_emergency(
    conn: sqlite3.Connection,
    contact_id: str,
    *,
    patient_token_hash: str,
    priority_tier: int,
    priority_key: float,
    at: float,
) -> Contact | None:
    if conn.execute(
        "SELECT 1 FROM contacts WHERE patient_token_hash = ? AND id != ?",
        (patient_token_hash, contact_id),
    ).fetchone():
        raise Conflict("patient token hash already in use")
    cur = conn.execute(
        "UPDATE contacts SET status = 'queued', emergency_acknowledged = 1, red_flag = 1,"
        " patient_token_hash = ?, priority_tier = ?, priority_key = ?,"
        " queued_at = COALESCE(queued_at, ?)"
        " WHERE id = ? AND status = 'emergency_advised'",
        (patient_token_hash, priority_tier, priority_key, at, contact_id),
    )
    if cur.rowcount == 0:
        return None
    contact = _must_contact(conn, contact_id)
    insert_event(
        conn,
        contact_id,
        "emergency_ack",
        at=at,
        actor_user_id=None,
        data={"queue_id": contact.queue_id},
    )
    return contact


def pick(
    conn: sqlite3.Connection,
    queue_ids: Sequence[str],
    *,
    user_id: int,
    staff_name: str,
    at: float,
    contact_id: str | None,
) -> Contact | None:
    if not queue_ids:
        return None
    queues = tuple(queue_ids)
    where = f"status = 'queued' AND queue_id IN ({_placeholders(len(queues))})"
    if contact_id is not None:
        row = conn.execute(
            f"SELECT id, queue_id FROM contacts WHERE id = ? AND {where}", (contact_id, *queues)
        ).fetchone()
    else:
        row = conn.execute(
            f"SELECT id, queue_id FROM contacts WHERE {where} ORDER BY {WAITING_ORDER} LIMIT 1",
            queues,
        ).fetchone()
    if row is None:
        return None
    picked_id, queue_id = row
    conn.execute(
        "UPDATE contacts SET status = 'assigned', assigned_user_id = ?, assigned_name = ?,"
        " assigned_at = ?, first_picked_at = COALESCE(first_picked_at, ?)"
        " WHERE id = ? AND status = 'queued'",
        (user_id, staff_name, at, at, picked_id),
    )
    insert_event(conn, picked_id, "pick", at=at, actor_user_id=user_id, data={"queue_id": queue_id})
    return _must_contact(conn, picked_id)


def _unassign(
    conn: sqlite3.Connection,
    contact_id: str,
    *,
    queue_id: str,
    unit_id: str,
    priority_tier: int,
    priority_key: float,
    at: float,
) -> None:
    conn.execute(
        "UPDATE contacts SET status = 'queued', queue_id = ?, unit_id = ?, priority_tier = ?,"
        " priority_key = ?, assigned_user_id = NULL, assigned_name = NULL, assigned_at = NULL,"
        " queued_at = COALESCE(queued_at, ?) WHERE id = ?",
        (queue_id, unit_id, priority_tier, priority_key, at, contact_id),
    )


def transfer(
    conn: sqlite3.Connection,
    contact_id: str,
    *,
    queue_id: str,
    priority_tier: int,
    priority_key: float,
    at: float,
    actor_user_id: int | None,
    note: str | None,
) -> Contact | None:
    before = select_contact(conn, contact_id)
    if before is None or before.status not in ("queued", "assigned"):
        return None
    target = conn.execute("SELECT unit_id FROM queues WHERE id = ?", (queue_id,)).fetchone()
    if target is None:
        raise NotFound(f"queue {queue_id!r}")
    _unassign(
        conn,
        contact_id,
        queue_id=queue_id,
        unit_id=target[0],
        priority_tier=priority_tier,
        priority_key=priority_key,
        at=at,
    )
    insert_event(
        conn,
        contact_id,
        "transfer",
        at=at,
        actor_user_id=actor_user_id,
        data={
            "from_queue_id": before.queue_id,
            "to_queue_id": queue_id,
            "from_user_id": before.assigned_user_id,
            "note": note,
        },
    )
    return _must_contact(conn, contact_id)


def requeue(
    conn: sqlite3.Connection,
    contact_id: str,
    *,
    priority_tier: int,
    priority_key: float,
    at: float,
    reason: str,
) -> Contact | None:
    before = select_contact(conn, contact_id)
    if before is None or before.status != "assigned":
        return None
    _unassign(
        conn,
        contact_id,
        queue_id=before.queue_id,
        unit_id=before.unit_id,
        priority_tier=priority_tier,
        priority_key=priority_key,
        at=at,
    )
    insert_event(
        conn,
        contact_id,
        "requeue",
        at=at,
        actor_user_id=None,
        data={
            "queue_id": before.queue_id,
            "from_user_id": before.assigned_user_id,
            "reason": reason,
        },
    )
    return _must_contact(conn, contact_id)


def set_level(
    conn: sqlite3.Connection,
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
    before = select_contact(conn, contact_id)
    if before is None or before.status == "closed":
        return None
    reasons = [*(dict(r) for r in before.reasons), *(dict(r) for r in added_reasons)]
    conn.execute(
        "UPDATE contacts SET level = ?, tags = ?, priority_key = COALESCE(?, priority_key),"
        " reasons = ? WHERE id = ?",
        (level, dumps(list(tags)), priority_key, dumps(reasons), contact_id),
    )
    insert_event(
        conn,
        contact_id,
        "triage_change",
        at=at,
        actor_user_id=actor_user_id,
        data={"from": before.level, "to": level, "tags": list(tags), "reason": reason},
    )
    return _must_contact(conn, contact_id)


def close_contact(
    conn: sqlite3.Connection,
    contact_id: str,
    *,
    outcome: str,
    at: float,
    actor_user_id: int | None,
) -> Contact | None:
    before = select_contact(conn, contact_id)
    if before is None or before.status == "closed":
        return None
    conn.execute(
        "UPDATE contacts SET status = 'closed', closed_at = ?, outcome = ?,"
        " closed_by_user_id = ? WHERE id = ?",
        (at, outcome, actor_user_id, contact_id),
    )
    insert_event(
        conn,
        contact_id,
        "close",
        at=at,
        actor_user_id=actor_user_id,
        data={"outcome": outcome, "from_status": before.status},
    )
    return _must_contact(conn, contact_id)


def add_event(
    conn: sqlite3.Connection,
    contact_id: str,
    *,
    kind: str,
    at: float,
    actor_user_id: int | None,
    data: Mapping[str, Any],
) -> None:
    if conn.execute("SELECT 1 FROM contacts WHERE id = ?", (contact_id,)).fetchone() is None:
        raise NotFound(f"contact {contact_id!r}")
    insert_event(conn, contact_id, kind, at=at, actor_user_id=actor_user_id, data=data)
