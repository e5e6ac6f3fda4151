"""The statistics queries on SQLite (reads on reader connections, the import
through the single writer). Indexes: migration 0004.

Durations are whole seconds: the difference is rounded to the millisecond
first (so 119.9999999 from floating point becomes 120) and then truncated.
"""

# SQL here is built only from module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from .channel_shift import NOT_SHIFTED_OUTCOMES, ChatCounts
from .concurrency import Assignment
from .operations import ContactGroup, Satisfaction
from .store import ContactFilter, ContactRow
from .visits_import import VisitRow

__all__ = ["SqliteStatsStore"]

T = TypeVar("T")

_NOT_SHIFTED = ", ".join(f"'{o}'" for o in sorted(NOT_SHIFTED_OUTCOMES))


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _where(f: ContactFilter, alias: str = "") -> tuple[str, list[Any]]:
    a = f"{alias}." if alias else ""
    sql = f"{a}unit_id IN ({_marks(len(f.unit_ids))}) AND {a}created_at >= ? AND {a}created_at < ?"
    params: list[Any] = [*f.unit_ids, f.start, f.end]
    if f.queue_id is not None:
        sql += f" AND {a}queue_id = ?"
        params.append(f.queue_id)
    return sql, params


def _seconds(expr: str) -> str:
    return f"CAST(ROUND(MAX(0, {expr}), 3) AS INTEGER)"


