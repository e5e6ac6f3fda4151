"""Write operations of the PostgreSQL backend.

Each function runs on one pooled connection inside one short transaction
opened by the caller (:mod:`.postgres`). Unlike SQLite there is no single
writer, so every read-then-write takes a row lock first (``SELECT ... FOR
UPDATE``) or is one conditional ``UPDATE``: two instances can never both win.
Semantics and contact events are those of :mod:`.sqlite_ops`.
"""

# SQL here is composed only of module constants and "$n" placeholders; every
# value is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import asyncpg

from .base import (
    AppendResult,
    Conflict,
    Contact,
    Message,
    NewContact,
    NewMessage,
    NotAssigned,
    NotFound,
    Queue,
    Session,
    Unit,
    User,
)
from .sqlite_messages import SENDERS
from .sqlite_ops import INTAKE_STATUSES
from .sqlite_rows import CONTACT_COLUMNS, MESSAGE_COLUMNS, contact_from_row, dumps, message_from_row

__all__ = [
    "SENDERS",
    "WAITING_ORDER",
    "acknowledge_emergency",
    "add_event",
    "add_unit",
    "add_user",
    "append_message",
    "append_message_fast",
    "close_contact",
    "create_contact",
    "create_session",
    "pick",
    "requeue",
    "select_contact",
    "set_level",
    "transfer",
]

# PostgreSQL sorts NULL last in ascending order: the same order as SQLite's
# "priority_key IS NULL, priority_key" (see sqlite_ops.WAITING_ORDER).
WAITING_ORDER = "priority_tier, priority_key, created_at, id"

Conn: TypeAlias = asyncpg.Connection


async def select_contact(conn: Conn, contact_id: str, *, lock: bool = False) -> Contact | None:
    suffix = " FOR UPDATE" if lock else ""
    row = await conn.fetchrow(
        f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1{suffix}", contact_id
    )
    return None if row is None else contact_from_row(row)


async def _must_contact(conn: Conn, contact_id: str) -> Contact:
    contact = await select_contact(conn, contact_id)
    assert contact is not None, "row vanished inside the transaction"
    return contact


async def insert_event(
    conn: Conn,
    contact_id: str,
    kind: str,
    *,
    at: float,
    actor_user_id: int | None,
    data: Mapping[str, Any],
) -> None:
    await conn.execute(
        "INSERT INTO contact_events (contact_id, at, kind, actor_user_id, data)"
        " VALUES ($1, $2, $3, $4, $5)",
        contact_id,
        at,
        kind,
        actor_user_id,
        dumps(dict(data)),
    )


# -- units, users, sessions ---------------------------------------------------


async def add_unit(conn: Conn, unit: Unit, queues: Sequence[Queue]) -> None:
    for q in queues:
        if q.unit_id != unit.id:
            raise ValueError(f"queue {q.id!r} belongs to unit {q.unit_id!r}, not {unit.id!r}")
    inserted = await conn.fetchval(
        "INSERT INTO units (id, name, always_open, rollout, created_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING 1",
        unit.id,
        unit.name,
        unit.always_open,
        unit.rollout,
        unit.created_at,
    )
    if inserted is None:
        raise Conflict(f"unit {unit.id!r} exists")
    await conn.executemany(
        "INSERT INTO queues (id, unit_id, competence, name, max_waiting)"
        " VALUES ($1, $2, $3, $4, $5)",
        [(q.id, q.unit_id, q.competence, q.name, q.max_waiting) for q in queues],
    )


