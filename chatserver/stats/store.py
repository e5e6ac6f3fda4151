"""Where the statistics come from: :class:`StatsStore`, one implementation over
the :class:`~chatserver.storage.plan.Database` port, so SQLite and PostgreSQL
answer with the same plans and the same algorithm.

Every contact figure (totals, durations, chats per hour, staff triage changes,
staff assignments) is the merge of rollup cells (:mod:`.rollup`): one cell per
unit, queue and local day, stored once the day has settled and computed from
the contacts for the days not stored (:mod:`.rollup_sql`). The rest is read
directly: imported visit counts, satisfaction (it follows the closing time),
triage-safety events and the per-contact export. Every method answers with
small aggregates, never one row per contact, except :meth:`StatsStore.contact_rows`.
"""

# SQL here is built only from module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

import asyncio
import time
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from chatserver.storage.plan import Database, Dialect, Plan, all_rows, many, one, value

from . import rollup_sql
from .channel_shift import ChatCounts
from .figures_sql import CHUNK, TOTALS, totals_from_row, where_of
from .operations import OperationsInput, Satisfaction
from .records import ContactFilter, ContactRow
from .rollup import (
    days_of,
    decode_assignments,
    decode_overrides,
    merge_histograms,
    merge_hours,
    merge_totals,
)
from .timebuckets import day_start_utc
from .triage_safety import SAFETY_EVENTS_SQL, SafetyEvent, event_from_row
from .visits_import import VisitRow

__all__ = ["SETTLE_S", "ContactFilter", "ContactRow", "StatsStore"]

# A day is stored in the rollup once it ended this long ago (contacts of
# the last day are mostly still moving); later changes are caught by the
# invalidation triggers anyway.
SETTLE_S = 86_400.0
# A fill that finds a unit's lock taken (PostgreSQL: a chat write of that unit
# is committing, a few ms) tries again after LOCK_RETRY_S, LOCK_TRIES times in
# all; then the day is computed for this request and stored by a later one.
LOCK_TRIES = 3
LOCK_RETRY_S = 0.01
# One rollup fill at a time per database, however many requests ask.
_FILL_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()
# The cell columns of the operations figures (the resolved and shifted hours
# are for the channel shift only).
_OPERATIONS_COLUMNS = [
    c for c in rollup_sql.COLUMNS if c not in ("hours_resolved", "hours_shifted")
]


T = TypeVar("T")


class StatsStore:
    """The statistics' reads and the visit import, on either engine."""

    def __init__(
        self, db: Database, *, rollup: bool = True, clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        # Without the rollup every day's cells are computed from the contacts
        # and nothing is stored (the reference the stored cells are tested against).
        self.rollup = rollup
        self.clock = clock

    @property
    def dialect(self) -> Dialect:
        return self.db.dialect

    async def _read(self, plan: Plan[T]) -> T:
        """Every statistics read sees one snapshot: the marks of stored days and
        the cells computed on the spot for the others must agree."""
        return await self.db.read(plan, snapshot=True)

    # -- the rollup ---------------------------------------------------------------

    async def _days(self, f: ContactFilter) -> list[date]:
        """The period's local days, after storing the settled ones not stored yet."""
        days = days_of(f.start, f.end)
        if days is None:
            raise ValueError("statistics cover whole local days (timebuckets.period_bounds)")
        settled_end = self.clock() - SETTLE_S
        settled = [d for d in days if day_start_utc(d + timedelta(days=1)) <= settled_end]
        if not (self.rollup and settled and f.unit_ids):
            return days
        units = list(f.unit_ids)
        async with self._fill_lock():
            marked = await self._read(
                rollup_sql.marked_days(self.dialect, units, settled[0], settled[-1])
            )
            for day in settled:
                if any((u, day) not in marked for u in units):
                    await self._store_day(units, day)
        return days

    def _fill_lock(self) -> asyncio.Lock:
        return _FILL_LOCKS.setdefault(self.db, asyncio.Lock())

    async def _store_day(self, units: list[str], day: date) -> int:
        for attempt in range(LOCK_TRIES):
            if attempt:
                await asyncio.sleep(LOCK_RETRY_S)
            plan = rollup_sql.store_day(self.dialect, units, day, self.clock())
            stored = await self.db.write(plan)
            if stored is not None:
                return stored
        return 0

    async def fill(self, days: Sequence[date], pause_s: float = 0.0) -> int:
        """Store the cells of every unit for those of ``days`` not stored yet,
        one unit-day per write transaction with ``pause_s`` between them, so
        chat writes never queue long behind a fill (the background warm-up,
        :mod:`.warmup`). Returns the unit-days stored."""
        if not days:
            return 0
        units = await self.unit_ids()
        marked = await self._read(rollup_sql.marked_days(self.dialect, units, min(days), max(days)))
        stored = 0
        for day in days:
            for unit in units:
                if (unit, day) in marked:
                    continue
                async with self._fill_lock():  # per unit-day: a request never waits long
                    stored += await self._store_day([unit], day)
                await asyncio.sleep(pause_s)
        return stored

    async def _cells(self, f: ContactFilter, columns: Sequence[str]) -> list[tuple[Any, ...]]:
        days = await self._days(f)
        plan = rollup_sql.read_cells(self.dialect, f, days, columns, stored=self.rollup)
        return await self._read(plan)

    # -- the figures ----------------------------------------------------------------

    async def chat_hourly(self, f: ContactFilter) -> list[tuple[int, ChatCounts]]:
        """Chat counts per UTC hour number (``floor(created_at / 3600)``)."""
        rows = await self._cells(f, ["hours_contacts", "hours_resolved", "hours_shifted"])
        n, res, sh = (merge_hours(r[i] for r in rows) for i in range(3))
        return [(h, ChatCounts(n[h], res.get(h, 0), sh.get(h, 0))) for h in sorted(n)]

    async def operations_input(self, f: ContactFilter) -> OperationsInput:
        """Every input of the operations figures: one read of the cells, and
        the satisfaction beside it."""
        rows, satisfaction = await asyncio.gather(
            self._cells(f, _OPERATIONS_COLUMNS), self.satisfaction(f)
        )
        totals, hours, waiting, first_reply, handling, overrides, changed, spans = (
            (list(col) for col in zip(*rows, strict=True))
            if rows
            else ([] for _ in _OPERATIONS_COLUMNS)
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
            staff_names=await self._read(_staff_names(self.dialect, staff.members())),
            satisfaction=satisfaction,
        )

    async def satisfaction(self, f: ContactFilter) -> Satisfaction:
        """Survey answers of chats *closed* in the period (not rolled up: answers
        arrive after the chat, and closing is not intake)."""
        return await self._read(_satisfaction(self.dialect, f))

    async def safety_events(self, f: ContactFilter) -> list[SafetyEvent]:
        """Screening, follow-up, safety-net and staff triage events of the period's contacts."""
        where, params = where_of(self.dialect, f, "c")
        rows = await self._read(_rows(SAFETY_EVENTS_SQL.format(where=where), *params))
        return [event_from_row(r) for r in rows]

    async def contact_rows(self, f: ContactFilter, limit: int) -> list[ContactRow]:
        """The period's contacts in intake order, at most ``limit``."""
        where, params = where_of(self.dialect, f)
        rows = await self._read(
            _rows(
                "SELECT unit_id, queue_id, created_at, status, outcome, intake_level, level,"
                " would_otherwise, emergency_acknowledged, queued_at, first_picked_at,"
                f" first_staff_reply_at, closed_at FROM contacts WHERE {where}"
                " ORDER BY created_at, id LIMIT ?",
                *params,
                limit,
            )
        )
        return [
            ContactRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), *r[9:13])
            for r in rows
        ]

    async def unit_ids(self) -> list[str]:
        return [str(r[0]) for r in await self._read(_rows("SELECT id FROM units ORDER BY id"))]

    # -- imported visit counts --------------------------------------------------------

    async def upsert_visits(
        self, rows: Sequence[VisitRow], *, at: float, user_id: int | None
    ) -> None:
        """Insert or replace the count of every (date, unit, channel), all in one transaction."""
        await self.db.write(_upsert_visits(rows, at, user_id))

    async def visits(
        self, unit_ids: Sequence[str], first: date, last: date
    ) -> dict[tuple[date, str], int]:
        """Imported counts summed over the units, per (local date, channel)."""
        units, params = self.dialect.any_of("unit_id", unit_ids)
        rows = await self._read(
            _rows(
                f"SELECT date, channel, SUM(count) FROM visit_counts WHERE {units}"
                " AND date >= ? AND date <= ? GROUP BY date, channel",
                *params,
                first.isoformat(),
                last.isoformat(),
            )
        )
        return {(date.fromisoformat(str(d)), str(ch)): int(n) for d, ch, n in rows}


