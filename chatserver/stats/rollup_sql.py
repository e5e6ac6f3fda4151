"""The statistics rollup as plans both engines run (tables and invalidation
triggers: migrations sqlite/0006 and postgresql/0009).

:func:`compute_cells` computes the cells of one local day from the contacts
with the conditions of :mod:`.figures_sql`, grouped by unit and queue.
:func:`store_day` computes and stores a day and marks it current, in one write
transaction; the triggers drop the mark when a contact or event of that day
changes, so a day without a mark is computed again, never served stale.
:func:`read_cells` reads the stored cells of the marked days and computes the
others (the recent, unsettled days and any day changed since) on the spot.

No change may slip in between computing a day and marking it. On SQLite the
single writer runs :func:`store_day`, so nothing else writes meanwhile. On
PostgreSQL the plan first takes, without waiting, an exclusive lock per unit
(:data:`LOCK_NAMESPACE`, ``hashtext(unit_id)``); every trigger takes the same
lock shared before it drops a mark, so a change either commits before the day
is computed or waits and then drops the new mark. The fill never waits for a
lock (it reports ``None``, busy, and is retried), so it cannot deadlock with
chat writes.
"""

# SQL here is built only from module constants and "?" placeholders.
# ruff: noqa: S608

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from chatserver.storage.plan import Dialect, Plan, all_rows, execute, many, marks, value

from .channel_shift import ChatCounts
from .concurrency import assignments_from_events
from .figures_sql import (
    CHUNK,
    DURATIONS,
    NOT_SHIFTED_SQL,
    totals_columns,
    where_of,
    whole_seconds,
)
from .records import ContactFilter
from .rollup import Cell, Row, encode
from .timebuckets import day_start_utc

__all__ = [
    "COLUMNS",
    "LOCK_NAMESPACE",
    "assignment_events",
    "compute_cells",
    "marked_days",
    "read_cells",
    "store_day",
]

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
# "STAT": the advisory lock namespace of the rollup fill on PostgreSQL; the
# triggers of migrations/postgresql/0009 spell the same number.
LOCK_NAMESPACE = 0x53544154


def assignment_events(d: Dialect, contact_ids: Sequence[str]) -> Plan[list[Any]]:
    """``(contact_id, kind, at, actor_user_id)`` of the assignment events of
    ``contact_ids`` (the transferred or requeued ones), each contact's rows
    together and in event order (:func:`.concurrency.assignments_from_events`)."""
    out: list[Any] = []
    for i in range(0, len(contact_ids), CHUNK):
        ids, params = d.any_of("contact_id", contact_ids[i : i + CHUNK])
        out += yield all_rows(
            "SELECT contact_id, kind, at, actor_user_id FROM contact_events"
            f" WHERE {ids} AND kind IN ('pick', 'transfer', 'requeue', 'close')"
            " ORDER BY contact_id, id",
            *params,
        )
    return out


