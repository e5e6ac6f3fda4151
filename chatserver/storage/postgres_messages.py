"""The PostgreSQL message append fast path: one statement, one round trip.

The rules are those of :mod:`.messages`; this is only a faster way to apply
them when nothing is in the way. When the statement cannot decide (the
contact changed between its snapshot and the row lock) the caller runs the
row-locked :func:`.messages.append_one` plan instead.
"""

# SQL here is composed only of module constants and "$n" placeholders; every
# value is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from chatserver.core.lifecycle import ContactStatus

from .base import AppendResult, Message, NewMessage
from .messages import attachment_text, refusal, stored
from .rows import loads

__all__ = ["append_fast"]

# Atomic without an explicit transaction: the duplicate lookup, the row-locked
# seq increment (only when no duplicate, the contact is open and, for staff,
# assigned to the sender) and the insert. The last columns are the contact as
# the statement found it, to tell the caller why nothing was written.
_APPEND = f"""
WITH dup AS (
    SELECT seq, sender, sender_name, client_id, body, sent_at, attachment, photo_request
    FROM messages
    WHERE contact_id = $1 AND sender_key = $2 AND client_id = $3
), upd AS (
    UPDATE contacts SET last_seq = last_seq + 1,
        first_staff_reply_at = CASE WHEN $4 = 'staff' AND first_staff_reply_at IS NULL
                                    THEN $7 ELSE first_staff_reply_at END
    WHERE id = $1 AND status <> '{ContactStatus.CLOSED}' AND NOT EXISTS (SELECT 1 FROM dup)
      AND ($8::bigint IS NULL
           OR (status = '{ContactStatus.ASSIGNED}' AND assigned_user_id = $8))
    RETURNING last_seq, status, assigned_user_id
), ins AS (
    INSERT INTO messages (contact_id, seq, sender, sender_key, sender_name, client_id, body,
                          sent_at, attachment, photo_request)
    SELECT $1, last_seq, $4, $2, $5, $3, $6, $7, $9, $10 FROM upd
    RETURNING seq
)
SELECT (SELECT seq FROM ins), (SELECT status FROM upd), (SELECT assigned_user_id FROM upd),
       d.seq, d.sender, d.sender_name, d.client_id, d.body, d.sent_at,
       c.status, c.assigned_user_id, d.attachment, d.photo_request
FROM (SELECT 1) AS one
LEFT JOIN dup AS d ON TRUE
LEFT JOIN contacts AS c ON c.id = $1
"""


async def append_fast(conn: Any, new: NewMessage) -> AppendResult | None:
    """Append ``new`` on an asyncpg connection (outside a transaction). None
    when the contact changed under the statement: use the locked plan."""
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
        attachment_text(new),
        new.photo_request,
    )
    assert row is not None
    new_seq, status, assigned, dup_seq = row[0], row[1], row[2], row[3]
    if new_seq is not None:
        message = stored(new, int(new_seq))
        return AppendResult(message, duplicate=False, status=status, assigned_user_id=assigned)
    if dup_seq is not None:
        original = Message(
            new.contact_id,
            int(dup_seq),
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
            attachment=None if row[11] is None else loads(row[11]),
            photo_request=bool(row[12]),
        )
        return AppendResult(original, duplicate=True, status=row[9], assigned_user_id=row[10])
    refused = refusal(new, row[9], row[10])
    if refused is not None:
        raise refused
    return None
