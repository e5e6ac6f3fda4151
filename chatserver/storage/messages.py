"""Messages: the rules of an append and the plans both engines share.

An append stores a message with the next gapless ``seq`` of its contact. What
an append *means* is decided here, once: a re-sent (sender_key, client_id) is
answered with the original even when the contact has closed since (the
original was stored, so the retry succeeded); otherwise :func:`refusal` says
why it is not written. How it is done fast differs per engine and lives with
the engine: SQLite batches a whole group commit (:mod:`.sqlite_messages`),
PostgreSQL appends in one statement (:mod:`.postgres_messages`) and falls
back to the row-locked :func:`append_one` plan.
"""

# SQL here is composed only of module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from chatserver.core.lifecycle import ContactStatus

from .base import AppendResult, Conflict, Message, NewMessage, NotAssigned, NotFound
from .plan import Dialect, Plan, all_rows, execute, one, value
from .rows import MESSAGE_COLUMNS, dumps, message_from_row

__all__ = [
    "INSERT_MESSAGE",
    "SENDERS",
    "append_one",
    "attachment_text",
    "duplicate_of",
    "insert_params",
    "messages_after",
    "refusal",
    "stored",
]

SENDERS = frozenset({"patient", "staff", "system"})

INSERT_MESSAGE = (
    "INSERT INTO messages (contact_id, seq, sender, sender_key, sender_name, client_id,"
    " body, sent_at, attachment, photo_request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def attachment_text(new: NewMessage) -> str | None:
    """The ``attachment`` column of ``new`` (compact JSON text, or NULL)."""
    return None if new.attachment is None else dumps(dict(new.attachment))


def insert_params(new: NewMessage, seq: int) -> tuple[object, ...]:
    """The parameters of :data:`INSERT_MESSAGE` for ``new`` stored with ``seq``."""
    return (
        new.contact_id,
        seq,
        new.sender,
        new.sender_key,
        new.sender_name,
        new.client_id,
        new.body,
        new.sent_at,
        attachment_text(new),
        new.photo_request,
    )


def refusal(new: NewMessage, status: str | None, assigned: int | None) -> Exception | None:
    """Why ``new`` may not be appended to a contact in this state; None if it may."""
    if status is None:
        return NotFound(f"contact {new.contact_id!r}")
    if status == ContactStatus.CLOSED:
        return Conflict(f"contact {new.contact_id!r} is closed")
    if new.require_assigned_user is not None and (
        status != ContactStatus.ASSIGNED or assigned != new.require_assigned_user
    ):
        return NotAssigned(f"contact {new.contact_id!r} is not assigned to the sender")
    if new.sender not in SENDERS:
        return ValueError(f"unknown sender {new.sender!r}")
    return None


def stored(new: NewMessage, seq: int) -> Message:
    """The message ``new`` as stored with ``seq``."""
    return Message(
        contact_id=new.contact_id,
        seq=seq,
        sender=new.sender,
        sender_name=new.sender_name,
        client_id=new.client_id,
        body=new.body,
        sent_at=new.sent_at,
        attachment=new.attachment,
        photo_request=new.photo_request,
    )


def _state(contact_id: str, lock: str = "") -> Plan[tuple[str | None, int | None]]:
    row = yield one(f"SELECT status, assigned_user_id FROM contacts WHERE id = ?{lock}", contact_id)
    return (None, None) if row is None else (row[0], row[1])


def _original(new: NewMessage) -> Plan[Message | None]:
    row = yield one(
        f"SELECT {MESSAGE_COLUMNS} FROM messages"
        " WHERE contact_id = ? AND sender_key = ? AND client_id = ?",
        new.contact_id,
        new.sender_key,
        new.client_id,
    )
    return None if row is None else message_from_row(row)


def duplicate_of(new: NewMessage) -> Plan[AppendResult | None]:
    """The answer to a re-send of ``new`` (the original), None if it is not one."""
    original = yield from _original(new)
    if original is None:
        return None
    status, assigned = yield from _state(new.contact_id)
    return AppendResult(original, duplicate=True, status=status, assigned_user_id=assigned)


def append_one(d: Dialect, new: NewMessage) -> Plan[AppendResult]:
    """Append one message: read the contact under its row lock, decide, then
    increment ``last_seq`` and insert. An append that rolls back also rolls
    back its increment, so seqs never have gaps."""
    original = yield from _original(new)
    status, assigned = yield from _state(new.contact_id, d.for_update)
    if original is not None:
        return AppendResult(original, duplicate=True, status=status, assigned_user_id=assigned)
    refused = refusal(new, status, assigned)
    if refused is not None:
        raise refused
    seq = yield value(
        "UPDATE contacts SET last_seq = last_seq + 1,"
        " first_staff_reply_at = CASE WHEN ? AND first_staff_reply_at IS NULL THEN ?"
        " ELSE first_staff_reply_at END WHERE id = ? RETURNING last_seq",
        new.sender == "staff",
        new.sent_at,
        new.contact_id,
    )
    yield execute(INSERT_MESSAGE, *insert_params(new, int(seq)))
    return AppendResult(
        stored(new, int(seq)), duplicate=False, status=status, assigned_user_id=assigned
    )


def messages_after(contact_id: str, after_seq: int, limit: int | None) -> Plan[list[Message]]:
    """Messages with seq > after_seq, in seq order (at most ``limit``)."""
    sql = f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE contact_id = ? AND seq > ? ORDER BY seq"
    params: tuple[object, ...] = (contact_id, after_seq)
    if limit is not None:
        sql, params = sql + " LIMIT ?", (*params, limit)
    rows = yield all_rows(sql, *params)
    return [message_from_row(r) for r in rows]
