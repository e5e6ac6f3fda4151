"""The audit log (chatserver/audit) on PostgreSQL: :class:`AuditStore` over asyncpg.

Several instances append at once, so the chain link is computed under
``LOCK TABLE audit_events IN EXCLUSIVE MODE`` inside the insert's transaction
(readers are not blocked): read the head, seal, insert, commit — one
unbroken chain, exactly as SQLite's single writer gives.
"""

# SQL here is composed only of module constants and "$n" placeholders.
# ruff: noqa: S608

from __future__ import annotations

import random

from chatserver.audit.chain import GENESIS_HASH, AuditEvent, canonical_detail, seal
from chatserver.audit.store import COLUMNS, AuditQuery, _where, event_from_row

from .postgres import PostgresStorage
from .postgres_sql import numbered

__all__ = ["PostgresAuditStore"]

_HEAD = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"


def _pg_where(q: AuditQuery) -> tuple[str, list[object]]:
    where, params = _where(q)
    return ("TRUE" if where == "1" else numbered(where)), params


class PostgresAuditStore:
    def __init__(self, storage: PostgresStorage) -> None:
        self.storage = storage

    async def append(self, event: AuditEvent, key: bytes) -> AuditEvent:
        async with self.storage.pool.acquire() as conn, conn.transaction():
            await conn.execute("LOCK TABLE audit_events IN EXCLUSIVE MODE")
            row = await conn.fetchrow(_HEAD)
            seq, prev = (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))
            sealed = seal(event, seq + 1, prev, key)
            await conn.execute(
                f"INSERT INTO audit_events ({COLUMNS}) VALUES"
                " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                sealed.seq,
                sealed.at,
                sealed.actor_user_id,
                sealed.actor_username,
                sealed.actor_role,
                sealed.actor_units,
                sealed.unit_id,
                sealed.contact_id,
                sealed.action,
                sealed.result,
                sealed.request_id,
                canonical_detail(sealed.detail),
                sealed.prev_hash,
                sealed.hash,
                sealed.mac,
            )
        return sealed

    async def head(self) -> tuple[int, str]:
        async with self.storage.pool.acquire() as conn:
            row = await conn.fetchrow(_HEAD)
        return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))

    async def scan(self, after_seq: int, limit: int) -> list[AuditEvent]:
        async with self.storage.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT {COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2",
                after_seq,
                limit,
            )
        return [event_from_row(r) for r in rows]

    async def query(self, q: AuditQuery) -> list[AuditEvent]:
        where, params = _pg_where(q)
        sql = (
            f"SELECT {COLUMNS} FROM audit_events WHERE {where}"
            f" ORDER BY seq LIMIT ${len(params) + 1}"
        )
        async with self.storage.pool.acquire() as conn:
            rows = await conn.fetch(sql, *params, q.limit)
        return [event_from_row(r) for r in rows]

    async def sample(self, q: AuditQuery, n: int, seed: int) -> list[AuditEvent]:
        """The same draw as the SQLite store: ``n`` of the matching seqs by ``seed``."""
        where, params = _pg_where(q)
        async with self.storage.pool.acquire() as conn:
            seqs = [
                int(r[0])
                for r in await conn.fetch(
                    f"SELECT seq FROM audit_events WHERE {where} ORDER BY seq", *params
                )
            ]
            chosen = sorted(random.Random(seed).sample(seqs, min(n, len(seqs))))  # noqa: S311
            if not chosen:
                return []
            rows = await conn.fetch(
                f"SELECT {COLUMNS} FROM audit_events WHERE seq = ANY($1) ORDER BY seq", chosen
            )
        return [event_from_row(r) for r in rows]
