"""The numbered-migrations runner."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from chatserver.storage.migrations import (
    Migration,
    MigrationError,
    applied_versions,
    apply_sqlite,
    list_migrations,
    parse_filename,
    pending,
    split_sql,
)

from .conftest import Backend


def _write(root: Path, engine: str, files: dict[str, str]) -> Path:
    (root / engine).mkdir(parents=True)
    for name, text in files.items():
        (root / engine / name).write_text(text, encoding="utf-8")
    return root


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_parse_filename() -> None:
    """NNNN_name.sql parses to (version, name); anything else is not a migration."""
    assert parse_filename("0001_init.sql") == (1, "init")
    assert parse_filename("0042_add_audit_log.sql") == (42, "add_audit_log")
    assert parse_filename("1_init.sql") is None
    assert parse_filename("0001_init.txt") is None
    assert parse_filename("0001-init.sql") is None


def test_list_shipped_sqlite_migrations() -> None:
    """The shipped SQLite migrations start with 0001_init."""
    migrations = list_migrations("sqlite")
    assert [(m.version, m.name) for m in migrations][:1] == [(1, "init")]
    assert "CREATE TABLE contacts" in migrations[0].sql


def test_list_orders_and_validates(tmp_path: Path) -> None:
    """Migrations are listed by version; a malformed name or duplicate version is an error."""
    root = _write(tmp_path / "ok", "pg", {"0010_b.sql": "B", "0002_a.sql": "A"})
    assert list_migrations("pg", root) == [Migration(2, "a", "A"), Migration(10, "b", "B")]
    assert list_migrations("nothing", root) == []
    bad = _write(tmp_path / "bad", "pg", {"0001_a.sql": "", "01_b.sql": ""})
    with pytest.raises(MigrationError, match="malformed"):
        list_migrations("pg", bad)
    dup = _write(tmp_path / "dup", "pg", {"0001_a.sql": "", "0001_b.sql": ""})
    with pytest.raises(MigrationError, match="duplicate"):
        list_migrations("pg", dup)


def test_pending() -> None:
    """pending keeps the unapplied migrations in version order."""
    ms = [Migration(3, "c", ""), Migration(1, "a", ""), Migration(2, "b", "")]
    assert [m.version for m in pending(ms, [2])] == [1, 3]
    assert pending(ms, [1, 2, 3]) == []


def test_split_sql() -> None:
    """Statements split on semicolons outside strings, comments and trigger bodies."""
    script = """
    -- leading comment; with a semicolon
    CREATE TABLE t (x TEXT DEFAULT ';');  CREATE TABLE u (y);
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        INSERT INTO u VALUES (1);
    END;
    -- trailing comment
    """
    statements = list(split_sql(script))
    assert len(statements) == 3
    assert statements[1] == "CREATE TABLE u (y);"
    assert statements[2].startswith("CREATE TRIGGER tr")
    assert statements[2].endswith("END;")
    assert list(split_sql("CREATE TABLE v (z)")) == ["CREATE TABLE v (z)"]
    with pytest.raises(MigrationError, match="unterminated"):
        list(split_sql("CREATE TABLE v (z DEFAULT 'abc;"))


def test_apply_is_idempotent(tmp_path: Path) -> None:
    """Applying twice applies each migration once and records it in schema_migrations."""
    root = _write(
        tmp_path / "m",
        "sqlite",
        {"0001_a.sql": "CREATE TABLE a (x);", "0002_b.sql": "CREATE TABLE b (y);"},
    )
    conn = _connect(tmp_path / "db")
    try:
        migrations = list_migrations("sqlite", root)
        assert apply_sqlite(conn, migrations, now=5.0) == [1, 2]
        assert apply_sqlite(conn, migrations, now=6.0) == []
        assert conn.execute("SELECT * FROM schema_migrations ORDER BY version").fetchall() == [
            (1, "a", 5.0),
            (2, "b", 5.0),
        ]
        assert applied_versions(conn) == [1, 2]
    finally:
        conn.close()


def test_failed_migration_rolls_back_alone(tmp_path: Path) -> None:
    """A failing migration leaves earlier ones applied and none of its own statements."""
    root = _write(
        tmp_path / "m",
        "sqlite",
        {"0001_a.sql": "CREATE TABLE a (x);", "0002_b.sql": "CREATE TABLE b (y); SELECT nope;"},
    )
    conn = _connect(tmp_path / "db")
    try:
        with pytest.raises(sqlite3.OperationalError):
            apply_sqlite(conn, list_migrations("sqlite", root), now=1.0)
        assert applied_versions(conn) == [1]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"schema_migrations", "a"}
        assert conn.in_transaction is False
    finally:
        conn.close()


def test_applied_versions_on_empty_database(tmp_path: Path) -> None:
    """A database never migrated has no applied versions."""
    conn = _connect(tmp_path / "db")
    try:
        assert applied_versions(conn) == []
    finally:
        conn.close()


async def test_open_twice_is_idempotent(backend: Backend) -> None:
    """Opening the same database twice applies every migration exactly once."""
    for _ in range(2):
        store = backend.make()
        await store.open()
        await store.close()
    conn = _connect(backend.tmp_path / "data" / "chat.sqlite")
    try:
        expected = [(m.version, m.name) for m in list_migrations("sqlite")]
        assert expected[0] == (1, "init")
        assert (
            conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
            == expected
        )
    finally:
        conn.close()
