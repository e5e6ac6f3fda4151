"""The statistics queries on SQLite (reads on reader connections, the import
through the single writer). Indexes: migration 0004.

Durations are whole seconds: the difference is rounded to the millisecond
first (so 119.9999999 from floating point becomes 120) and then truncated.
"""

# SQL here is built only from module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from . import sqlite_rollup
from .channel_shift import ChatCounts
from .concurrency import Assignment, Spans, assignments_from_events, spans_of
from .operations import ContactTotals, OperationsInput, Satisfaction
from .rollup import (
    days_of,
    decode_assignments,
    decode_overrides,
    merge_histograms,
    merge_hours,
    merge_totals,
)
from .sqlite_sql import (
    CHUNK,
    DURATIONS,
    NOT_SHIFTED_SQL,
    assignment_events,
    counted,
    duration_columns,
    marks,
    where_of,
)
from .store import ContactFilter, ContactRow, input_from_parts
from .timebuckets import day_start_utc
from .totals_sql import TOTALS, totals_columns, totals_from_row
from .triage_safety import SAFETY_EVENTS_SQL, SafetyEvent, event_from_row
from .visits_import import VisitRow

__all__ = ["SqliteStatsStore"]

T = TypeVar("T")

# A day is stored in the rollup once it ended this long ago (contacts of
# the last day are mostly still moving); later changes are caught by the
# triggers of migration 0006 anyway.
SETTLE_S = 86_400.0
# One rollup fill at a time per database, however many requests ask.
_FILL_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


