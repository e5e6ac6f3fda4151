"""The statistics rollup on SQLite (tables and triggers: migration 0006).

:func:`compute_cells` computes the cells of one local day from the contacts
with the same conditions as the raw queries of :mod:`.sqlite_store` (the
``TOTALS`` and ``DURATIONS`` SQL, the same event kinds), grouped by unit and
queue. :func:`store_day` runs on the single writer, so no change can slip in
between computing a day and marking it current; the triggers of migration 0006
drop the mark when a contact, event or answer of that day changes.
:func:`read_cells` runs on a reader: stored cells of the days still marked,
and cells computed on the spot for the others (the recent, unsettled days and
any day changed since), all in one read transaction.
"""

# SQL here is built only from module constants and "?" placeholders.
# ruff: noqa: S608

from __future__ import annotations

import itertools
import math
import sqlite3
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from .channel_shift import ChatCounts
from .concurrency import assignments_from_events
from .rollup import Cell, Row, encode
from .sqlite_sql import (
    DURATIONS,
    NOT_SHIFTED_SQL,
    assignment_events,
    counted,
    duration_columns,
    marks,
    where_of,
)
from .store import ContactFilter
from .timebuckets import day_start_utc
from .totals_sql import totals_columns

__all__ = ["COLUMNS", "compute_cells", "marked_days", "read_cells", "store_day"]

# stats_rollup_cells columns after the key, in rollup.Row order.
COLUMNS = (
    "totals",
    "hours_contacts",
    "hours_resolved",
    "hours_shifted",
    "waiting",
    "first_reply",
    "handling",
    "overrides",
    "override_contacts",
    "assignments",
)
_HOUR = "CAST(created_at / 3600 AS INTEGER)"


def compute_cells(c: sqlite3.Connection, unit_ids: Sequence[str], day: date) -> list[Cell]:
    """Cells of the contacts of ``unit_ids`` with intake on local ``day``."""
    start, end = day_start_utc(day), day_start_utc(day + timedelta(days=1))
    f = ContactFilter(tuple(unit_ids), start, end)
    where, params = where_of(f)
    where_c, params_c = where_of(f, "c")
    cells: dict[tuple[str, str], Cell] = {}

    def cell(unit_id: str, queue_id: str) -> Cell:
        key = (unit_id, queue_id)
        if key not in cells:
            cells[key] = Cell(unit_id, day, queue_id)
        return cells[key]

    grouped = f"FROM contacts WHERE {where} GROUP BY unit_id, queue_id"
    for u, q, *totals in c.execute(
        f"SELECT unit_id, queue_id, {totals_columns()} {grouped}", params
    ):
        cell(u, q).totals = [int(v or 0) for v in totals]
    for u, q, *texts in c.execute(
        f"SELECT unit_id, queue_id, {duration_columns()} {grouped}", params
    ):
        got = cell(u, q)
        got.waiting, got.first_reply, got.handling = (counted(t) for t in texts)
    assert tuple(DURATIONS) == ("waiting", "first_reply", "handling")
    hours = (
        f"SELECT unit_id, queue_id, {_HOUR}, COUNT(*),"
        " SUM(CASE WHEN status = 'closed' AND outcome = 'resolved_in_chat' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN status = 'closed' AND would_otherwise = 'physical_visit'"
        f" AND outcome NOT IN ({NOT_SHIFTED_SQL}) THEN 1 ELSE 0 END)"
        f" FROM contacts WHERE {where} GROUP BY unit_id, queue_id, {_HOUR}"
    )
    for u, q, h, n, res, sh in c.execute(hours, params):
        cell(u, q).hours[int(h)] = ChatCounts(int(n), int(res), int(sh))

    # Events are found from the day's contacts (contact_events_contact), as the
    # raw queries find them from the period's events: an event never precedes
    # its contact's intake.
    overrides = (
        "SELECT c.unit_id, c.queue_id, c.id, json_extract(e.data, '$.from'),"
        " json_extract(e.data, '$.to') FROM contacts AS c CROSS JOIN contact_events AS e"
        f" ON e.contact_id = c.id WHERE {where_c} AND e.kind = 'triage_change'"
        " AND e.at >= ? AND e.actor_user_id IS NOT NULL"
    )
    changed: dict[tuple[str, str], set[str]] = {}
    for u, q, cid, before, after in c.execute(overrides, [*params_c, start]):
        got = cell(u, q)
        pair = (str(before), str(after))
        got.overrides[pair] = got.overrides.get(pair, 0) + 1
        changed.setdefault((u, q), set()).add(cid)
    for key, contact_ids in changed.items():
        cells[key].override_contacts = len(contact_ids)

    moved = {
        str(cid): (u, q)
        for u, q, cid in c.execute(
            "SELECT DISTINCT c.unit_id, c.queue_id, c.id FROM contacts AS c"
            " CROSS JOIN contact_events AS e ON e.contact_id = c.id"
            f" WHERE {where_c} AND e.kind IN ('transfer', 'requeue') AND e.at >= ?",
            [*params_c, start],
        )
    }
    simple = (
        "SELECT unit_id, queue_id, id, assigned_user_id, first_picked_at, closed_at FROM contacts"
        f" WHERE {where} AND first_picked_at IS NOT NULL AND assigned_user_id IS NOT NULL"
    )
    for u, q, cid, uid, picked, stop in c.execute(simple, params):
        if cid not in moved:
            stop_at = math.inf if stop is None else float(stop)
            cell(u, q).assignments.append((int(uid), float(picked), stop_at))
    rows = assignment_events(c, sorted(moved))
    for cid, events in itertools.groupby(rows, key=lambda r: str(r[0])):
        got = cell(*moved[cid])
        got.assignments.extend(
            (a.user_id, a.start, a.end) for a in assignments_from_events(events, math.inf)
        )
    return list(cells.values())


