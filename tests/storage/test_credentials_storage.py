"""Staff credentials in storage (migration 0013, access/credentials.py), on
both engines: usernames unique regardless of case, the forced change flag,
TOTP enrolment, the session list and the concurrent-session limit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from chatserver.access import credentials as cred
from chatserver.storage import Conflict, Session, Storage
from chatserver.storage.migrations import apply_sqlite, list_migrations
from chatserver.storage.postgres_migrations import apply_postgres
from tests.pg import PgServer

from .factories import T0, Seed

REFUSAL = "migration 0013: some usernames differ only in case"


async def test_usernames_unique_regardless_of_case(storage: Storage, seeded: Seed) -> None:
    with pytest.raises(Conflict):
        await storage.add_user(
            username="ALICE",
            display_name="Another Alice",
            role="nurse",
            password_hash="h",
            totp_secret=None,
            unit_ids=["u1"],
            created_at=T0,
        )
    found = await storage.get_user_by_username("Alice")
    assert found is not None
    assert found.username == "alice"
    assert found.must_change_password is False
    assert found.totp_pending is None


async def test_forced_change_and_enrolment(storage: Storage, seeded: Seed) -> None:
    user = await storage.add_user(
        username="new1",
        display_name="New One",
        role="nurse",
        password_hash="h-old",
        totp_secret=None,
        unit_ids=["u1"],
        created_at=T0,
        must_change_password=True,
    )
    assert user.must_change_password
    assert cred.pending_step(user, require_otp=True) == "password_change_required"
    assert not await storage.write(cred.set_own_password(user.id, "h-other", "h-new"))
    assert await storage.write(cred.set_own_password(user.id, "h-old", "h-new"))
    user = await storage.get_user(user.id)
    assert user is not None
    assert not user.must_change_password
    assert cred.pending_step(user, require_otp=True) == "totp_enrolment_required"
    assert cred.pending_step(user, require_otp=False) is None

    assert await storage.write(cred.set_totp_pending(user.id, "sealed-1"))
    assert not await storage.write(cred.confirm_totp(user.id, "sealed-0"))
    assert await storage.write(cred.confirm_totp(user.id, "sealed-1"))
    user = await storage.get_user(user.id)
    assert user is not None
    assert (user.totp_secret, user.totp_pending) == ("sealed-1", None)
    assert cred.pending_step(user, require_otp=True) is None
    assert not await storage.write(cred.set_totp_pending(user.id, "sealed-2"))  # enrolled

    assert await storage.write(cred.clear_totp([user.id])) == 1
    assert await storage.write(cred.set_password_by_admin(user.id, "h-admin"))
    user = await storage.get_user(user.id)
    assert user is not None
    assert user.totp_secret is None
    assert user.must_change_password


async def test_sessions_list_trim_and_end(storage: Storage, seeded: Seed) -> None:
    uid = seeded.alice.id
    for i in range(4):
        await storage.create_session(Session(f"h{i}", uid, "csrf", T0 + i, T0 + i))
    listed = await storage.read(cred.sessions_of(uid))
    assert [s.id_hash for s in listed] == ["h3", "h2", "h1", "h0"]
    assert len({s.public_id for s in listed}) == 4
    assert all(s.id_hash not in s.public_id for s in listed)
    assert await storage.write(cred.trim_sessions(uid, 2)) == ["h1", "h0"]
    assert sorted(await storage.write(cred.end_sessions_except(uid, "h3"))) == ["h2"]
    assert [s.id_hash for s in await storage.read(cred.sessions_of(uid))] == ["h3"]


def test_migration_refuses_case_duplicates_sqlite(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db", isolation_level=None)
    try:
        migrations = list_migrations("sqlite")
        apply_sqlite(conn, [m for m in migrations if m.version < 13], now=1.0)
        for name in ("anna", "Anna"):
            conn.execute(
                "INSERT INTO users (username, display_name, role, password_hash, created_at)"
                " VALUES (?, 'A', 'nurse', 'h', 0)",
                (name,),
            )
        with pytest.raises(sqlite3.IntegrityError, match=REFUSAL):
            apply_sqlite(conn, migrations, now=2.0)
        assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone() == (12,)
        conn.execute("UPDATE users SET username = 'anna2' WHERE username = 'Anna'")
        assert apply_sqlite(conn, migrations, now=3.0)[0] == 13
    finally:
        conn.close()


@pytest.mark.postgres
async def test_migration_refuses_case_duplicates_postgresql(pg_server: PgServer) -> None:
    name = pg_server.create_database()
    try:
        conn = await asyncpg.connect(pg_server.url(name))
        try:
            migrations = list_migrations("postgresql")
            await apply_postgres(conn, [m for m in migrations if m.version < 13], now=1.0)
            for user in ("anna", "Anna"):
                await conn.execute(
                    "INSERT INTO users (username, display_name, role, password_hash, created_at)"
                    " VALUES ($1, 'A', 'nurse', 'h', 0)",
                    user,
                )
            with pytest.raises(asyncpg.PostgresError, match=REFUSAL):
                await apply_postgres(conn, migrations, now=2.0)
            assert await conn.fetchval("SELECT max(version) FROM schema_migrations") == 12
        finally:
            await conn.close()
    finally:
        pg_server.drop_database(name)
