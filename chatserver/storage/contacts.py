"""Plans for contacts: intake, the life-cycle transitions, events and reads.

Written once for both engines (:mod:`.plan`). Every transition is a
*conditional* write: the contact is read with a row lock (``FOR UPDATE`` on
PostgreSQL; nothing on SQLite, whose single writer runs one plan at a time)
or updated ``WHERE status = ...``, so two callers or two instances can never
both win. The statuses are :class:`~chatserver.core.lifecycle.ContactStatus`
values; where the status is a literal in the SQL (it must be, for the partial
indexes ``contacts_waiting`` and ``contacts_assigned`` to apply) it is spelled
from the enum.
"""

# SQL here is composed only of module constants, enum values and "?"
# placeholders; every value is a bound parameter, so S608 (string-built SQL)
# is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatserver.core.lifecycle import ContactStatus

from .base import Conflict, Contact, ContactEvent, NewContact, NotFound, UnseenMessages
from .plan import Dialect, Plan, Query, all_rows, execute, one, value
from .reach import forget_phone
from .rows import CONTACT_COLUMNS, EVENT_COLUMNS, contact_from_row, dumps, event_from_row

__all__ = [
    "INTAKE_STATUSES",
    "WAITING_ORDER",
    "acknowledge_emergency",
    "add_event",
    "assigned_to",
    "close",
    "count_waiting",
    "create",
    "create_placed",
    "events",
    "get",
    "get_by_token_hash",
    "pick",
    "queue_position",
    "recent_pick_times",
    "requeue",
    "set_level",
    "transfer",
    "waiting",
]

_S = ContactStatus
INTAKE_STATUSES = (_S.QUEUED, _S.EMERGENCY_ADVISED)

_QUEUED = f"status = '{_S.QUEUED}'"
_ASSIGNED = f"status = '{_S.ASSIGNED}'"

# Waiting-room order (chatserver/core/waiting_room.py), the one ORDER BY of
# both engines: a NULL priority key sorts last within its tier. That is
# PostgreSQL's default for ascending order, so there it is the plain index
# order of contacts_waiting; SQLite sorts the tier's rows either way.
WAITING_ORDER = "priority_tier, priority_key NULLS LAST, created_at, id"

_RETURNING = f" RETURNING {CONTACT_COLUMNS}"


def _contact(row: Any) -> Contact:
    assert row is not None, "row vanished inside the write"
    return contact_from_row(row)


def _event(
    contact_id: str, kind: str, *, at: float, actor_user_id: int | None, data: Mapping[str, Any]
) -> Query:
    return execute(
        "INSERT INTO contact_events (contact_id, at, kind, actor_user_id, data)"
        " VALUES (?, ?, ?, ?, ?)",
        contact_id,
        at,
        kind,
        actor_user_id,
        dumps(dict(data)),
    )


# -- reads --------------------------------------------------------------------