async def add_user(
    conn: Conn,
    *,
    username: str,
    display_name: str,
    role: str,
    password_hash: str,
    totp_secret: str | None,
    unit_ids: Sequence[str],
    created_at: float,
) -> User:
    units = tuple(sorted(set(unit_ids)))
    if units:
        known = {
            r[0] for r in await conn.fetch("SELECT id FROM units WHERE id = ANY($1)", list(units))
        }
        missing = [u for u in units if u not in known]
        if missing:
            raise NotFound(f"unknown units {missing!r}")
    user_id = await conn.fetchval(
        "INSERT INTO users (username, display_name, role, password_hash, totp_secret,"
        " disabled, created_at) VALUES ($1, $2, $3, $4, $5, FALSE, $6)"
        " ON CONFLICT (username) DO NOTHING RETURNING id",
        username,
        display_name,
        role,
        password_hash,
        totp_secret,
        created_at,
    )
    if user_id is None:
        raise Conflict(f"username {username!r} exists")
    await conn.executemany(
        "INSERT INTO user_units (user_id, unit_id) VALUES ($1, $2)", [(user_id, u) for u in units]
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
    )


async def create_session(conn: Conn, session: Session) -> None:
    if await conn.fetchval("SELECT 1 FROM users WHERE id = $1", session.user_id) is None:
        raise NotFound(f"user {session.user_id}")
    inserted = await conn.fetchval(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id_hash) DO NOTHING RETURNING 1",
        session.id_hash,
        session.user_id,
        session.csrf_token,
        session.created_at,
        session.last_seen_at,
    )
    if inserted is None:
        raise Conflict("session exists")


# -- contacts -----------------------------------------------------------------


async def create_contact(conn: Conn, new: NewContact) -> Contact:
    if new.status not in INTAKE_STATUSES:
        raise ValueError(f"a new contact cannot have status {new.status!r}")
    unit_id = await conn.fetchval("SELECT unit_id FROM queues WHERE id = $1", new.queue_id)
    if unit_id is None:
        raise NotFound(f"queue {new.queue_id!r}")
    if unit_id != new.unit_id:
        raise ValueError(f"queue {new.queue_id!r} is not a queue of unit {new.unit_id!r}")
    try:
        async with conn.transaction():  # a savepoint: a duplicate rolls back only this
            await conn.execute(
                "INSERT INTO contacts (id, unit_id, queue_id, status, level, intake_level, tags,"
                " reasons, red_flag, emergency_acknowledged, lang, age, name, text,"
                " would_otherwise, patient_token_hash, created_at, queued_at, priority_tier,"
                " priority_key) VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12,"
                " $13, $14, $15, $16, $17, $18, $19)",
                new.id,
                new.unit_id,
                new.queue_id,
                new.status,
                new.level,
                dumps(list(new.tags)),
                dumps([dict(r) for r in new.reasons]),
                new.red_flag,
                new.emergency_acknowledged,
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
            )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "contacts_pkey":
            raise Conflict(f"contact {new.id!r} exists") from None
        raise Conflict("patient token hash already in use") from None
    await insert_event(
        conn,
        new.id,
        "intake",
        at=new.created_at,
        actor_user_id=None,
        data={"status": new.status, "level": new.level, "queue_id": new.queue_id},
    )
    return await _must_contact(conn, new.id)


async def acknowledge_emergency(
    conn: Conn,
    contact_id: str,
    *,
    patient_token_hash: str,
    priority_tier: int,
    priority_key: float,
    at: float,
) -> Contact | None:
    if await conn.fetchval(
        "SELECT 1 FROM contacts WHERE patient_token_hash = $1 AND id <> $2",
        patient_token_hash,
        contact_id,
    ):
        raise Conflict("patient token hash already in use")
    try:
        async with conn.transaction():
            queue_id = await conn.fetchval(
                "UPDATE contacts SET status = 'queued', emergency_acknowledged = TRUE,"
                " red_flag = TRUE, patient_token_hash = $1, priority_tier = $2,"
                " priority_key = $3, queued_at = COALESCE(queued_at, $4)"
                " WHERE id = $5 AND status = 'emergency_advised' RETURNING queue_id",
                patient_token_hash,
                priority_tier,
                priority_key,
                at,
                contact_id,
            )
    except asyncpg.UniqueViolationError:
        raise Conflict("patient token hash already in use") from None
    if queue_id is None:
        return None
    await insert_event(
        conn, contact_id, "emergency_ack", at=at, actor_user_id=None, data={"queue_id": queue_id}
    )
    return await _must_contact(conn, contact_id)


