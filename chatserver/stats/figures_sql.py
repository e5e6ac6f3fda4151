"""The per-contact figures as SQL both engines run (engine differences from the
plan's :class:`~chatserver.storage.plan.Dialect`): the totals (one pass of
``SUM(CASE …)`` columns and the row → :class:`ContactTotals` mapping), the
duration definitions in whole seconds, and the contact filter.

The rollup (:mod:`.rollup_sql`) computes its cells with these, so every figure
is counted with the same conditions on either engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chatserver.storage.plan import Dialect

from .channel_shift import NOT_SHIFTED_OUTCOMES
from .operations import LEVELS, OUTCOMES, ContactTotals
from .records import ContactFilter

__all__ = [
    "CHUNK",
    "DURATIONS",
    "NOT_SHIFTED_SQL",
    "TOTALS",
    "totals_columns",
    "totals_from_row",
    "where_of",
    "whole_seconds",
]

# Ids per IN (...) list on SQLite (at most 32,766 parameters a statement);
# PostgreSQL binds one array, so a chunk is one statement either way.
CHUNK = 500
NOT_SHIFTED_SQL = ", ".join(f"'{o}'" for o in sorted(NOT_SHIFTED_OUTCOMES))

# Name → SQL condition on a contacts row. Outcome and level names are module
# constants, never input.
TOTALS: dict[str, str] = {
    "contacts": "1 = 1",
    "emergency_advised": "status = 'emergency_advised'",
    "queued": "queued_at IS NOT NULL",
    "picked": "first_picked_at IS NOT NULL",
    "abandoned": "status = 'closed' AND outcome = 'patient_left'"
    " AND queued_at IS NOT NULL AND first_picked_at IS NULL",
    "closed": "status = 'closed'",
    **{f"o:{o}": f"status = 'closed' AND outcome = '{o}'" for o in OUTCOMES},
    **{f"i:{lv}": f"intake_level = '{lv}'" for lv in LEVELS},
    **{f"l:{lv}": f"level = '{lv}'" for lv in LEVELS},
}

# Duration name -> (expression, condition) on a contacts row, in seconds.
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


def where_of(d: Dialect, f: ContactFilter, alias: str = "") -> tuple[str, list[Any]]:
    """The filter as a condition on ``contacts`` (as ``alias``) and its parameters."""
    a = f"{alias}." if alias else ""
    units, params = d.any_of(f"{a}unit_id", f.unit_ids)
    sql = f"{units} AND {a}created_at >= ? AND {a}created_at < ?"
    out: list[Any] = [*params, f.start, f.end]
    if f.queue_id is not None:
        sql += f" AND {a}queue_id = ?"
        out.append(f.queue_id)
    return sql, out


def whole_seconds(d: Dialect, expr: str) -> str:
    """``expr`` (seconds, a float) rounded to the millisecond and then truncated,
    so 119.9999999 from floating point counts as 120; negative as 0. Spelled as
    ``trunc(x + 0.0005)``: one IEEE addition and a truncation, which give the
    same integer on both engines (a decimal ``ROUND`` differs between them at
    the half-millisecond)."""
    return f"CASE WHEN ({expr}) > 0 THEN {d.truncated(f'({expr}) + 0.0005')} ELSE 0 END"


def totals_columns() -> str:
    """The SELECT list; SUM over no rows is NULL, read as 0."""
    return ", ".join(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)" for cond in TOTALS.values())


def totals_from_row(row: Sequence[object]) -> ContactTotals:
    got = {k: int(v or 0) for k, v in zip(TOTALS, row, strict=True)}  # type: ignore[call-overload]

    def part(prefix: str) -> dict[str, int]:
        return {k[2:]: v for k, v in got.items() if k.startswith(prefix)}

    return ContactTotals(
        contacts=got["contacts"],
        emergency_advised=got["emergency_advised"],
        queued=got["queued"],
        picked=got["picked"],
        abandoned=got["abandoned"],
        closed=got["closed"],
        outcomes=part("o:"),
        intake_levels=part("i:"),
        levels=part("l:"),
    )
