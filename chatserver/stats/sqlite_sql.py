"""SQL fragments shared by the raw statistics queries (:mod:`.sqlite_store`)
and the rollup (:mod:`.sqlite_rollup`), so both count with the same conditions."""

# SQL here is built only from module constants and "?" placeholders.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from .channel_shift import NOT_SHIFTED_OUTCOMES
from .store import ContactFilter
from .totals_sql import DURATIONS

__all__ = [
    "CHUNK",
    "DURATIONS",
    "NOT_SHIFTED_SQL",
    "assignment_events",
    "counted",
    "duration_columns",
    "marks",
    "where_of",
]

# Ids per IN (...) list (SQLite allows at most 32,766 parameters).
CHUNK = 500
NOT_SHIFTED_SQL = ", ".join(f"'{o}'" for o in sorted(NOT_SHIFTED_OUTCOMES))


def marks(n: int) -> str:
    return ", ".join("?" * n)


def where_of(f: ContactFilter, alias: str = "") -> tuple[str, list[Any]]:
    a = f"{alias}." if alias else ""
    sql = f"{a}unit_id IN ({marks(len(f.unit_ids))}) AND {a}created_at >= ? AND {a}created_at < ?"
    params: list[Any] = [*f.unit_ids, f.start, f.end]
    if f.queue_id is not None:
        sql += f" AND {a}queue_id = ?"
        params.append(f.queue_id)
    return sql, params


def _seconds(expr: str) -> str:
    return f"CAST(ROUND(MAX(0, {expr}), 3) AS INTEGER)"


def duration_columns() -> str:
    """One ``group_concat`` of whole seconds per duration (NULLs skipped)."""
    return ", ".join(
        f"group_concat(CASE WHEN {cond} THEN {_seconds(expr)} END)"
        for expr, cond in DURATIONS.values()
    )


def assignment_events(c: sqlite3.Connection, contact_ids: Sequence[str]) -> Iterator[Any]:
    """``(contact_id, kind, at, actor_user_id)`` of the assignment events of
    ``contact_ids`` (the transferred or requeued ones), each contact's rows
    together and in event order (:func:`.concurrency.assignments_from_events`)."""
    for i in range(0, len(contact_ids), CHUNK):
        chunk = contact_ids[i : i + CHUNK]
        yield from c.execute(
            "SELECT contact_id, kind, at, actor_user_id FROM contact_events"
            f" WHERE contact_id IN ({marks(len(chunk))})"
            " AND kind IN ('pick', 'transfer', 'requeue', 'close')"
            " ORDER BY contact_id, id",
            chunk,
        )


def counted(text: str | None) -> dict[int, int]:
    """A ``group_concat`` of integers as a histogram."""
    return dict(Counter(map(int, text.split(",")))) if text else {}