async def pick(
    conn: Conn,
    queue_ids: Sequence[str],
    *,
    user_id: int,
    staff_name: str,
    at: float,
    contact_id: str | None,
) -> Contact | None:
    """``FOR UPDATE SKIP LOCKED``: concurrent pickers on any instance each lock a
    different waiting row (or none) instead of queueing for the same one; the
    conditional UPDATE re-checks the status under the lock."""
    if not queue_ids:
        return None
    queues = list(queue_ids)
    if contact_id is not None:
        row = await conn.fetchrow(
            "SELECT id, queue_id FROM contacts WHERE id = $1 AND status = 'queued'"
            " AND queue_id = ANY($2) FOR UPDATE SKIP LOCKED",
            contact_id,
            queues,
        )
    else:
        row = await conn.fetchrow(
            "SELECT id, queue_id FROM contacts WHERE status = 'queued' AND queue_id = ANY($1)"
            f" ORDER BY {WAITING_ORDER} LIMIT 1 FOR UPDATE SKIP LOCKED",
            queues,
        )
    if row is None:
        return None
    picked_id, queue_id = row[0], row[1]
    updated = await conn.fetchval(
        "UPDATE contacts SET status = 'assigned', assigned_user_id = $1, assigned_name = $2,"
        " assigned_at = $3, first_picked_at = COALESCE(first_picked_at, $3)"
        " WHERE id = $4 AND status = 'queued' RETURNING 1",
        user_id,
        staff_name,
        at,
        picked_id,
    )
    if updated is None:
        return None
    await insert_event(
        conn, picked_id, "pick", at=at, actor_user_id=user_id, data={"queue_id": queue_id}
    )
    return await _must_contact(conn, picked_id)


async def _unassign(
    conn: Conn,
    contact_id: str,
    *,
    queue_id: str,
    unit_id: str,
    priority_tier: int,
    priority_key: float,
    at: float,
) -> None:
    await conn.execute(
        "UPDATE contacts SET status = 'queued', queue_id = $1, unit_id = $2, priority_tier = $3,"
        " priority_key = $4, assigned_user_id = NULL, assigned_name = NULL, assigned_at = NULL,"
        " queued_at = COALESCE(queued_at, $5) WHERE id = $6",
        queue_id,
        unit_id,
        priority_tier,
        priority_key,
        at,
        contact_id,
    )