def get(contact_id: str, lock: str = "") -> Plan[Contact | None]:
    """The contact; ``lock`` is a dialect's row lock for a read-then-write."""
    row = yield one(f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?{lock}", contact_id)
    return None if row is None else contact_from_row(row)


def get_by_token_hash(token_hash: str) -> Plan[Contact | None]:
    row = yield one(
        f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE patient_token_hash = ?", token_hash
    )
    return None if row is None else contact_from_row(row)


def waiting(d: Dialect, queue_ids: Sequence[str]) -> Plan[list[Contact]]:
    if not queue_ids:
        return []
    where, params = d.any_of("queue_id", queue_ids)
    rows = yield all_rows(
        f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE {_QUEUED} AND {where}"
        f" ORDER BY {WAITING_ORDER}",
        *params,
    )
    return [contact_from_row(r) for r in rows]


def count_waiting(queue_id: str) -> Plan[int]:
    n = yield value(f"SELECT count(*) FROM contacts WHERE {_QUEUED} AND queue_id = ?", queue_id)
    return int(n)


# Those ahead in line, in three ranges of the contacts_waiting index: an
# earlier tier, the same tier with a smaller key, the same key and an earlier
# arrival. Each is a plain index range, so the count steps over the entries
# ahead and no others. One row-value comparison over all four columns was not
# used as a range by SQLite: it compared every waiting entry of the queue
# (0.6 ms at 6,000 waiting, whatever the place). A NULL priority key compares
# as unknown, so such contacts count as behind (WAITING_ORDER puts them last).
_AHEAD = f"SELECT count(*) FROM contacts o WHERE o.{_QUEUED} AND o.queue_id = c.queue_id AND "
_POSITION = (
    f"SELECT 1 + ({_AHEAD}o.priority_tier < c.priority_tier)"
    f" + ({_AHEAD}o.priority_tier = c.priority_tier AND o.priority_key < c.priority_key)"
    f" + ({_AHEAD}o.priority_tier = c.priority_tier AND o.priority_key = c.priority_key"
    " AND (o.created_at, o.id) < (c.created_at, c.id))"
    f" FROM contacts c WHERE c.id = ? AND c.{_QUEUED}"
)


def queue_position(contact_id: str) -> Plan[int | None]:
    # Counts along the contacts_waiting index: no rows are fetched.
    n = yield value(_POSITION, contact_id)
    return None if n is None else int(n)


def assigned_to(user_id: int) -> Plan[list[Contact]]:
    rows = yield all_rows(
        f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE {_ASSIGNED} AND assigned_user_id = ?"
        " ORDER BY assigned_at, id",
        user_id,
    )
    return [contact_from_row(r) for r in rows]


def recent_pick_times(d: Dialect, queue_id: str, since: float) -> Plan[list[float]]:
    rows = yield all_rows(
        "SELECT at FROM contact_events WHERE kind = 'pick' AND at >= ?"
        f" AND {d.json_text('data', 'queue_id')} = ? ORDER BY at, id",
        since,
        queue_id,
    )
    return [float(r[0]) for r in rows]


def events(contact_id: str) -> Plan[list[ContactEvent]]:
    rows = yield all_rows(
        f"SELECT {EVENT_COLUMNS} FROM contact_events WHERE contact_id = ? ORDER BY id", contact_id
    )
    return [event_from_row(r) for r in rows]


# -- intake -------------------------------------------------------------------


def create(new: NewContact) -> Plan[Contact]:
    """Insert a contact and its intake events; ``queued_at`` = ``created_at``
    when it is queued."""
    if new.status not in INTAKE_STATUSES:
        raise ValueError(f"a new contact cannot have status {new.status!r}")
    unit_id = yield value("SELECT unit_id FROM queues WHERE id = ?", new.queue_id)
    if unit_id is None:
        raise NotFound(f"queue {new.queue_id!r}")
    if unit_id != new.unit_id:
        raise ValueError(f"queue {new.queue_id!r} is not a queue of unit {new.unit_id!r}")
    row = yield one(
        "INSERT INTO contacts (id, unit_id, queue_id, status, level, intake_level, tags,"
        " reasons, red_flag, emergency_acknowledged, lang, age, name, text, would_otherwise,"
        " patient_token_hash, created_at, queued_at, priority_tier, priority_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING" + _RETURNING,
        new.id,
        new.unit_id,
        new.queue_id,
        new.status,
        new.level,
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
        new.created_at if new.status == _S.QUEUED else None,
        new.priority_tier,
        new.priority_key,
    )
    if row is None:  # the id or the patient token hash is taken
        if (yield value("SELECT 1 FROM contacts WHERE id = ?", new.id)) is not None:
            raise Conflict(f"contact {new.id!r} exists")
        raise Conflict("patient token hash already in use")
    yield _event(
        new.id,
        "intake",
        at=new.created_at,
        actor_user_id=None,
        data={"status": new.status, "level": new.level, "queue_id": new.queue_id},
    )
    for kind, data in new.events:
        yield _event(new.id, kind, at=new.created_at, actor_user_id=None, data=data)
    return contact_from_row(row)


def create_placed(new: NewContact) -> Plan[tuple[Contact, int | None]]:
    """:func:`create`, and the new contact's place in line when it is queued,
    counted in the same transaction (an intake's answer: no read after it)."""
    contact = yield from create(new)
    if contact.status != _S.QUEUED:
        return contact, None
    return contact, (yield from queue_position(contact.id))


def acknowledge_emergency(
    contact_id: str, *, patient_token_hash: str, priority_tier: int, priority_key: float, at: float
) -> Plan[Contact | None]:
    """emergency_advised → queued, first in line with a red flag."""
    taken = yield value(
        "SELECT 1 FROM contacts WHERE patient_token_hash = ? AND id <> ?",
        patient_token_hash,
        contact_id,
    )
    if taken is not None:
        raise Conflict("patient token hash already in use")
    row = yield one(
        f"UPDATE contacts SET status = '{_S.QUEUED}', emergency_acknowledged = TRUE,"
        " red_flag = TRUE, patient_token_hash = ?, priority_tier = ?, priority_key = ?,"
        " queued_at = COALESCE(queued_at, ?)"
        f" WHERE id = ? AND status = '{_S.EMERGENCY_ADVISED}'" + _RETURNING,
        patient_token_hash,
        priority_tier,
        priority_key,
        at,
        contact_id,
    )
    if row is None:
        return None
    contact = contact_from_row(row)
    yield _event(
        contact_id, "emergency_ack", at=at, actor_user_id=None, data={"queue_id": contact.queue_id}
    )
    return contact


# -- transitions --------------------------------------------------------------


def pick(
    d: Dialect,
    queue_ids: Sequence[str],
    *,
    user_id: int,
    staff_name: str,
    at: float,
    contact_id: str | None,
) -> Plan[Contact | None]:
    """Assign the first waiting contact of ``queue_ids`` (or exactly ``contact_id``).

    ``SKIP LOCKED``: concurrent pickers on any instance each lock a different
    waiting row (or none) instead of queueing for the same one; the
    conditional UPDATE re-checks the status under the lock. A pick of one
    named contact waits for its row instead: a message append holds that lock
    for a moment, and skipping it would refuse a contact that is waiting.
    """
    if not queue_ids:
        return None
    in_queues, params = d.any_of("queue_id", queue_ids)
    if contact_id is not None:
        found = yield one(
            f"SELECT id, queue_id FROM contacts WHERE id = ? AND {_QUEUED} AND {in_queues}"
            + d.for_update,
            contact_id,
            *params,
        )
    else:
        found = yield one(
            f"SELECT id, queue_id FROM contacts WHERE {_QUEUED} AND {in_queues}"
            f" ORDER BY {WAITING_ORDER} LIMIT 1{d.skip_locked}",
            *params,
        )
    if found is None:
        return None
    picked_id, queue_id = found[0], found[1]
    row = yield one(
        f"UPDATE contacts SET status = '{_S.ASSIGNED}', assigned_user_id = ?, assigned_name = ?,"
        " assigned_at = ?, first_picked_at = COALESCE(first_picked_at, ?)"
        f" WHERE id = ? AND {_QUEUED}" + _RETURNING,
        user_id,
        staff_name,
        at,
        at,
        picked_id,
    )
    if row is None:
        return None
    yield _event(picked_id, "pick", at=at, actor_user_id=user_id, data={"queue_id": queue_id})
    return contact_from_row(row)


def _unassign(
    contact_id: str,
    *,
    queue_id: str,
    unit_id: str,
    priority_tier: int,
    priority_key: float,
    at: float,
) -> Query:
    return one(
        f"UPDATE contacts SET status = '{_S.QUEUED}', queue_id = ?, unit_id = ?, priority_tier = ?,"
        " priority_key = ?, assigned_user_id = NULL, assigned_name = NULL, assigned_at = NULL,"
        " queued_at = COALESCE(queued_at, ?) WHERE id = ?" + _RETURNING,
        queue_id,
        unit_id,
        priority_tier,
        priority_key,
        at,
        contact_id,
    )


def transfer(
    d: Dialect,
    contact_id: str,
    *,
    queue_id: str,
    priority_tier: int,
    priority_key: float,
    at: float,
    actor_user_id: int | None,
    note: str | None,
) -> Plan[Contact | None]:
    """queued|assigned → queued in ``queue_id``, unassigned."""
    before = yield from get(contact_id, d.for_update)
    if before is None or before.status not in (_S.QUEUED, _S.ASSIGNED):
        return None
    unit_id = yield value("SELECT unit_id FROM queues WHERE id = ?", queue_id)
    if unit_id is None:
        raise NotFound(f"queue {queue_id!r}")
    row = yield _unassign(
        contact_id,
        queue_id=queue_id,
        unit_id=unit_id,
        priority_tier=priority_tier,
        priority_key=priority_key,
        at=at,
    )
    yield _event(
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
    return _contact(row)


def requeue(
    d: Dialect,
    contact_id: str,
    *,
    priority_tier: int,
    priority_key: float,
    at: float,
    reason: str,
) -> Plan[Contact | None]:
    """assigned → queued in the same queue."""
    before = yield from get(contact_id, d.for_update)
    if before is None or before.status != _S.ASSIGNED:
        return None
    row = yield _unassign(
        contact_id,
        queue_id=before.queue_id,
        unit_id=before.unit_id,
        priority_tier=priority_tier,
        priority_key=priority_key,
        at=at,
    )
    yield _event(
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
    return _contact(row)


def set_level(
    d: Dialect,
    contact_id: str,
    *,
    level: str,
    tags: Sequence[str],
    priority_key: float | None,
    at: float,
    actor_user_id: int | None,
    reason: str,
    added_reasons: Sequence[Mapping[str, Any]],
) -> Plan[Contact | None]:
    """Change the current triage level of an open contact."""
    before = yield from get(contact_id, d.for_update)
    if before is None or before.status == _S.CLOSED:
        return None
    reasons = [*(dict(r) for r in before.reasons), *(dict(r) for r in added_reasons)]
    row = yield one(
        "UPDATE contacts SET level = ?, tags = ?, priority_key = COALESCE(?, priority_key),"
        " reasons = ? WHERE id = ?" + _RETURNING,
        level,
        dumps(list(tags)),
        priority_key,
        dumps(reasons),
        contact_id,
    )
    yield _event(
        contact_id,
        "triage_change",
        at=at,
        actor_user_id=actor_user_id,
        data={"from": before.level, "to": level, "tags": list(tags), "reason": reason},
    )
    return _contact(row)


def close(
    d: Dialect,
    contact_id: str,
    *,
    outcome: str,
    at: float,
    actor_user_id: int | None,
    seen_seq: int | None = None,
) -> Plan[Contact | None]:
    """Any open status → closed; with ``seen_seq``, only when no patient message
    is newer (:class:`UnseenMessages` otherwise). The row lock orders it with
    every message append, which updates the same row."""
    before = yield from get(contact_id, d.for_update)
    if before is None or before.status == _S.CLOSED:
        return None
    if seen_seq is not None and before.last_seq > seen_seq:
        newest = yield value(
            "SELECT MAX(seq) FROM messages WHERE contact_id = ? AND seq > ? AND sender = ?",
            contact_id,
            seen_seq,
            "patient",
        )
        if newest is not None:
            raise UnseenMessages(int(newest))
    row = yield one(
        f"UPDATE contacts SET status = '{_S.CLOSED}', closed_at = ?, outcome = ?,"
        " closed_by_user_id = ? WHERE id = ?" + _RETURNING,
        at,
        outcome,
        actor_user_id,
        contact_id,
    )
    yield _event(
        contact_id,
        "close",
        at=at,
        actor_user_id=actor_user_id,
        data={"outcome": outcome, "from_status": before.status},
    )
    # The SMS number is kept only while the contact is open (migration 0017).
    yield from forget_phone(contact_id)
    return _contact(row)


def add_event(
    contact_id: str, *, kind: str, at: float, actor_user_id: int | None, data: Mapping[str, Any]
) -> Plan[None]:
    if (yield value("SELECT 1 FROM contacts WHERE id = ?", contact_id)) is None:
        raise NotFound(f"contact {contact_id!r}")
    yield _event(contact_id, kind, at=at, actor_user_id=actor_user_id, data=data)
