"""SQL fragments shared by the raw statistics queries (:mod:`.sqlite_store`)
and the rollup (:mod:`.sqlite_rollup`), so both count with the same conditions."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .channel_shift import NOT_SHIFTED_OUTCOMES
from .store import ContactFilter

__all__ = [
    "DURATIONS",
    "NOT_SHIFTED_SQL",
    "counted",
    "duration_columns",
    "marks",
    "where_of",
]

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


# Duration name -> (expression, condition) on a contacts row.
DURATIONS: dict[str, tuple[str, str]] = {
    "waiting": (
        "first_picked_at - queued_at",
        "first_picked_at IS NOT NULL AND queued_at IS NOT NULL",
    ),
    "first_reply": (
        "first_staff_reply_at - queued_at",
        "first_staff_reply_at IS NOT NULL AND queued_at IS NOT NULL",
    ),
    "handling": (
        "closed_at - first_picked_at",
        "status = 'closed' AND first_picked_at IS NOT NULL",
    ),
}


def duration_columns() -> str:
    """One ``group_concat`` of whole seconds per duration (NULLs skipped)."""
    return ", ".join(
        f"group_concat(CASE WHEN {cond} THEN {_seconds(expr)} END)"
        for expr, cond in DURATIONS.values()
    )


def counted(text: str | None) -> dict[int, int]:
    """A ``group_concat`` of integers as a histogram."""
    return dict(Counter(map(int, text.split(",")))) if text else {}