def marked_days(
    c: sqlite3.Connection, unit_ids: Sequence[str], first: date, last: date
) -> set[tuple[str, date]]:
    rows = c.execute(
        "SELECT unit_id, day FROM stats_rollup_days"
        f" WHERE unit_id IN ({marks(len(unit_ids))}) AND day >= ? AND day <= ?",
        [*unit_ids, first.isoformat(), last.isoformat()],
    )
    return {(str(u), date.fromisoformat(d)) for u, d in rows}


def store_day(c: sqlite3.Connection, unit_ids: Sequence[str], day: date, now: float) -> int:
    """Compute and store ``day`` for those of ``unit_ids`` not marked current
    (on the writer connection, inside its transaction). Returns the units done."""
    todo = [u for u in unit_ids if (u, day) not in marked_days(c, [u], day, day)]
    if not todo:
        return 0
    key = f"unit_id IN ({marks(len(todo))}) AND day = ?"
    c.execute(f"DELETE FROM stats_rollup_cells WHERE {key}", [*todo, day.isoformat()])
    c.executemany(
        f"INSERT INTO stats_rollup_cells (unit_id, day, queue_id, {', '.join(COLUMNS)})"
        f" VALUES (?, ?, ?, {marks(len(COLUMNS))})",
        [(x.unit_id, day.isoformat(), x.queue_id, *encode(x)) for x in compute_cells(c, todo, day)],
    )
    c.executemany(
        "INSERT OR REPLACE INTO stats_rollup_days (unit_id, day, computed_at) VALUES (?, ?, ?)",
        [(u, day.isoformat(), now) for u in todo],
    )
    return len(todo)


def read_cells(
    c: sqlite3.Connection, f: ContactFilter, days: Sequence[date], columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    """``columns`` of every cell of the filter's units (and queue) and ``days``:
    stored where the day is marked current, computed now where it is not."""
    cols = ", ".join(f"x.{name}" for name in columns)
    index = [COLUMNS.index(name) for name in columns]
    first, last = days[0], days[-1]
    units = list(f.unit_ids)
    sql = (
        f"SELECT {cols} FROM stats_rollup_days AS d JOIN stats_rollup_cells AS x"
        " ON x.unit_id = d.unit_id AND x.day = d.day"
        f" WHERE d.unit_id IN ({marks(len(units))}) AND d.day >= ? AND d.day <= ?"
    )
    params: list[Any] = [*units, first.isoformat(), last.isoformat()]
    if f.queue_id is not None:
        sql += " AND x.queue_id = ?"
        params.append(f.queue_id)
    c.execute("BEGIN")  # one snapshot for the marks, the stored and the computed cells
    try:
        out: list[tuple[Any, ...]] = c.execute(sql, params).fetchall()
        marked = marked_days(c, units, first, last)
        for day in days:
            missing = [u for u in units if (u, day) not in marked]
            if not missing:
                continue
            for x in compute_cells(c, missing, day):
                if f.queue_id is None or x.queue_id == f.queue_id:
                    row: Row = encode(x)
                    out.append(tuple(row[i] for i in index))
    finally:
        c.execute("COMMIT")
    return out
