"""A queue's waiting contacts read straight into waiting-room entries.

The instance's copy of a waiting room (:mod:`chatserver.flow.waiting`) is
reloaded from the database every few seconds while it changes, so a reload
reads every waiting contact of the queue. Decoding each row into a full
:class:`~.base.Contact` (27 fields) and then into a
:class:`~chatserver.core.waiting_room.WaitingEntry` cost about 11 µs a row,
70 ms for a 6,000-contact queue; this plan reads only the entry's columns
and builds the entry at once (about 4 µs a row). ``entry_of`` in
:mod:`chatserver.flow.waiting` is the same mapping from a ``Contact``;
tests/storage/test_waiting_entries.py keeps the two equal.
"""

# SQL here is composed only of module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from chatserver.core.lifecycle import ContactStatus
from chatserver.core.waiting_room import WaitingEntry, preview_of

from .contacts import WAITING_ORDER
from .plan import Plan, all_rows
from .rows import loads

__all__ = ["waiting_entries"]

_COLUMNS = (
    "id, level, tags, red_flag, priority_tier, priority_key, queued_at, created_at,"
    " reasons, name, lang, text"
)


def waiting_entries(queue_id: str) -> Plan[list[WaitingEntry]]:
    """The queue's waiting contacts in waiting-room order, none identified
    (the caller marks those bound to a person)."""
    rows = yield all_rows(
        f"SELECT {_COLUMNS} FROM contacts WHERE status = '{ContactStatus.QUEUED}'"
        f" AND queue_id = ? ORDER BY {WAITING_ORDER}",
        queue_id,
    )
    return [
        WaitingEntry(
            contact_id=r[0],
            level=r[1],
            tags=tuple(loads(r[2])),
            red_flag=bool(r[3]),
            priority_tier=r[4],
            priority_key=r[5] if r[5] is not None else r[7],
            queued_at=r[6] if r[6] is not None else r[7],
            created_at=r[7],
            reasons=tuple(loads(r[8])),
            name=r[9],
            lang=r[10],
            preview=preview_of(r[11]),
        )
        for r in rows
    ]