def _staff_names(c: sqlite3.Connection, users: Sequence[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for i in range(0, len(users), CHUNK):
        chunk = users[i : i + CHUNK]
        names.update(
            (int(u), str(n))
            for u, n in c.execute(
                f"SELECT id, display_name FROM users WHERE id IN ({marks(len(chunk))})", chunk
            )
        )
    return names


class SqliteStatsStore:
    """:class:`~chatserver.stats.store.StatsStore` on :class:`SqliteStorage`."""

    def __init__(
        self, storage: Any, *, rollup: bool = True, clock: Callable[[], float] = time.time
    ) -> None:
        self.storage = storage
        # Without the rollup every figure is scanned from the contacts (the
        # reference the rollup is tested against).
        self.rollup = rollup
        self.clock = clock

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self.storage.run_read(fn)
        return result

    async def _days(self, f: ContactFilter) -> list[date] | None:
        """The period's local days when the rollup can answer ``f`` (after
        storing the settled days not yet stored), else None."""
        days = days_of(f.start, f.end) if self.rollup and f.unit_ids else None
        if days is None:
            return None
        settled_end = self.clock() - SETTLE_S
        settled = [d for d in days if day_start_utc(d + timedelta(days=1)) <= settled_end]
        if not settled:
            return days
        units = list(f.unit_ids)
        async with self._fill_lock():
            marked = await self._read(
                lambda c: sqlite_rollup.marked_days(c, units, settled[0], settled[-1])
            )
            for day in settled:
                if any((u, day) not in marked for u in units):
                    await self._store_day(units, day)
        return days

    def _fill_lock(self) -> asyncio.Lock:
        return _FILL_LOCKS.setdefault(self.storage, asyncio.Lock())

    async def _store_day(self, units: list[str], day: date) -> int:
        fill = functools.partial(sqlite_rollup.store_day, unit_ids=units, day=day, now=self.clock())
        stored: int = await self.storage.run_write(fill)
        return stored

    async def fill(self, days: Sequence[date], pause_s: float = 0.0) -> int:
        """Store the cells of every unit for those of ``days`` (settled ones)
        not stored yet, one unit-day per writer transaction with ``pause_s``
        between them, so chat writes never queue long behind a fill (the
        background warm-up, :mod:`.warmup`). Returns the unit-days stored."""
        if not days:
            return 0
        units = await self.unit_ids()
        marked = await self._read(
            lambda c: sqlite_rollup.marked_days(c, units, min(days), max(days))
        )
        stored = 0
        for day in days:
            for unit in units:
                if (unit, day) in marked:
                    continue
                async with self._fill_lock():  # per unit-day: a request never waits long
                    stored += await self._store_day([unit], day)
                await asyncio.sleep(pause_s)
        return stored

    async def _cells(
        self, f: ContactFilter, days: list[date], columns: Sequence[str]
    ) -> list[tuple[Any, ...]]:
        return await self._read(lambda c: sqlite_rollup.read_cells(c, f, days, columns))

    async def upsert_visits(
        self, rows: Sequence[VisitRow], *, at: float, user_id: int | None
    ) -> None:
        params = [(r.date.isoformat(), r.unit_id, r.channel, r.count, at, user_id) for r in rows]

        def write(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT INTO visit_counts (date, unit_id, channel, count, imported_at, imported_by)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id, date, channel) DO UPDATE SET"
                " count = excluded.count, imported_at = excluded.imported_at,"
                " imported_by = excluded.imported_by",
                params,
            )

        await self.storage.run_write(write)

    async def visits(
        self, unit_ids: Sequence[str], first: date, last: date
    ) -> dict[tuple[date, str], int]:
        sql = (
            "SELECT date, channel, SUM(count) FROM visit_counts"
            f" WHERE unit_id IN ({marks(len(unit_ids))}) AND date >= ? AND date <= ?"
            " GROUP BY date, channel"
        )
        params = [*unit_ids, first.isoformat(), last.isoformat()]

        def read(c: sqlite3.Connection) -> dict[tuple[date, str], int]:
            return {(date.fromisoformat(d), ch): int(n) for d, ch, n in c.execute(sql, params)}

        return await self._read(read)

    async def chat_hourly(self, f: ContactFilter) -> list[tuple[int, ChatCounts]]:
        if (days := await self._days(f)) is not None:
            rows = await self._cells(f, days, ["hours_contacts", "hours_resolved", "hours_shifted"])
            n, res, sh = (merge_hours(r[i] for r in rows) for i in range(3))
            return [(h, ChatCounts(n[h], res.get(h, 0), sh.get(h, 0))) for h in sorted(n)]
        where, params = where_of(f)
        hour = "CAST(created_at / 3600 AS INTEGER)"
        # One scan; the hour numbers come back as comma-separated lists that
        # Python counts (a GROUP BY would sort every row first).
        sql = (
            f"SELECT group_concat({hour}),"
            f" group_concat(CASE WHEN status = 'closed' AND outcome = 'resolved_in_chat'"
            f" THEN {hour} END),"
            f" group_concat(CASE WHEN status = 'closed' AND would_otherwise = 'physical_visit'"
            f" AND outcome NOT IN ({NOT_SHIFTED_SQL}) THEN {hour} END)"
            f" FROM contacts WHERE {where}"
        )

        def read(c: sqlite3.Connection) -> list[tuple[int, ChatCounts]]:
            row = c.execute(sql, params).fetchone()
            n, res, sh = (Counter(map(int, t.split(","))) if t else Counter() for t in row)
            return [(h, ChatCounts(n[h], res[h], sh[h])) for h in sorted(n)]

        return await self._read(read)

    async def totals(self, f: ContactFilter) -> ContactTotals:
        if (days := await self._days(f)) is not None:
            rows = await self._cells(f, days, ["totals"])
            return totals_from_row(merge_totals((r[0] for r in rows), len(TOTALS)))
        where, params = where_of(f)
        # One pass of SUMs instead of a GROUP BY: SQLite groups by sorting
        # every row, which costs more than the scan itself on a million rows.
        sql = f"SELECT {totals_columns()} FROM contacts WHERE {where}"
        return await self._read(lambda c: totals_from_row(c.execute(sql, params).fetchone()))

    async def durations(self, f: ContactFilter) -> dict[str, dict[int, int]]:
        if (days := await self._days(f)) is not None:
            rows = await self._cells(f, days, list(DURATIONS))
            return {name: merge_histograms(r[i] for r in rows) for i, name in enumerate(DURATIONS)}
        where, params = where_of(f)
        parts = DURATIONS
        # One scan; each duration list comes back as one comma-separated string
        # (group_concat skips NULLs) and is counted in Python. A GROUP BY per
        # duration would sort every row three times.
        sql = f"SELECT {duration_columns()} FROM contacts WHERE {where}"

        def read(c: sqlite3.Connection) -> dict[str, dict[int, int]]:
            row = c.execute(sql, params).fetchone()
            return {name: counted(text) for name, text in zip(parts, row, strict=True)}

        return await self._read(read)

    async def safety_events(self, f: ContactFilter) -> list[SafetyEvent]:
        where, params = where_of(f, "c")
        sql = SAFETY_EVENTS_SQL.format(where=where)
        return await self._read(lambda c: [event_from_row(r) for r in c.execute(sql, params)])

    async def overrides(self, f: ContactFilter) -> tuple[dict[tuple[str, str], int], int]:
        if (days := await self._days(f)) is not None:
            rows = await self._cells(f, days, ["overrides", "override_contacts"])
            merged: Counter[tuple[str, str]] = Counter()
            for text, _ in rows:
                for before, after, n in decode_overrides(text):
                    merged[(before, after)] += n
            return dict(merged), sum(int(r[1]) for r in rows)
        where, params = where_of(f, "c")
        # Driven from the (few) triage_change events since the period began (a
        # change always comes after its contact's intake); CROSS JOIN makes
        # SQLite keep the events as the outer loop; contact_events_stats holds
        # the actor, so only matching events' rows are read (for `data`), and
        # contacts_scope answers each contact lookup. One pass, counted in Python.
        sql = (
            "SELECT e.contact_id, json_extract(e.data, '$.from'), json_extract(e.data, '$.to')"
            " FROM contact_events AS e INDEXED BY contact_events_stats"
            " CROSS JOIN contacts AS c ON c.id = e.contact_id"
            " WHERE e.kind = 'triage_change' AND e.at >= ? AND e.actor_user_id IS NOT NULL"
            f" AND {where}"
        )

        def read(c: sqlite3.Connection) -> tuple[dict[tuple[str, str], int], int]:
            pairs: Counter[tuple[str, str]] = Counter()
            contacts: set[str] = set()
            for contact_id, before, after in c.execute(sql, [f.start, *params]):
                pairs[(str(before), str(after))] += 1
                contacts.add(contact_id)
            return dict(pairs), len(contacts)

        return await self._read(read)

    async def assignments(self, f: ContactFilter) -> tuple[Spans, dict[int, str]]:
        if (days := await self._days(f)) is not None:
            rows = await self._cells(f, days, ["assignments"])
            spans = decode_assignments((r[0] for r in rows), f.end)
            return spans, await self._read(lambda c: _staff_names(c, spans.members()))
        where, params = where_of(f)
        where_c, params_c = where_of(f, "c")
        # Most contacts are picked once and closed by the same person: their
        # one assignment is [first_picked_at, closed_at) of assigned_user_id,
        # read from the covering index. Contacts with a transfer or requeue
        # (a few per cent) are rebuilt from their events.
        simple = (
            "SELECT id, assigned_user_id, first_picked_at, closed_at FROM contacts"
            f" WHERE {where} AND first_picked_at IS NOT NULL AND assigned_user_id IS NOT NULL"
        )
        moved = (
            "SELECT DISTINCT e.contact_id FROM contact_events AS e CROSS JOIN contacts AS c"
            " ON c.id = e.contact_id WHERE e.kind IN ('transfer', 'requeue') AND e.at >= ?"
            f" AND {where_c}"
        )
        end = f.end

        def read(c: sqlite3.Connection) -> tuple[Spans, dict[int, str]]:
            moved_ids = [str(r[0]) for r in c.execute(moved, [f.start, *params_c])]
            skip = set(moved_ids)
            spans = [
                Assignment(
                    int(uid), float(start), min(end, float(stop)) if stop is not None else end
                )
                for cid, uid, start, stop in c.execute(simple, params)
                if cid not in skip
            ]
            spans.extend(assignments_from_events(assignment_events(c, moved_ids), end))
            return spans_of(spans), _staff_names(c, sorted({s.user_id for s in spans}))

        return await self._read(read)

    async def satisfaction(self, f: ContactFilter) -> Satisfaction | None:
        # Same definition as chatserver/survey.py (summary): chats that reached
        # a queue and were closed in the period are eligible; their answers count.
        where = f"k.unit_id IN ({marks(len(f.unit_ids))})"
        params: list[Any] = list(f.unit_ids)
        if f.queue_id is not None:
            where += " AND k.queue_id = ?"
            params.append(f.queue_id)
        params += [f.end, f.start, f.end]
        eligible_of = (
            "k.created_at < ? AND k.status = 'closed'"
            " AND k.queued_at IS NOT NULL AND k.closed_at >= ? AND k.closed_at < ?"
        )
        # Two passes instead of one LEFT JOIN: the eligible chats are counted
        # from the covering index contacts_closed alone, and the answers are
        # driven from survey_answers (CROSS JOIN keeps it the outer loop), so
        # only answered chats cost a lookup, not every closed one.
        eligible_sql = f"SELECT COUNT(*) FROM contacts AS k WHERE {where} AND {eligible_of}"
        answers_sql = (
            "SELECT COUNT(*), COALESCE(SUM(s.rating), 0)"
            " FROM survey_answers AS s CROSS JOIN contacts AS k ON k.id = s.contact_id"
            f" WHERE {where} AND {eligible_of}"
        )

        def read(c: sqlite3.Connection) -> Satisfaction | None:
            exists = c.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'survey_answers'"
            ).fetchone()
            if exists is None:
                return None
            (eligible,) = c.execute(eligible_sql, params).fetchone()
            responses, total = c.execute(answers_sql, params).fetchone()
            return Satisfaction(int(responses), int(eligible), float(total))

        return await self._read(read)

    async def operations_input(self, f: ContactFilter) -> OperationsInput:
        days = await self._days(f)
        if days is None:
            return await input_from_parts(self, f)
        # One read of every column of the cells (the parts would read them
        # five times) and the satisfaction query beside it.
        # (The resolved and shifted hours are for the channel shift only.)
        columns = [c for c in sqlite_rollup.COLUMNS if c not in ("hours_resolved", "hours_shifted")]
        rows, satisfaction = await asyncio.gather(
            self._cells(f, days, columns), self.satisfaction(f)
        )
        totals, hours, waiting, first_reply, handling, overrides, changed, spans = (
            (list(col) for col in zip(*rows, strict=True))
            if rows
            else ([] for _ in range(len(columns)))
        )
        transitions: Counter[tuple[str, str]] = Counter()
        for text in overrides:
            if text == "[]":  # most cells: no staff triage change
                continue
            for before, after, n in decode_overrides(text):
                transitions[(before, after)] += n
        staff = decode_assignments(spans, f.end)
        return OperationsInput(
            totals=totals_from_row(merge_totals(totals, len(TOTALS))),
            waiting=merge_histograms(waiting),
            first_reply=merge_histograms(first_reply),
            handling=merge_histograms(handling),
            hourly=merge_hours(hours),
            overrides=dict(transitions),
            override_contacts=sum(int(n) for n in changed),
            staff_spans=staff,
            staff_names=await self._read(lambda c: _staff_names(c, staff.members())),
            satisfaction=satisfaction,
        )

    async def contact_rows(self, f: ContactFilter, limit: int) -> list[ContactRow]:
        where, params = where_of(f)
        sql = (
            "SELECT unit_id, queue_id, created_at, status, outcome, intake_level, level,"
            " would_otherwise, emergency_acknowledged, queued_at, first_picked_at,"
            f" first_staff_reply_at, closed_at FROM contacts WHERE {where}"
            " ORDER BY created_at, id LIMIT ?"
        )

        def read(c: sqlite3.Connection) -> list[ContactRow]:
            rows = c.execute(sql, [*params, limit]).fetchall()
            return [
                ContactRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), *r[9:])
                for r in rows
            ]

        return await self._read(read)

    async def unit_ids(self) -> list[str]:
        return await self._read(
            lambda c: [str(r[0]) for r in c.execute("SELECT id FROM units ORDER BY id")]
        )