def compute_cells(d: Dialect, unit_ids: Sequence[str], day: date) -> Plan[list[Cell]]:
    """Cells of the contacts of ``unit_ids`` with intake on local ``day``."""
    start, end = day_start_utc(day), day_start_utc(day + timedelta(days=1))
    f = ContactFilter(tuple(unit_ids), start, end)
    where, params = where_of(d, f)
    where_c, params_c = where_of(d, f, "c")
    cells: dict[tuple[str, str], Cell] = {}

    def cell(unit_id: str, queue_id: str) -> Cell:
        key = (str(unit_id), str(queue_id))
        if key not in cells:
            cells[key] = Cell(key[0], day, key[1])
        return cells[key]

    grouped = f"FROM contacts WHERE {where} GROUP BY unit_id, queue_id"
    for u, q, *totals in (
        yield all_rows(f"SELECT unit_id, queue_id, {totals_columns()} {grouped}", *params)
    ):
        cell(u, q).totals = [int(v or 0) for v in totals]

    # One histogram per duration: (unit, queue, duration number, seconds, contacts).
    histograms = " UNION ALL ".join(
        f"SELECT unit_id, queue_id, {i} AS k, {whole_seconds(d, expr)} AS s, COUNT(*)"
        f" FROM contacts WHERE {where} AND {cond} GROUP BY unit_id, queue_id, s"
        for i, (expr, cond) in enumerate(DURATIONS.values())
    )
    names = list(DURATIONS)  # the Cell attributes of the histograms
    for u, q, k, s, n in (yield all_rows(histograms, *(params * len(names)))):
        histogram: dict[int, int] = getattr(cell(u, q), names[int(k)])
        histogram[int(s)] = int(n)

    hour = d.truncated("created_at / 3600")
    hours = (
        f"SELECT unit_id, queue_id, {hour}, COUNT(*),"
        " SUM(CASE WHEN status = 'closed' AND outcome = 'resolved_in_chat' THEN 1 ELSE 0 END),"
        " SUM(CASE WHEN status = 'closed' AND would_otherwise = 'physical_visit'"
        f" AND outcome NOT IN ({NOT_SHIFTED_SQL}) THEN 1 ELSE 0 END)"
        f" FROM contacts WHERE {where} GROUP BY unit_id, queue_id, {hour}"
    )
    for u, q, h, n, res, sh in (yield all_rows(hours, *params)):
        cell(u, q).hours[int(h)] = ChatCounts(int(n), int(res), int(sh))

    # Events are found from the day's contacts (the contact's index first: an
    # event never precedes its contact's intake).
    joined = f"FROM contacts AS c {d.join_in_order} contact_events AS e ON e.contact_id = c.id"
    overrides = (
        f"SELECT c.unit_id, c.queue_id, c.id, {d.json_text('e.data', 'from')},"
        f" {d.json_text('e.data', 'to')} {joined} WHERE {where_c}"
        " AND e.kind = 'triage_change' AND e.at >= ? AND e.actor_user_id IS NOT NULL"
    )
    changed: dict[tuple[str, str], set[str]] = {}
    for u, q, cid, before, after in (yield all_rows(overrides, *params_c, start)):
        got = cell(u, q)
        pair = (str(before), str(after))
        got.overrides[pair] = got.overrides.get(pair, 0) + 1
        changed.setdefault((got.unit_id, got.queue_id), set()).add(str(cid))
    for key, contact_ids in changed.items():
        cells[key].override_contacts = len(contact_ids)

    # Most contacts are picked once and closed by the same person: their one
    # assignment is [first_picked_at, closed_at) of assigned_user_id. Contacts
    # with a transfer or requeue (a few per cent) are rebuilt from their events.
    moved = {
        str(cid): (str(u), str(q))
        for u, q, cid in (
            yield all_rows(
                f"SELECT DISTINCT c.unit_id, c.queue_id, c.id {joined} WHERE {where_c}"
                " AND e.kind IN ('transfer', 'requeue') AND e.at >= ?",
                *params_c,
                start,
            )
        )
    }
    simple = (
        "SELECT unit_id, queue_id, id, assigned_user_id, first_picked_at, closed_at FROM contacts"
        f" WHERE {where} AND first_picked_at IS NOT NULL AND assigned_user_id IS NOT NULL"
    )
    for u, q, cid, uid, picked, stop in (yield all_rows(simple, *params)):
        if str(cid) not in moved:
            stop_at = math.inf if stop is None else float(stop)
            cell(u, q).assignments.append((int(uid), float(picked), stop_at))
    events = yield from assignment_events(d, sorted(moved))
    for cid, rows in itertools.groupby(events, key=lambda r: str(r[0])):
        got = cell(*moved[cid])
        rebuilt = assignments_from_events(
            ((str(c), str(k), float(a), None if u is None else int(u)) for c, k, a, u in rows),
            math.inf,
        )
        got.assignments.extend((a.user_id, a.start, a.end) for a in rebuilt)
    return list(cells.values())


