"""Statistics (chatserver/stats) on PostgreSQL: :class:`StatsStore` over asyncpg,
the same figures as ``SqliteStatsStore`` (indexes: migration 0004).

Dialect notes: SQLite's ``CAST(x AS INTEGER)`` truncates where PostgreSQL's
rounds, so truncation is spelled ``trunc``/``floor``; ``SUM(condition)`` is
``COUNT(*) FILTER (WHERE condition)``; JSON text is read with ``::jsonb ->>``.
"""

# SQL here is built only from module constants and "$n" placeholders; every
# value is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from chatserver.stats.channel_shift import NOT_SHIFTED_OUTCOMES, ChatCounts
from chatserver.stats.concurrency import (
    Assignment,
    Spans,
    assignments_from_events,
    spans_of,
)
from chatserver.stats.operations import ContactTotals, OperationsInput, Satisfaction
from chatserver.stats.store import ContactFilter, ContactRow, input_from_parts
from chatserver.stats.totals_sql import DURATIONS, totals_columns, totals_from_row
from chatserver.stats.triage_safety import SAFETY_EVENTS_SQL, SafetyEvent, event_from_row
from chatserver.stats.visits_import import VisitRow

from .postgres import Conn, PostgresStorage

__all__ = ["PostgresStatsStore"]

_NOT_SHIFTED = ", ".join(f"'{o}'" for o in sorted(NOT_SHIFTED_OUTCOMES))


def _where(f: ContactFilter, alias: str = "", first: int = 1) -> tuple[str, list[Any]]:
    """Placeholders ``$first, $first+1, ...``."""
    a = f"{alias}." if alias else ""
    n = first
    sql = f"{a}unit_id = ANY(${n}) AND {a}created_at >= ${n + 1} AND {a}created_at < ${n + 2}"
    params: list[Any] = [list(f.unit_ids), f.start, f.end]
    if f.queue_id is not None:
        sql += f" AND {a}queue_id = ${n + 3}"
        params.append(f.queue_id)
    return sql, params


def _seconds(expr: str) -> str:
    # Round to the millisecond, then truncate (as the SQLite store does).
    return f"trunc(round(greatest(0, {expr})::numeric, 3))::bigint"


