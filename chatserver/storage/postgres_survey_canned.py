"""Survey answers and canned responses (chatserver/survey.py, chatserver/canned.py)
on PostgreSQL, with the semantics of their SQLite stores. Tables: migration 0003."""

# SQL here is composed only of module constants and "$n" placeholders.
# ruff: noqa: S608

from __future__ import annotations

from chatserver.canned import Canned
from chatserver.survey import SurveyAnswer, SurveySummary

from .postgres import Conn, PostgresStorage

__all__ = ["PostgresCannedStore", "PostgresSurveyStore"]

_CANNED_COLUMNS = "id, unit_id, title, body, created_by, created_at"


class PostgresSurveyStore:
    def __init__(self, storage: PostgresStorage) -> None:
        self.storage = storage

    async def add(self, answer: SurveyAnswer) -> bool:
        async def write(c: Conn) -> bool:
            done = await c.fetchval(
                "INSERT INTO survey_answers (contact_id, unit_id, rating, comment, answered_at)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (contact_id) DO NOTHING RETURNING 1",
                answer.contact_id,
                answer.unit_id,
                answer.rating,
                answer.comment,
                answer.answered_at,
            )
            return done is not None

        return await self.storage.run_write(write)

    async def get(self, contact_id: str) -> SurveyAnswer | None:
        async with self.storage.pool.acquire() as c:
            row = await c.fetchrow(
                "SELECT contact_id, unit_id, rating, comment, answered_at FROM survey_answers"
                " WHERE contact_id = $1",
                contact_id,
            )
        return None if row is None else SurveyAnswer(*row)

    async def summary(self, unit_id: str, start: float, end: float) -> SurveySummary:
        async with self.storage.pool.acquire() as c:
            row = await c.fetchrow(
                "SELECT COUNT(*), COUNT(s.contact_id), AVG(s.rating)::float8"
                " FROM contacts AS k LEFT JOIN survey_answers AS s ON s.contact_id = k.id"
                " WHERE k.unit_id = $1 AND k.status = 'closed' AND k.queued_at IS NOT NULL"
                " AND k.closed_at >= $2 AND k.closed_at < $3",
                unit_id,
                start,
                end,
            )
        assert row is not None
        eligible, responses, mean = int(row[0]), int(row[1]), row[2]
        return SurveySummary(
            unit_id=unit_id,
            responses=responses,
            eligible=eligible,
            mean_rating=None if mean is None else round(float(mean), 2),
            response_rate=round(responses / eligible, 4) if eligible else 0.0,
        )


class PostgresCannedStore:
    def __init__(self, storage: PostgresStorage) -> None:
        self.storage = storage

    async def list(self, unit_id: str) -> list[Canned]:
        async with self.storage.pool.acquire() as c:
            rows = await c.fetch(
                f"SELECT {_CANNED_COLUMNS} FROM canned_responses WHERE unit_id = $1 ORDER BY id",
                unit_id,
            )
        return [Canned(*r) for r in rows]

    async def create(
        self, unit_id: str, *, title: str, body: str, user_id: int, at: float, limit: int
    ) -> Canned | None:
        async def write(c: Conn) -> Canned | None:
            # The unit row lock makes "count, then insert" atomic across instances.
            await c.execute("SELECT 1 FROM units WHERE id = $1 FOR UPDATE", unit_id)
            count = await c.fetchval(
                "SELECT COUNT(*) FROM canned_responses WHERE unit_id = $1", unit_id
            )
            if count >= limit:
                return None
            new_id = await c.fetchval(
                "INSERT INTO canned_responses (unit_id, title, body, created_by, created_at)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                unit_id,
                title,
                body,
                user_id,
                at,
            )
            return Canned(int(new_id), unit_id, title, body, user_id, at)

        return await self.storage.run_write(write)

    async def delete(self, unit_id: str, canned_id: int) -> bool:
        async def write(c: Conn) -> bool:
            done = await c.fetchval(
                "DELETE FROM canned_responses WHERE unit_id = $1 AND id = $2 RETURNING 1",
                unit_id,
                canned_id,
            )
            return done is not None

        return await self.storage.run_write(write)