class SqliteStatsStore:
    """:class:`~chatserver.stats.store.StatsStore` on :class:`SqliteStorage`."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self.storage.run_read(fn)
        return result

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
            f" WHERE unit_id IN ({_marks(len(unit_ids))}) AND date >= ? AND date <= ?"
            " GROUP BY date, channel"
        )
        params = [*unit_ids, first.isoformat(), last.isoformat()]

        def read(c: sqlite3.Connection) -> dict[tuple[date, str], int]:
            return {(date.fromisoformat(d), ch): int(n) for d, ch, n in c.execute(sql, params)}

        return await self._read(read)

    async def chat_hourly(self, f: ContactFilter) -> list[tuple[int, ChatCounts]]:
        where, params = _where(f)
        sql = (
            "SELECT CAST(created_at / 3600 AS INTEGER) AS h, COUNT(*),"
            " SUM(status = 'closed' AND outcome = 'resolved_in_chat'),"
            " SUM(status = 'closed' AND would_otherwise = 'physical_visit'"
            f" AND outcome NOT IN ({_NOT_SHIFTED}))"
            f" FROM contacts WHERE {where} GROUP BY h ORDER BY h"
        )

        def read(c: sqlite3.Connection) -> list[tuple[int, ChatCounts]]:
            return [
                (int(h), ChatCounts(int(n), int(res), int(sh)))
                for h, n, res, sh in c.execute(sql, params)
            ]

        return await self._read(read)

    async def contact_groups(self, f: ContactFilter) -> list[ContactGroup]:
        where, params = _where(f)
        sql = (
            "SELECT status, outcome, level, intake_level, queued_at IS NOT NULL,"
            f" first_picked_at IS NOT NULL, COUNT(*) FROM contacts WHERE {where}"
            " GROUP BY 1, 2, 3, 4, 5, 6"
        )

        def read(c: sqlite3.Connection) -> list[ContactGroup]:
            return [
                ContactGroup(s, o, lv, il, bool(q), bool(p), int(n))
                for s, o, lv, il, q, p, n in c.execute(sql, params)
            ]

        return await self._read(read)

    async def durations(self, f: ContactFilter) -> dict[str, dict[int, int]]:
        where, params = _where(f)
        parts = {
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
        sql = " UNION ALL ".join(
            f"SELECT '{name}', {_seconds(expr)} AS s, COUNT(*) FROM contacts"
            f" WHERE {where} AND {cond} GROUP BY s"
            for name, (expr, cond) in parts.items()
        )

        def read(c: sqlite3.Connection) -> dict[str, dict[int, int]]:
            out: dict[str, dict[int, int]] = {name: {} for name in parts}
            for name, seconds, n in c.execute(sql, params * len(parts)):
                out[name][int(seconds)] = int(n)
            return out

        return await self._read(read)

    async def overrides(self, f: ContactFilter) -> tuple[dict[tuple[str, str], int], int]:
        where, params = _where(f, "c")
        # Driven from the (few) triage_change events since the period began (a
        # change always comes after its contact's intake); CROSS JOIN makes
        # SQLite keep the events as the outer loop instead of every contact.
        base = (
            "FROM contact_events AS e CROSS JOIN contacts AS c ON c.id = e.contact_id"
            " WHERE e.kind = 'triage_change' AND e.at >= ? AND e.actor_user_id IS NOT NULL"
            f" AND {where}"
        )
        sql = (
            "SELECT json_extract(e.data, '$.from'), json_extract(e.data, '$.to'), COUNT(*)"
            f" {base} GROUP BY 1, 2"
        )
        distinct = f"SELECT COUNT(DISTINCT e.contact_id) {base}"
        all_params = [f.start, *params]

        def read(c: sqlite3.Connection) -> tuple[dict[tuple[str, str], int], int]:
            pairs = {(str(a), str(b)): int(n) for a, b, n in c.execute(sql, all_params)}
            return pairs, int(c.execute(distinct, all_params).fetchone()[0])

        return await self._read(read)

    async def assignments(
        self, unit_ids: Sequence[str], start: float, end: float
    ) -> tuple[list[Assignment], dict[int, str]]:
        staff = f"SELECT user_id FROM user_units WHERE unit_id IN ({_marks(len(unit_ids))})"
        sql = (
            "SELECT p.actor_user_id, p.at, (SELECT MIN(x.at) FROM contact_events AS x"
            "  WHERE x.contact_id = p.contact_id AND x.kind IN ('transfer', 'requeue', 'close')"
            "  AND x.at >= p.at AND x.id > p.id)"
            " FROM contact_events AS p WHERE p.kind = 'pick' AND p.at >= ? AND p.at < ?"
            f" AND p.actor_user_id IN ({staff})"
        )
        names = f"SELECT id, display_name FROM users WHERE id IN ({staff})"

        def read(c: sqlite3.Connection) -> tuple[list[Assignment], dict[int, str]]:
            # An assignment still open at the period's end counts until then.
            spans = [
                Assignment(int(uid), float(at), min(end, float(stop)) if stop else end)
                for uid, at, stop in c.execute(sql, [start, end, *unit_ids])
            ]
            return spans, {int(i): str(n) for i, n in c.execute(names, list(unit_ids))}

        return await self._read(read)

    async def satisfaction(self, f: ContactFilter) -> Satisfaction | None:
        # Same definition as chatserver/survey.py (summary): chats that reached
        # a queue and were closed in the period are eligible; their answers count.
        where = f"k.unit_id IN ({_marks(len(f.unit_ids))})"
        params: list[Any] = list(f.unit_ids)
        if f.queue_id is not None:
            where += " AND k.queue_id = ?"
            params.append(f.queue_id)
        params += [f.end, f.start, f.end]
        sql = (
            "SELECT COUNT(*), COUNT(s.contact_id), COALESCE(SUM(s.rating), 0)"
            " FROM contacts AS k LEFT JOIN survey_answers AS s ON s.contact_id = k.id"
            f" WHERE {where} AND k.created_at < ? AND k.status = 'closed'"
            " AND k.queued_at IS NOT NULL AND k.closed_at >= ? AND k.closed_at < ?"
        )

        def read(c: sqlite3.Connection) -> Satisfaction | None:
            exists = c.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'survey_answers'"
            ).fetchone()
            if exists is None:
                return None
            eligible, responses, total = c.execute(sql, params).fetchone()
            return Satisfaction(int(responses), int(eligible), float(total))

        return await self._read(read)

    async def contact_rows(self, f: ContactFilter, limit: int) -> list[ContactRow]:
        where, params = _where(f)
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
