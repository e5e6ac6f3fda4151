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

from .base import AppendResult, Conflict, Message, NewMessage, NotAssigned, NotFound
from .sqlite_rows import MESSAGE_COLUMNS, message_from_row

__all__ = ["SENDERS", "append_batch"]

SENDERS = frozenset({"patient", "staff", "system"})

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
            found[(row[0], row[7], row[4])] = message_from_row(row)
    return found


def _contacts(conn: sqlite3.Connection, contact_ids: list[str]) -> dict[str, _ContactState]:
    states: dict[str, _ContactState] = {}
    for chunk in _chunks(contact_ids):
        marks = ", ".join("?" * len(chunk))
        for cid, status, last_seq, fsr, assigned in conn.execute(
            f"SELECT id, status, last_seq, first_staff_reply_at, assigned_user_id FROM contacts"
            f" WHERE id IN ({marks})",
            list(chunk),
        ):
            states[cid] = _ContactState(status, last_seq, fsr, assigned)
    return states


def append_batch(
    conn: sqlite3.Connection, batch: Sequence[NewMessage]
) -> list[AppendResult | Exception]:
    """Append ``batch`` in order; per message either a result or the exception
    its caller gets (NotFound, Conflict, ValueError). Raises sqlite3.Error only
    for unexpected database failures (the caller then retries one by one).

    A re-sent message is a duplicate even when its contact has been closed
    since: the original was stored, so the retry succeeded.
    """
    keys = list(dict.fromkeys((m.contact_id, m.sender_key, m.client_id) for m in batch))
    known = _existing(conn, keys)
    states = _contacts(conn, list(dict.fromkeys(m.contact_id for m in batch)))

    results: list[AppendResult | Exception] = []
    rows: list[tuple[str, int, str, str, str, str, str, float]] = []
    for m in batch:
        key = (m.contact_id, m.sender_key, m.client_id)
        original = known.get(key)
        state = states.get(m.contact_id)
        if original is not None:
            results.append(
                AppendResult(
                    message=original,
                    duplicate=True,
                    status=state.status if state else None,
                    assigned_user_id=state.assigned_user_id if state else None,
                )
            )
            continue
        if state is None:
            results.append(NotFound(f"contact {m.contact_id!r}"))
            continue
        if state.status == "closed":
            results.append(Conflict(f"contact {m.contact_id!r} is closed"))
            continue
        if m.require_assigned_user is not None and (
            state.status != "assigned" or state.assigned_user_id != m.require_assigned_user
        ):
            results.append(NotAssigned(f"contact {m.contact_id!r} is not assigned to the sender"))
            continue
        if m.sender not in SENDERS:
            results.append(ValueError(f"unknown sender {m.sender!r}"))
            continue
        state.last_seq += 1
        state.touched = True
        if m.sender == "staff" and state.first_staff_reply_at is None:
            state.first_staff_reply_at = m.sent_at
        message = Message(
            contact_id=m.contact_id,
            seq=state.last_seq,
            sender=m.sender,
            sender_name=m.sender_name,
            client_id=m.client_id,
            body=m.body,
            sent_at=m.sent_at,
        )
        known[key] = message
        rows.append(
            (
                m.contact_id,
                state.last_seq,
                m.sender,
                m.sender_key,
                m.sender_name,
                m.client_id,
                m.body,
                m.sent_at,
            )
        )
        results.append(
            AppendResult(
                message=message,
                duplicate=False,
                status=state.status,
                assigned_user_id=state.assigned_user_id,
            )
        )

    if rows:
        conn.executemany(
            "INSERT INTO messages (contact_id, seq, sender, sender_key, sender_name, client_id,"
            " body, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "UPDATE contacts SET last_seq = ?, first_staff_reply_at = ? WHERE id = ?",
            [(s.last_seq, s.first_staff_reply_at, cid) for cid, s in states.items() if s.touched],
        )
    return results
