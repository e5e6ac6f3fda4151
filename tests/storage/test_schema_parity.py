"""The two engines' migrations build the same tables with the same columns.

The DDL is written per engine (the types differ), but every operation is
written once for both (chatserver/storage/plan.py) and the row converters
read columns by position: a column added, renamed or reordered on one engine
only must fail here, not in production.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from chatserver.storage.migrations import apply_sqlite, list_migrations
from tests.pg import PgServer, migrated_template

Schema = dict[str, list[str]]  # table → column names in declaration order


def sqlite_schema(path: Path) -> Schema:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        apply_sqlite(conn, list_migrations("sqlite"))
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    finally:
        conn.close()


async def postgres_schema(url: str) -> Schema:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.tables t"
            " ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
            " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
            " ORDER BY c.table_name, c.ordinal_position"
        )
    finally:
        await conn.close()
    schema: Schema = {}
    for table, column in rows:
        schema.setdefault(table, []).append(column)
    return schema


@pytest.mark.postgres
async def test_migrated_schemas_have_the_same_tables_and_columns(
    pg_server: PgServer, tmp_path: Path
) -> None:
    """Both engines' migrated schemas have the same tables, columns and column order."""
    name = pg_server.create_database(template=migrated_template(pg_server))
    try:
        postgres = await postgres_schema(pg_server.url(name))
    finally:
        pg_server.drop_database(name)
    sqlite = sqlite_schema(tmp_path / "schema.sqlite")
    assert sorted(sqlite) == sorted(postgres)
    assert {t: (c, postgres[t]) for t, c in sqlite.items() if c != postgres[t]} == {}
    assert {"contacts", "messages", "schema_migrations", "users"} <= set(sqlite)
