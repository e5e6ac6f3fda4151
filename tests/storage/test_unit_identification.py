"""Migration 0012 on both engines: a unit's patient identification (NULL = the
global setting, CHECK optional/required), the patient session's e-legitimation,
and contacts bound before it ('oidc' → 'eid'); applied to a database holding
rows, and the unit column through the storage on both engines."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from chatserver.storage import Storage, Unit
from chatserver.storage.directory import set_unit_identification
from chatserver.storage.migrations import Migration, apply_sqlite, list_migrations
from chatserver.storage.postgres_migrations import apply_postgres
from tests.pg import PgServer

from .factories import T0

BEFORE = 11  # the last migration without the columns

UNIT = (
    "INSERT INTO units (id, name, always_open, rollout, created_at)"
    " VALUES ('u1', 'Ett', 1, 'live', 1.0)"
)
QUEUE = (
    "INSERT INTO queues (id, unit_id, competence, name) VALUES ('u1:nurse', 'u1', 'nurse', 'Ssk')"
)
CONTACT = (
    "INSERT INTO contacts (id, unit_id, queue_id, status, level, intake_level, tags, reasons,"
    " lang, age, name, text, would_otherwise, created_at) VALUES ('c1', 'u1', 'u1:nurse',"
    " 'queued', 'standard', 'standard', '[]', '[]', 'sv', 40, 'P', 'ont', 'unknown', 1.0)"
)
IDENTITY = (
    "INSERT INTO contact_identities (contact_id, personnummer, name, method, verified_at)"
    " VALUES ('c1', '198112189876', 'Anna', 'oidc', 1.0)"
)
SESSION = (
    "INSERT INTO patient_sessions (id_hash, personnummer, name, created_at, last_seen_at,"
    " expires_at) VALUES ('h', '198112189876', 'Anna', 1.0, 1.0, 2.0)"
)
ROWS = (UNIT, QUEUE, CONTACT, IDENTITY, SESSION)
READ = (
    "SELECT (SELECT identification FROM units WHERE id = 'u1'),"
    " (SELECT method FROM patient_sessions WHERE id_hash = 'h'),"
    " (SELECT method FROM contact_identities WHERE contact_id = 'c1')"
)
BAD = "UPDATE units SET identification = 'maybe' WHERE id = 'u1'"


def _split(engine: str) -> tuple[list[Migration], list[Migration]]:
    ms = list_migrations(engine)
    return [m for m in ms if m.version <= BEFORE], ms


def test_migration_on_sqlite(tmp_path: Path) -> None:
    before, every = _split("sqlite")
    conn = sqlite3.connect(tmp_path / "db", isolation_level=None)
    try:
        apply_sqlite(conn, before)
        for sql in ROWS:
            conn.execute(sql)
        assert 12 in apply_sqlite(conn, every)
        assert conn.execute(READ).fetchone() == (None, "eid", "eid")
        conn.execute("UPDATE units SET identification = 'required' WHERE id = 'u1'")
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(BAD)
    finally:
        conn.close()


@pytest.mark.postgres
async def test_migration_on_postgresql(pg_server: PgServer) -> None:
    before, every = _split("postgresql")
    name = pg_server.create_database()
    try:
        conn = await asyncpg.connect(pg_server.url(name))
        try:
            await apply_postgres(conn, before)
            for sql in ROWS:
                await conn.execute(sql.replace("1, 'live'", "TRUE, 'live'"))
            assert 12 in await apply_postgres(conn, every)
            assert tuple(await conn.fetchrow(READ)) == (None, "eid", "eid")
            await conn.execute("UPDATE units SET identification = 'required' WHERE id = 'u1'")
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute(BAD)
        finally:
            await conn.close()
    finally:
        pg_server.drop_database(name)


async def test_unit_identification_round_trip(storage: Storage) -> None:
    """Written once for both engines: add with a setting, change it, reset it."""
    await storage.add_unit(
        Unit(
            "u7", "Sju", always_open=True, rollout="live", created_at=T0, identification="required"
        ),
        [],
    )
    await storage.add_unit(Unit("u8", "Åtta", always_open=True, rollout="live", created_at=T0), [])
    assert [(u.id, u.identification) for u in await storage.list_units()] == [
        ("u7", "required"),
        ("u8", None),
    ]
    assert await storage.write(set_unit_identification("u8", "optional")) is True
    assert await storage.write(set_unit_identification("u7", None)) is True
    assert await storage.write(set_unit_identification("nowhere", "optional")) is False
    u7, u8 = await storage.get_unit("u7"), await storage.get_unit("u8")
    assert (u7 and u7.identification, u8 and u8.identification) == (None, "optional")
    with pytest.raises(Exception, match=r"(?i)check"):
        await storage.write(set_unit_identification("u8", "maybe"))
    u8 = await storage.get_unit("u8")
    assert u8 is not None
    assert u8.identification == "optional"