def marked_days(
    d: Dialect, unit_ids: Sequence[str], first: date, last: date
) -> Plan[set[tuple[str, date]]]:
    """The (unit, day) pairs from ``first`` to ``last`` whose cells are current."""
    units, params = d.any_of("unit_id", unit_ids)
    rows = yield all_rows(
        f"SELECT unit_id, day FROM stats_rollup_days WHERE {units} AND day >= ? AND day <= ?",
        *params,
        first.isoformat(),
        last.isoformat(),
    )
    return {(str(u), date.fromisoformat(str(x))) for u, x in rows}


def store_day(d: Dialect, unit_ids: Sequence[str], day: date, now: float) -> Plan[int | None]:
    """Compute and store ``day`` for those of ``unit_ids`` not marked current
    (one write transaction). Returns the units stored, or None when another
    transaction holds a unit's lock (PostgreSQL; nothing was written)."""
    if d.try_lock is not None:
        for unit in sorted(unit_ids):
            if not (yield value(d.try_lock, LOCK_NAMESPACE, unit)):
                return None
    marked = yield from marked_days(d, unit_ids, day, day)
    todo = [u for u in unit_ids if (u, day) not in marked]
    if not todo:
        return 0
    iso = day.isoformat()
    units, params = d.any_of("unit_id", todo)
    yield execute(f"DELETE FROM stats_rollup_cells WHERE {units} AND day = ?", *params, iso)
    cells = yield from compute_cells(d, todo, day)
    yield many(
        f"INSERT INTO stats_rollup_cells (unit_id, day, queue_id, {', '.join(COLUMNS)})"
        f" VALUES (?, ?, ?, {marks(len(COLUMNS))})",
        [(x.unit_id, iso, x.queue_id, *encode(x)) for x in cells],
    )
    yield many(
        "INSERT INTO stats_rollup_days (unit_id, day, computed_at) VALUES (?, ?, ?)"
        " ON CONFLICT (unit_id, day) DO UPDATE SET computed_at = excluded.computed_at",
        [(u, iso, now) for u in todo],
    )
    return len(todo)


def read_cells(
    d: Dialect,
    f: ContactFilter,
    days: Sequence[date],
    columns: Sequence[str],
    *,
    stored: bool = True,
) -> Plan[list[tuple[Any, ...]]]:
    """``columns`` of every cell of the filter's units (and queue) and ``days``:
    read where the day is marked current, computed now where it is not (every
    day when not ``stored``). The marks and the stored cells come from one
    statement, so a day is never counted twice nor missed while a fill or a
    trigger changes its mark."""
    units = list(f.unit_ids)
    if not units or not days:
        return []
    index = [COLUMNS.index(name) for name in columns]
    out: list[tuple[Any, ...]] = []
    marked: set[tuple[str, date]] = set()
    if stored:
        # A marked day without cells (no contacts) comes back as one row of NULLs.
        queue = "" if f.queue_id is None else " AND x.queue_id = ?"
        in_units, unit_params = d.any_of("m.unit_id", units)
        rows = yield all_rows(
            f"SELECT m.unit_id, m.day, x.queue_id, {', '.join(f'x.{c}' for c in columns)}"
            " FROM stats_rollup_days AS m LEFT JOIN stats_rollup_cells AS x"
            f" ON x.unit_id = m.unit_id AND x.day = m.day{queue}"
            f" WHERE {in_units} AND m.day >= ? AND m.day <= ?",
            *([] if f.queue_id is None else [f.queue_id]),
            *unit_params,
            days[0].isoformat(),
            days[-1].isoformat(),
        )
        for row in rows:
            got = tuple(row)
            marked.add((str(got[0]), date.fromisoformat(str(got[1]))))
            if got[2] is not None:
                out.append(got[3:])
    for day in days:
        missing = [u for u in units if (u, day) not in marked]
        if not missing:
            continue
        for x in (yield from compute_cells(d, missing, day)):
            if f.queue_id is None or x.queue_id == f.queue_id:
                row_of: Row = encode(x)
                out.append(tuple(row_of[i] for i in index))
    return out
