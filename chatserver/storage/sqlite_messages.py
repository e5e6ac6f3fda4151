"""Batched message append for the SQLite writer (the hot path).

A burst of N appends costs a constant number of statements, not 4·N: one
SELECT for already stored (contact_id, sender_key, client_id), one SELECT of
the contacts involved, one ``executemany`` INSERT and one ``executemany``
UPDATE of ``last_seq``. Sequence numbers are assigned in memory in queue order,
so they stay gapless per contact; duplicates inside the same batch resolve to
the first occurrence.
"""

# SQL here is composed only of module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .base import AppendResult, Message, NewMessage
from .messages import INSERT_MESSAGE, insert_params, refusal, stored
from .plan import marks
from .rows import MESSAGE_COLUMNS, MESSAGE_WIDTH, message_from_row

__all__ = ["append_batch"]

# Bound parameters per statement stay far below SQLITE_MAX_VARIABLE_NUMBER
# (32766 since SQLite 3.32; 999 before): 3 per key × 250 = 750.
_CHUNK = 250

Key = tuple[str, str, str]  # (contact_id, sender_key, client_id)


@dataclass(slots=True)
class _ContactState:
    status: str
    last_seq: int
    first_staff_reply_at: float | None
    assigned_user_id: int | None
    touched: bool = False
    first_reply: bool = False  # first_staff_reply_at set by this batch


def _chunks(items: Sequence[Key] | Sequence[str]) -> Iterator[Sequence[Key] | Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _existing(conn: sqlite3.Connection, keys: list[Key]) -> dict[Key, Message]:
    found: dict[Key, Message] = {}
    for chunk in _chunks(keys):
        values = ", ".join(["(?, ?, ?)"] * len(chunk))
        params = [part for key in chunk for part in key]
        # A join from a VALUES list searches the unique index once per key;
        # the row-value form "(a, b, c) IN (VALUES ...)" makes SQLite 3.40
        # scan the whole messages table instead.
        rows = conn.execute(
            f"WITH k(c, s, i) AS (VALUES {values})"
            f" SELECT {MESSAGE_COLUMNS}, sender_key FROM k JOIN messages"
            " ON contact_id = k.c AND sender_key = k.s AND client_id = k.i",
            params,
        )
        for row in rows:
            found[(row[0], row[MESSAGE_WIDTH], row[4])] = message_from_row(row)
    return found


def _contacts(conn: sqlite3.Connection, contact_ids: list[str]) -> dict[str, _ContactState]:
    states: dict[str, _ContactState] = {}
    for chunk in _chunks(contact_ids):
        for cid, status, last_seq, fsr, assigned in conn.execute(
            f"SELECT id, status, last_seq, first_staff_reply_at, assigned_user_id FROM contacts"
            f" WHERE id IN ({marks(len(chunk))})",
            list(chunk),
        ):
            states[cid] = _ContactState(status, last_seq, fsr, assigned)
    return states


def append_batch(
    conn: sqlite3.Connection, batch: Sequence[NewMessage]
) -> list[AppendResult | Exception]:
    """Append ``batch`` in order; per message either a result or the exception
    its caller gets (:func:`.messages.refusal`). Raises sqlite3.Error only
    for unexpected database failures (the caller then retries one by one).

    A re-sent message is a duplicate even when its contact has been closed
    since (see :mod:`.messages`).
    """
    keys = list(dict.fromkeys((m.contact_id, m.sender_key, m.client_id) for m in batch))
    known = _existing(conn, keys)
    states = _contacts(conn, list(dict.fromkeys(m.contact_id for m in batch)))

    results: list[AppendResult | Exception] = []
    rows: list[tuple[object, ...]] = []
    for m in batch:
        key = (m.contact_id, m.sender_key, m.client_id)
        original = known.get(key)
        state = states.get(m.contact_id)
        status, assigned = (None, None) if state is None else (state.status, state.assigned_user_id)
        if original is not None:
            results.append(
                AppendResult(original, duplicate=True, status=status, assigned_user_id=assigned)
            )
            continue
        refused = refusal(m, status, assigned)
        if refused is not None:
            results.append(refused)
            continue
        assert state is not None  # refusal() refuses an unknown contact
        state.last_seq += 1
        state.touched = True
        if m.sender == "staff" and state.first_staff_reply_at is None:
            state.first_staff_reply_at = m.sent_at
            state.first_reply = True
        message = stored(m, state.last_seq)
        known[key] = message
        rows.append(insert_params(m, state.last_seq))
        results.append(
            AppendResult(message, duplicate=False, status=status, assigned_user_id=assigned)
        )

    if rows:
        conn.executemany(INSERT_MESSAGE, rows)
        # Only last_seq as a rule: SQLite rewrites the entry of every index
        # holding a column named in SET, and first_staff_reply_at is in the
        # wide contacts_stats index, which would be one more page per
        # conversation in every group commit (and its fsync).
        conn.executemany(
            "UPDATE contacts SET last_seq = ? WHERE id = ?",
            [(s.last_seq, cid) for cid, s in states.items() if s.touched],
        )
        firsts = [(s.first_staff_reply_at, cid) for cid, s in states.items() if s.first_reply]
        if firsts:
            conn.executemany("UPDATE contacts SET first_staff_reply_at = ? WHERE id = ?", firsts)
    return results
