"""``chatserver migrate-to postgresql://...``: move a SQLite deployment to PostgreSQL.

For a unit that grows into a region: stop the service, run this once, start
the instances with ``CHATSERVER_DATABASE_URL``. Every table of the SQLite file
(contacts, messages, events, users, sessions, the audit chain, feature tables)
is copied row by row with its ids unchanged, so the audit chain's hashes and
MACs still verify (``chatserver audit verify`` with the same data directory
and key). The SQLite file is only read (after its own pending migrations).

Refuses a target that already holds data. All tables are copied in ONE
PostgreSQL transaction: a failure leaves the target as empty as it was.
"""

# Table and column names come from the two databases' own catalogues (and are
# quoted); every value is a bound parameter. S608 is a false positive.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from chatserver.cli.common import settings_from_args
from chatserver.storage.postgres import PostgresStorage
from chatserver.storage.sqlite import SqliteStorage

__all__ = ["CopyReport", "migrate", "register"]

BATCH_ROWS = 5000
# Bookkeeping of each engine itself: never copied.
SKIP_TABLES = frozenset({"schema_migrations"})
# SQLite-only caches derived from contacts and events (the statistics rollup,
# migrations/sqlite/0006): PostgreSQL has no such tables and computes the
# figures from the rows themselves. Any other table without a PostgreSQL
# twin stops the migration rather than leave data behind.
DERIVED_PREFIXES = ("stats_rollup_",)


class MigrateError(Exception):
    """The migration cannot start (target not empty, schemas differ)."""


@dataclass(frozen=True, slots=True)
class CopyReport:
    tables: dict[str, int]  # rows copied per table, in copy order


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_order(conn: sqlite3.Connection) -> list[str]:
    """User tables, parents before children (foreign keys), then by name."""
    names = sorted(
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        if r[0] not in SKIP_TABLES and not r[0].startswith(DERIVED_PREFIXES)
    )
    parents = {
        t: {
            r[2]
            for r in conn.execute(f"PRAGMA foreign_key_list({_quote(t)})")
            if r[2] != t and r[2] in names
        }
        for t in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = [t for t in names if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            raise MigrateError(f"foreign-key cycle among {sorted(set(names) - set(ordered))}")
        ordered.extend(ready)
    return ordered


def _converter(pg_type: str) -> Callable[[Any], Any]:
    """SQLite stores booleans as 0/1 and may hand back ints for REAL columns."""
    if pg_type == "boolean":
        return lambda v: None if v is None else bool(v)
    if pg_type in ("double precision", "real", "numeric"):
        return lambda v: None if v is None else float(v)
    if pg_type in ("bigint", "integer", "smallint"):
        return lambda v: None if v is None else int(v)
    return lambda v: v


def _batches(
    conn: sqlite3.Connection, table: str, columns: list[str], convert: list[Callable[[Any], Any]]
) -> Iterator[list[tuple[Any, ...]]]:
    cols = ", ".join(_quote(c) for c in columns)
    # No ORDER BY: ids are copied as they are, and WITHOUT ROWID tables have no rowid.
    cursor = conn.execute(f"SELECT {cols} FROM {_quote(table)}")
    while rows := cursor.fetchmany(BATCH_ROWS):
        yield [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows]


async def _pg_columns(pg: asyncpg.Connection, table: str) -> dict[str, str]:
    rows = await pg.fetch(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = $1",
        table,
    )
    return {r[0]: r[1] for r in rows}


async def _copy_table(pg: asyncpg.Connection, src: sqlite3.Connection, table: str) -> int:
    pg_cols = await _pg_columns(pg, table)
    if not pg_cols:
        raise MigrateError(f"table {table} has no PostgreSQL counterpart (migrations differ?)")
    sqlite_cols = [r[1] for r in src.execute(f"PRAGMA table_info({_quote(table)})")]
    missing = [c for c in sqlite_cols if c not in pg_cols]
    if missing:
        raise MigrateError(f"columns {missing} of {table} are missing in PostgreSQL")
    convert = [_converter(pg_cols[c]) for c in sqlite_cols]
    copied = 0
    for batch in _batches(src, table, sqlite_cols, convert):
        # COPY: the fastest way in; the types were converted above.
        await pg.copy_records_to_table(table, records=batch, columns=sqlite_cols)
        copied += len(batch)
    if "id" in pg_cols and pg_cols["id"] in ("bigint", "integer"):
        # Identity columns: new rows continue after the copied ids.
        await pg.execute(
            "SELECT setval(pg_get_serial_sequence($1, 'id'),"
            f" GREATEST((SELECT MAX(id) FROM {_quote(table)}), 1),"
            f" (SELECT MAX(id) FROM {_quote(table)}) IS NOT NULL)",
            table,
        )
    return copied


async def migrate(sqlite_path: Path, url: str) -> CopyReport:
    """Copy every table of ``sqlite_path`` into the (empty) database at ``url``."""
    source = SqliteStorage(sqlite_path)
    await source.open()  # bring the source up to the current schema
    await source.close()
    target = PostgresStorage(url, min_size=1, max_size=1)
    await target.open()  # creates the current schema
    src = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    try:
        async with target.pool.acquire() as pg, pg.transaction():
            for table in ("units", "users", "contacts", "audit_events"):
                if await pg.fetchval(f"SELECT EXISTS (SELECT 1 FROM {_quote(table)})"):
                    raise MigrateError(f"the target database is not empty ({table} has rows)")
            report: dict[str, int] = {}
            for table in table_order(src):
                report[table] = await _copy_table(pg, src, table)
            for table, count in report.items():
                found = await pg.fetchval(f"SELECT COUNT(*) FROM {_quote(table)}")
                if found != count:
                    raise MigrateError(f"{table}: {found} rows in PostgreSQL, {count} copied")
    finally:
        src.close()
        await target.close()
    return CopyReport(report)


def cmd_migrate_to(args: argparse.Namespace) -> int:

    url: str = args.url
    if not url.startswith(("postgresql://", "postgres://")):
        print("error: the target must be a postgresql:// URL", file=sys.stderr)
        return 2
    settings = settings_from_args(args)
    if not settings.sqlite_path.exists():
        print(f"error: no SQLite database at {settings.sqlite_path}", file=sys.stderr)
        return 1
    try:
        report = asyncio.run(migrate(settings.sqlite_path, url))
    except (MigrateError, OSError, asyncpg.PostgresError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for table, count in report.tables.items():
        print(f"{table}: {count} rows")
    print(f"copied {sum(report.tables.values())} rows in {len(report.tables)} tables")
    return 0


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "migrate-to",
        parents=[common],
        help="copy this SQLite deployment into an empty PostgreSQL database",
    )
    p.add_argument("url", help="postgresql://user@host/database (the database must exist)")
    p.set_defaults(func=cmd_migrate_to)
