"""The PostgreSQL migration runner (files in ``migrations/postgresql``).

Same bookkeeping as the SQLite runner (:func:`.migrations.apply_sqlite`): one
transaction per migration together with its ``schema_migrations`` row. Several
instances may start at once, so each transaction first takes a transaction-level
advisory lock and re-reads the applied set: every migration runs exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import asyncpg

from .migrations import Migration, has_code

__all__ = ["MIGRATION_LOCK", "applied_versions", "apply_postgres"]

# Arbitrary constant naming "chatserver schema migrations" among advisory locks.
MIGRATION_LOCK = 0x63686174

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  DOUBLE PRECISION NOT NULL
)
"""


async def apply_postgres(
    conn: asyncpg.Connection, migrations: Sequence[Migration], *, now: float | None = None
) -> list[int]:
    """Apply pending migrations; returns the versions applied by this call."""
    applied_now: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute(_CREATE_TABLE)
    for migration in migrations:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            done = await conn.fetchval(
                "SELECT 1 FROM schema_migrations WHERE version = $1", migration.version
            )
            if done is None:
                # A script without parameters runs as one simple-protocol
                # batch of statements, inside this transaction. A twin with
                # nothing to do on PostgreSQL is only comments (asyncpg fails
                # on an empty query), and is recorded as applied all the same.
                if has_code(migration.sql):
                    await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    time.time() if now is None else now,
                )
                applied_now.append(migration.version)
    return applied_now


async def applied_versions(conn: asyncpg.Connection) -> list[int]:
    """Versions recorded in ``schema_migrations`` (empty before the first run)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return []
    rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY 1")
    return [int(r[0]) for r in rows]