async def transfer(
    conn: Conn,
    contact_id: str,
    *,
    queue_id: str,
    priority_tier: int,
    priority_key: float,
    at: float,
    actor_user_id: int | None,
    note: str | None,
) -> Contact | None:
    before = await select_contact(conn, contact_id, lock=True)
    if before is None or before.status not in ("queued", "assigned"):
        return None
    target_unit = await conn.fetchval("SELECT unit_id FROM queues WHERE id = $1", queue_id)
    if target_unit is None:
        raise NotFound(f"queue {queue_id!r}")
    await _unassign(
        conn,
        contact_id,
        queue_id=queue_id,
        unit_id=target_unit,
        priority_tier=priority_tier,
        priority_key=priority_key,
        at=at,
    )
    await insert_event(
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
    return await _must_contact(conn, contact_id)


async def requeue(
    conn: Conn,
    contact_id: str,
    *,
    priority_tier: int,
    priority_key: float,
    at: float,
    reason: str,
) -> Contact | None:
    before = await select_contact(conn, contact_id, lock=True)
    if before is None or before.status != "assigned":
        return None
    await _unassign(
        conn,
        contact_id,
        queue_id=before.queue_id,
        unit_id=before.unit_id,
        priority_tier=priority_tier,
        priority_key=priority_key,
        at=at,
    )
    await insert_event(
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
    return await _must_contact(conn, contact_id)


async def set_level(
    conn: Conn,
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
    before = await select_contact(conn, contact_id, lock=True)
    if before is None or before.status == "closed":
        return None
    reasons = [*(dict(r) for r in before.reasons), *(dict(r) for r in added_reasons)]
    await conn.execute(
        "UPDATE contacts SET level = $1, tags = $2, priority_key = COALESCE($3, priority_key),"
        " reasons = $4 WHERE id = $5",
        level,
        dumps(list(tags)),
        priority_key,
        dumps(reasons),
        contact_id,
    )
    await insert_event(
        conn,
        contact_id,
        "triage_change",
        at=at,
        actor_user_id=actor_user_id,
        data={"from": before.level, "to": level, "tags": list(tags), "reason": reason},
    )
    return await _must_contact(conn, contact_id)


async def close_contact(
    conn: Conn,
    contact_id: str,
    *,
    outcome: str,
    at: float,
    actor_user_id: int | None,
) -> Contact | None:
    before = await select_contact(conn, contact_id, lock=True)
    if before is None or before.status == "closed":
        return None
    await conn.execute(
        "UPDATE contacts SET status = 'closed', closed_at = $1, outcome = $2,"
        " closed_by_user_id = $3 WHERE id = $4",
        at,
        outcome,
        actor_user_id,
        contact_id,
    )
    await insert_event(
        conn,
        contact_id,
        "close",
        at=at,
        actor_user_id=actor_user_id,
        data={"outcome": outcome, "from_status": before.status},
    )
    return await _must_contact(conn, contact_id)


async def add_event(
    conn: Conn,
    contact_id: str,
    *,
    kind: str,
    at: float,
    actor_user_id: int | None,
    data: Mapping[str, Any],
) -> None:
    if await conn.fetchval("SELECT 1 FROM contacts WHERE id = $1", contact_id) is None:
        raise NotFound(f"contact {contact_id!r}")
    await insert_event(conn, contact_id, kind, at=at, actor_user_id=actor_user_id, data=data)


# -- messages -----------------------------------------------------------------


async def find_message(conn: Conn, new: NewMessage) -> Message | None:
    row = await conn.fetchrow(
        f"SELECT {MESSAGE_COLUMNS} FROM messages"
        " WHERE contact_id = $1 AND sender_key = $2 AND client_id = $3",
        new.contact_id,
        new.sender_key,
        new.client_id,
    )
    return None if row is None else message_from_row(row)


# One statement, one round trip, atomic without an explicit transaction: the
# duplicate lookup, the row-locked seq increment (only when no duplicate, the
# contact is open and, for staff, assigned to the sender) and the insert. The
# last columns are the contact as the statement found it, to tell the caller
# why nothing was written.
_APPEND = """
WITH dup AS (
    SELECT seq, sender, sender_name, client_id, body, sent_at FROM messages
    WHERE contact_id = $1 AND sender_key = $2 AND client_id = $3
), upd AS (
    UPDATE contacts SET last_seq = last_seq + 1,
        first_staff_reply_at = CASE WHEN $4 = 'staff' AND first_staff_reply_at IS NULL
                                    THEN $7 ELSE first_staff_reply_at END
    WHERE id = $1 AND status <> 'closed' AND NOT EXISTS (SELECT 1 FROM dup)
      AND ($8::bigint IS NULL OR (status = 'assigned' AND assigned_user_id = $8))
    RETURNING last_seq, status, assigned_user_id
), ins AS (
    INSERT INTO messages (contact_id, seq, sender, sender_key, sender_name, client_id, body,
                          sent_at)
    SELECT $1, last_seq, $4, $2, $5, $3, $6, $7 FROM upd
    RETURNING seq
)
SELECT (SELECT seq FROM ins), (SELECT status FROM upd), (SELECT assigned_user_id FROM upd),
       d.seq, d.sender, d.sender_name, d.client_id, d.body, d.sent_at,
       c.status, c.assigned_user_id
FROM (SELECT 1) AS one
LEFT JOIN dup AS d ON TRUE
LEFT JOIN contacts AS c ON c.id = $1
"""


def _refusal(new: NewMessage, status: str | None, assigned: int | None) -> Exception | None:
    """Why an append is refused, in the SQLite backend's order; None if it is not."""
    if status is None:
        return NotFound(f"contact {new.contact_id!r}")
    if status == "closed":
        return Conflict(f"contact {new.contact_id!r} is closed")
    if new.require_assigned_user is not None and (
        status != "assigned" or assigned != new.require_assigned_user
    ):
        return NotAssigned(f"contact {new.contact_id!r} is not assigned to the sender")
    if new.sender not in SENDERS:
        return ValueError(f"unknown sender {new.sender!r}")
    return None


async def append_message_fast(conn: Conn, new: NewMessage) -> AppendResult | None:
    """The hot path (one statement). None when the contact changed under it
    (e.g. closed or reassigned between snapshot and lock): use the locked path."""
    row = await conn.fetchrow(
        _APPEND,
        new.contact_id,
        new.sender_key,
        new.client_id,
        new.sender,
        new.sender_name,
        new.body,
        new.sent_at,
        new.require_assigned_user,
    )
    assert row is not None
    new_seq, status, assigned, dup_seq = row[0], row[1], row[2], row[3]
    if new_seq is not None:
        message = Message(
            contact_id=new.contact_id,
            seq=int(new_seq),
            sender=new.sender,
            sender_name=new.sender_name,
            client_id=new.client_id,
            body=new.body,
            sent_at=new.sent_at,
        )
        return AppendResult(message, duplicate=False, status=status, assigned_user_id=assigned)
    if dup_seq is not None:
        original = Message(new.contact_id, int(dup_seq), row[4], row[5], row[6], row[7], row[8])
        return AppendResult(original, duplicate=True, status=row[9], assigned_user_id=row[10])
    refusal = _refusal(new, row[9], row[10])
    if refusal is not None:
        raise refusal
    return None


async def append_message(conn: Conn, new: NewMessage) -> AppendResult:
    """The locked path (inside the caller's transaction): read the contact
    ``FOR UPDATE``, decide, then increment ``last_seq`` and insert. An append
    that rolls back also rolls back its increment, so seqs never have gaps."""
    original = await find_message(conn, new)
    contact = await conn.fetchrow(
        "SELECT status, assigned_user_id FROM contacts WHERE id = $1 FOR UPDATE", new.contact_id
    )
    status, assigned = (None, None) if contact is None else (contact[0], contact[1])
    if original is not None:
        return AppendResult(original, duplicate=True, status=status, assigned_user_id=assigned)
    refusal = _refusal(new, status, assigned)
    if refusal is not None:
        raise refusal
    seq = await conn.fetchval(
        "UPDATE contacts SET last_seq = last_seq + 1,"
        " first_staff_reply_at = CASE WHEN $2 AND first_staff_reply_at IS NULL THEN $3"
        " ELSE first_staff_reply_at END WHERE id = $1 RETURNING last_seq",
        new.contact_id,
        new.sender == "staff",
        new.sent_at,
    )
    await conn.execute(
        "INSERT INTO messages (contact_id, seq, sender, sender_key, sender_name, client_id,"
        " body, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        new.contact_id,
        seq,
        new.sender,
        new.sender_key,
        new.sender_name,
        new.client_id,
        new.body,
        new.sent_at,
    )
    message = Message(
        contact_id=new.contact_id,
        seq=int(seq),
        sender=new.sender,
        sender_name=new.sender_name,
        client_id=new.client_id,
        body=new.body,
        sent_at=new.sent_at,
    )
    return AppendResult(message, duplicate=False, status=status, assigned_user_id=assigned)