# -- plans --------------------------------------------------------------------------


def _rows(sql: str, *params: Any) -> Plan[list[Any]]:
    rows: list[Any] = yield all_rows(sql, *params)
    return rows


def _staff_names(d: Dialect, users: Sequence[int]) -> Plan[dict[int, str]]:
    names: dict[int, str] = {}
    for i in range(0, len(users), CHUNK):
        ids, params = d.any_of("id", users[i : i + CHUNK])
        for u, n in (yield all_rows(f"SELECT id, display_name FROM users WHERE {ids}", *params)):
            names[int(u)] = str(n)
    return names


def _satisfaction(d: Dialect, f: ContactFilter) -> Plan[Satisfaction]:
    # Same definition as chatserver/survey.py (summary): chats that reached a
    # queue and were closed in the period are eligible; their answers count.
    where, params = d.any_of("k.unit_id", f.unit_ids)
    p: list[Any] = list(params)
    if f.queue_id is not None:
        where += " AND k.queue_id = ?"
        p.append(f.queue_id)
    where += (
        " AND k.created_at < ? AND k.status = 'closed'"
        " AND k.queued_at IS NOT NULL AND k.closed_at >= ? AND k.closed_at < ?"
    )
    p += [f.end, f.start, f.end]
    # Two passes instead of one LEFT JOIN: the eligible chats are counted from
    # the covering index contacts_closed alone, and the answers are driven from
    # survey_answers, so only answered chats cost a lookup, not every closed one.
    eligible = yield value(f"SELECT COUNT(*) FROM contacts AS k WHERE {where}", *p)
    answers = yield one(
        "SELECT COUNT(*), COALESCE(SUM(s.rating), 0) FROM survey_answers AS s"
        f" {d.join_in_order} contacts AS k ON k.id = s.contact_id WHERE {where}",
        *p,
    )
    return Satisfaction(int(answers[0]), int(eligible), float(answers[1]))


def _upsert_visits(rows: Sequence[VisitRow], at: float, user_id: int | None) -> Plan[None]:
    yield many(
        "INSERT INTO visit_counts (date, unit_id, channel, count, imported_at, imported_by)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit_id, date, channel) DO UPDATE SET"
        " count = excluded.count, imported_at = excluded.imported_at,"
        " imported_by = excluded.imported_by",
        [(r.date.isoformat(), r.unit_id, r.channel, r.count, at, user_id) for r in rows],
    )
