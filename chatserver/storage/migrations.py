"""Numbered SQL schema migrations.

Files live in ``migrations/<engine>/NNNN_name.sql`` next to this module (``engine``
is ``sqlite`` or ``postgresql``; the DDL is per engine because the types differ,
and tests/storage/test_schema_parity.py keeps the two in step). The parsing and
ordering helpers are pure so every engine reuses them; :func:`apply_sqlite` is
the SQLite runner (:mod:`.postgres_migrations` the PostgreSQL one).
Applied versions are recorded in ``schema_migrations(version, name, applied_at)``;
each migration runs in its own transaction together with its bookkeeping row, so
a crash leaves the schema either before or after a migration, never half-way.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "MIGRATIONS_DIR",
    "Migration",
    "MigrationError",
    "applied_versions",
    "apply_sqlite",
    "has_code",
    "list_migrations",
    "parse_filename",
    "pending",
    "split_sql",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

_FILENAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  REAL NOT NULL
)
"""


class MigrationError(Exception):
    """The migration files are inconsistent (duplicate or malformed versions)."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def parse_filename(filename: str) -> tuple[int, str] | None:
    """``'0001_init.sql'`` → ``(1, 'init')``; None for files that are not migrations."""
    match = _FILENAME.match(filename)
    if match is None:
        return None
    return int(match["version"]), match["name"]


def list_migrations(engine: str, directory: Path | None = None) -> list[Migration]:
    """All migrations of ``engine`` ordered by version.

    Raises MigrationError on a duplicate version or a ``.sql`` file whose name
    does not follow ``NNNN_name.sql`` (a typo must not silently skip a migration).
    """
    root = (directory if directory is not None else MIGRATIONS_DIR) / engine
    found: dict[int, Migration] = {}
    for path in sorted(root.glob("*.sql")):
        parsed = parse_filename(path.name)
        if parsed is None:
            raise MigrationError(f"malformed migration file name: {path.name}")
        version, name = parsed
        if version in found:
            raise MigrationError(f"duplicate migration version {version}: {path.name}")
        found[version] = Migration(version, name, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def pending(migrations: Iterable[Migration], applied: Iterable[int]) -> list[Migration]:
    """Migrations not yet in ``applied``, in version order."""
    done = set(applied)
    return sorted((m for m in migrations if m.version not in done), key=lambda m: m.version)


def split_sql(script: str) -> Iterator[str]:
    """Split a script into statements (semicolons inside strings, comments or
    trigger bodies do not split). Comment-only pieces are dropped; a final
    statement may omit its semicolon. Raises MigrationError on an unterminated
    string, comment or trigger body."""
    pieces = script.split(";")
    current = ""
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        current += piece if last else piece + ";"
        if last or sqlite3.complete_statement(current):
            statement = current.strip()
            current = ""
            if not has_code(statement):
                continue
            if not sqlite3.complete_statement(statement.rstrip(";") + ";"):
                raise MigrationError(f"unterminated SQL at end of script: {statement[:80]!r}")
            yield statement


def has_code(sql: str) -> bool:
    """True unless ``sql`` is only ``--`` comments, blank lines and semicolons."""
    for line in sql.splitlines():
        code = line.split("--", 1)[0].strip().strip(";").strip()
        if code:
            return True
    return False


def apply_sqlite(
    conn: sqlite3.Connection,
    migrations: Sequence[Migration],
    *,
    now: float | None = None,
) -> list[int]:
    """Apply pending migrations on an autocommit connection (``isolation_level=None``).

    Each migration runs in its own ``BEGIN IMMEDIATE`` transaction; the applied
    set is re-read after taking the write lock, so two processes opening the
    same database at once apply each migration exactly once. Returns the
    versions applied by this call.
    """
    conn.execute(_CREATE_TABLE)
    applied_now: list[int] = []
    for migration in migrations:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
            ).fetchone()
            if row is None:
                for statement in split_sql(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, time.time() if now is None else now),
                )
                applied_now.append(migration.version)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return applied_now


def applied_versions(conn: sqlite3.Connection) -> list[int]:
    """Versions recorded in ``schema_migrations`` (empty before the first run)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if exists is None:
        return []
    return [int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
