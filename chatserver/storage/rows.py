"""Row ↔ record conversion: column lists and JSON columns, for both engines.

The only place that knows how a record is laid out in a row; the read and
write paths share it so a column added to a record is added once. Both
engines' rows index by position (``sqlite3`` tuples, asyncpg ``Record``s) and
hold the same values: JSON columns are compact JSON text on both, and the
converters coerce SQLite's 0/1 to ``bool``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import orjson

from .base import Contact, ContactEvent, Message, Queue, Session, Unit, User

__all__ = [
    "CONTACT_COLUMNS",
    "EVENT_COLUMNS",
    "MESSAGE_COLUMNS",
    "MESSAGE_WIDTH",
    "QUEUE_COLUMNS",
    "SESSION_COLUMNS",
    "UNIT_COLUMNS",
    "USER_COLUMNS",
    "Row",
    "contact_from_row",
    "dumps",
    "event_from_row",
    "loads",
    "message_from_row",
    "queue_from_row",
    "session_from_row",
    "unit_from_row",
    "user_from_row",
]

UNIT_COLUMNS = "id, name, always_open, rollout, created_at, identification"
QUEUE_COLUMNS = "id, unit_id, competence, name, max_waiting"
USER_COLUMNS = (
    "id, username, display_name, role, password_hash, totp_secret, disabled, created_at,"
    " must_change_password, totp_pending"
)
SESSION_COLUMNS = "id_hash, user_id, csrf_token, created_at, last_seen_at, method"
CONTACT_COLUMNS = (
    "id, unit_id, queue_id, status, level, intake_level, tags, reasons, red_flag,"
    " emergency_acknowledged, lang, age, name, text, would_otherwise, created_at,"
    " queued_at, priority_tier, priority_key, assigned_user_id, assigned_name,"
    " assigned_at, first_picked_at, first_staff_reply_at, closed_at, outcome, last_seq"
)
MESSAGE_COLUMNS = (
    "contact_id, seq, sender, sender_name, client_id, body, sent_at, attachment, photo_request"
)
# The number of MESSAGE_COLUMNS: a query that selects more reads them after these.
MESSAGE_WIDTH = 9
EVENT_COLUMNS = "id, contact_id, at, kind, actor_user_id, data"


class Row(Protocol):
    """A result row of either engine: indexable by column position."""

    def __getitem__(self, index: int, /) -> Any: ...


def dumps(value: Any) -> str:
    """Compact JSON text for a JSON column."""
    return orjson.dumps(value).decode()


def loads(text: str) -> Any:
    return orjson.loads(text)


def unit_from_row(r: Row) -> Unit:
    return Unit(
        id=r[0],
        name=r[1],
        always_open=bool(r[2]),
        rollout=r[3],
        created_at=r[4],
        identification=r[5],
    )


def queue_from_row(r: Row) -> Queue:
    return Queue(id=r[0], unit_id=r[1], competence=r[2], name=r[3], max_waiting=r[4])


def user_from_row(r: Row, unit_ids: tuple[str, ...]) -> User:
    return User(
        id=r[0],
        username=r[1],
        display_name=r[2],
        role=r[3],
        password_hash=r[4],
        totp_secret=r[5],
        disabled=bool(r[6]),
        created_at=r[7],
        unit_ids=unit_ids,
        must_change_password=bool(r[8]),
        totp_pending=r[9],
    )


def session_from_row(r: Row) -> Session:
    return Session(
        id_hash=r[0],
        user_id=r[1],
        csrf_token=r[2],
        created_at=r[3],
        last_seen_at=r[4],
        method=r[5],
    )


def contact_from_row(r: Row) -> Contact:
    reasons: list[Mapping[str, Any]] = loads(r[7])
    return Contact(
        id=r[0],
        unit_id=r[1],
        queue_id=r[2],
        status=r[3],
        level=r[4],
        intake_level=r[5],
        tags=tuple(loads(r[6])),
        reasons=tuple(reasons),
        red_flag=bool(r[8]),
        emergency_acknowledged=bool(r[9]),
        lang=r[10],
        age=r[11],
        name=r[12],
        text=r[13],
        would_otherwise=r[14],
        created_at=r[15],
        queued_at=r[16],
        priority_tier=r[17],
        priority_key=r[18],
        assigned_user_id=r[19],
        assigned_name=r[20],
        assigned_at=r[21],
        first_picked_at=r[22],
        first_staff_reply_at=r[23],
        closed_at=r[24],
        outcome=r[25],
        last_seq=r[26],
    )


def message_from_row(r: Row) -> Message:
    return Message(
        contact_id=r[0],
        seq=r[1],
        sender=r[2],
        sender_name=r[3],
        client_id=r[4],
        body=r[5],
        sent_at=r[6],
        attachment=None if r[7] is None else loads(r[7]),
        photo_request=bool(r[8]),
    )


def event_from_row(r: Row) -> ContactEvent:
    return ContactEvent(
        id=r[0], contact_id=r[1], at=r[2], kind=r[3], actor_user_id=r[4], data=loads(r[5])
    )
