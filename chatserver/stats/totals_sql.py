"""Contact figures as portable SQL (SQLite and PostgreSQL): the totals (one
pass of ``SUM(CASE …)`` columns and the row → :class:`ContactTotals` mapping)
and the duration definitions."""

from __future__ import annotations

from collections.abc import Sequence

from .operations import LEVELS, OUTCOMES, ContactTotals

__all__ = ["DURATIONS", "TOTALS", "totals_columns", "totals_from_row"]

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

# Duration name -> (expression, condition) on a contacts row (seconds; each
# engine rounds and truncates them the same way, docs/statistics.md).
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