class PostgresStatsStore:
    def __init__(self, storage: PostgresStorage) -> None:
        self.storage = storage

    async def _fetch(self, sql: str, *params: Any) -> list[Any]:
        async with self.storage.pool.acquire() as c:
            return list(await c.fetch(sql, *params))

    async def upsert_visits(
        self, rows: Sequence[VisitRow], *, at: float, user_id: int | None
    ) -> None:
        params = [(r.date.isoformat(), r.unit_id, r.channel, r.count, at, user_id) for r in rows]

        async def write(c: Conn) -> None:
            await c.executemany(
                "INSERT INTO visit_counts (date, unit_id, channel, count, imported_at, imported_by)"
                " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (unit_id, date, channel) DO UPDATE"
                " SET count = excluded.count, imported_at = excluded.imported_at,"
                " imported_by = excluded.imported_by",
                params,
            )

        await self.storage.run_write(write)

    async def visits(
        self, unit_ids: Sequence[str], first: date, last: date
    ) -> dict[tuple[date, str], int]:
        rows = await self._fetch(
            "SELECT date, channel, SUM(count) FROM visit_counts"
            " WHERE unit_id = ANY($1) AND date >= $2 AND date <= $3 GROUP BY date, channel",
            list(unit_ids),
            first.isoformat(),
            last.isoformat(),
        )
        return {(date.fromisoformat(d), ch): int(n) for d, ch, n in rows}

    async def chat_hourly(self, f: ContactFilter) -> list[tuple[int, ChatCounts]]:
        where, params = _where(f)
        rows = await self._fetch(
            "SELECT floor(created_at / 3600)::bigint AS h, COUNT(*),"
            " COUNT(*) FILTER (WHERE status = 'closed' AND outcome = 'resolved_in_chat'),"
            " COUNT(*) FILTER (WHERE status = 'closed' AND would_otherwise = 'physical_visit'"
            f" AND outcome NOT IN ({_NOT_SHIFTED}))"
            f" FROM contacts WHERE {where} GROUP BY h ORDER BY h",
            *params,
        )
        return [(int(h), ChatCounts(int(n), int(res), int(sh))) for h, n, res, sh in rows]

    async def totals(self, f: ContactFilter) -> ContactTotals:
        where, params = _where(f)
        rows = await self._fetch(f"SELECT {totals_columns()} FROM contacts WHERE {where}", *params)
        return totals_from_row(tuple(rows[0]))

    async def durations(self, f: ContactFilter) -> dict[str, dict[int, int]]:
        where, params = _where(f)
        parts = DURATIONS
        # Every part uses the same numbered parameters: bind them once.
        sql = " UNION ALL ".join(
            f"SELECT '{name}', {_seconds(expr)} AS s, COUNT(*) FROM contacts"
            f" WHERE {where} AND {cond} GROUP BY s"
            for name, (expr, cond) in parts.items()
        )
        out: dict[str, dict[int, int]] = {name: {} for name in parts}
        for name, seconds, n in await self._fetch(sql, *params):
            out[name][int(seconds)] = int(n)
        return out

    async def safety_events(self, f: ContactFilter) -> list[SafetyEvent]:
        where, params = _where(f, "c")
        rows = await self._fetch(SAFETY_EVENTS_SQL.format(where=where), *params)
        return [event_from_row(r) for r in rows]

    async def overrides(self, f: ContactFilter) -> tuple[dict[tuple[str, str], int], int]:
        where, params = _where(f, "c", first=2)
        base = (
            "FROM contact_events AS e JOIN contacts AS c ON c.id = e.contact_id"
            " WHERE e.kind = 'triage_change' AND e.at >= $1 AND e.actor_user_id IS NOT NULL"
            f" AND {where}"
        )
        all_params = [f.start, *params]
        rows = await self._fetch(
            f"SELECT e.data::jsonb ->> 'from', e.data::jsonb ->> 'to', COUNT(*) {base}"
            " GROUP BY 1, 2",
            *all_params,
        )
        distinct = await self._fetch(f"SELECT COUNT(DISTINCT e.contact_id) {base}", *all_params)
        return {(str(a), str(b)): int(n) for a, b, n in rows}, int(distinct[0][0])

    async def assignments(self, f: ContactFilter) -> tuple[Spans, dict[int, str]]:
        # As SqliteStatsStore: contacts picked once from assigned_user_id, the
        # few transferred or requeued ones rebuilt from their events.
        where, params = _where(f)
        where_c, params_c = _where(f, "c", first=2)
        moved = [
            str(r[0])
            for r in await self._fetch(
                "SELECT DISTINCT e.contact_id FROM contact_events AS e JOIN contacts AS c"
                " ON c.id = e.contact_id WHERE e.kind IN ('transfer', 'requeue') AND e.at >= $1"
                f" AND {where_c}",
                f.start,
                *params_c,
            )
        ]
        skip = set(moved)
        rows = await self._fetch(
            "SELECT id, assigned_user_id, first_picked_at, closed_at FROM contacts"
            f" WHERE {where} AND first_picked_at IS NOT NULL AND assigned_user_id IS NOT NULL",
            *params,
        )
        spans = [
            Assignment(
                int(uid), float(start), min(f.end, float(stop)) if stop is not None else f.end
            )
            for cid, uid, start, stop in rows
            if cid not in skip
        ]
        if moved:
            events = await self._fetch(
                "SELECT contact_id, kind, at, actor_user_id FROM contact_events"
                " WHERE contact_id = ANY($1) AND kind IN ('pick', 'transfer', 'requeue', 'close')"
                " ORDER BY contact_id, id",
                moved,
            )
            spans.extend(
                assignments_from_events(
                    [
                        (str(c), str(k), float(a), None if u is None else int(u))
                        for c, k, a, u in events
                    ],
                    f.end,
                )
            )
        users = sorted({s.user_id for s in spans})
        names = await self._fetch("SELECT id, display_name FROM users WHERE id = ANY($1)", users)
        return spans_of(spans), {int(i): str(n) for i, n in names}

    async def satisfaction(self, f: ContactFilter) -> Satisfaction | None:
        where = "k.unit_id = ANY($1)"
        params: list[Any] = [list(f.unit_ids)]
        if f.queue_id is not None:
            where += " AND k.queue_id = $2"
            params.append(f.queue_id)
        n = len(params)
        params += [f.end, f.start, f.end]
        async with self.storage.pool.acquire() as c:
            if not await c.fetchval("SELECT to_regclass('survey_answers') IS NOT NULL"):
                return None
            row = await c.fetchrow(
                "SELECT COUNT(*), COUNT(s.contact_id), COALESCE(SUM(s.rating), 0)"
                " FROM contacts AS k LEFT JOIN survey_answers AS s ON s.contact_id = k.id"
                f" WHERE {where} AND k.created_at < ${n + 1} AND k.status = 'closed'"
                f" AND k.queued_at IS NOT NULL AND k.closed_at >= ${n + 2}"
                f" AND k.closed_at < ${n + 3}",
                *params,
            )
        assert row is not None
        eligible, responses, total = row
        return Satisfaction(int(responses), int(eligible), float(total))

    async def operations_input(self, f: ContactFilter) -> OperationsInput:
        return await input_from_parts(self, f)

    async def contact_rows(self, f: ContactFilter, limit: int) -> list[ContactRow]:
        where, params = _where(f)
        rows = await self._fetch(
            "SELECT unit_id, queue_id, created_at, status, outcome, intake_level, level,"
            " would_otherwise, emergency_acknowledged, queued_at, first_picked_at,"
            f" first_staff_reply_at, closed_at FROM contacts WHERE {where}"
            f" ORDER BY created_at, id LIMIT ${len(params) + 1}",
            *params,
            limit,
        )
        return [
            ContactRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), *r[9:])
            for r in rows
        ]

    async def unit_ids(self) -> list[str]:
        return [str(r[0]) for r in await self._fetch("SELECT id FROM units ORDER BY id")]
