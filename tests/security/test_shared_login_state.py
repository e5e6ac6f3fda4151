"""The account lockout and the used TOTP codes live in the database: two app
instances on one database (SQLite file or PostgreSQL) share them, a restart
keeps them, ``migrate-to`` carries them over, and a code raced on two
instances signs in exactly once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pyotp
import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.audit import AuditQuery, audit_log_of
from chatserver.cli.migrate_to import migrate
from chatserver.security.lockout import LockoutPolicy, after_failure
from chatserver.settings import Settings
from chatserver.storage.base import LockoutRecord, Storage
from chatserver.storage.postgres import PostgresStorage
from chatserver.storage.sqlite import SqliteStorage
from tests.helpers import ORIGIN, PASSWORD, Seed, seed_directory
from tests.pg import PgServer, migrated_template, pg_server
from tests.security.conftest import FakeClock, state_of
from tests.storage.factories import T0
from tests.storage.factories import seed as seed_storage

__all__ = ["pg_server"]  # the session fixture of tests/pg.py

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """The app's settings on SQLite, or on a fresh PostgreSQL database of the test's own."""
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path / "data")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create_database(template=migrated_template(server))
    try:
        yield Settings(data_dir=tmp_path / "data", database_url=server.url(name))
    finally:
        server.drop_database(name)


@contextmanager
def instance(settings: Settings, clock: FakeClock) -> Iterator[TestClient]:
    """One app instance (its own storage connections, limits and services)."""
    with TestClient(create_app(settings, clock=clock), headers={"origin": ORIGIN}) as c:
        yield c


def code(seed: Seed, username: str, clock: FakeClock) -> str:
    secret = seed[username].otp_secret
    assert secret is not None
    return pyotp.TOTP(secret).at(clock.now)


def sign_in(
    c: TestClient, username: str, password: str, otp: str | None = None
) -> tuple[int, str, int | None]:
    """(status, error code or 'ok', retry_after_s)."""
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    r = c.post("/api/staff/login", json=body)
    error = r.json().get("error", {})
    return r.status_code, error.get("code", "ok"), error.get("retry_after_s")


def lock_out(c: TestClient, username: str) -> None:
    for _ in range(5):
        assert sign_in(c, username, "wrong-password") == (401, "invalid_credentials", None)


def audited(c: TestClient, action: str) -> list[tuple[str, dict[str, object]]]:
    store = audit_log_of(state_of(c)).store
    found = c.portal.call(store.query, AuditQuery(action=action))  # type: ignore[union-attr]
    return [(e.result, dict(e.detail)) for e in found]


def test_lockout_on_one_instance_holds_on_the_other(
    settings: Settings, seed: Seed, clock: FakeClock
) -> None:
    """5 failures on instance A lock the name on instance B, right password and code included."""
    with instance(settings, clock) as a, instance(settings, clock) as b:
        lock_out(a, "nurse2")
        assert sign_in(b, "nurse2", PASSWORD, code(seed, "nurse2", clock)) == (
            429,
            "rate_limited",
            901,
        )
        assert sign_in(b, "NURSE2", "wrong-password") == (429, "rate_limited", 901)
        assert audited(b, "login_locked") == [
            ("rate_limited", {"username": "nurse2", "address": "testclient"}),
            ("rate_limited", {"username": "NURSE2", "address": "testclient"}),
        ]
        clock.advance(900)
        assert sign_in(b, "nurse2", PASSWORD, code(seed, "nurse2", clock)) == (200, "ok", None)


def test_failures_on_both_instances_add_up(
    settings: Settings, seed: Seed, clock: FakeClock
) -> None:
    """Failures spread over two instances count together: 3 on A and 2 on B lock the name."""
    with instance(settings, clock) as a, instance(settings, clock) as b:
        for _ in range(3):
            assert sign_in(a, "doctor1", "wrong-password")[:2] == (401, "invalid_credentials")
        for _ in range(2):
            assert sign_in(b, "doctor1", "wrong-password")[:2] == (401, "invalid_credentials")
        assert sign_in(a, "doctor1", PASSWORD, code(seed, "doctor1", clock)) == (
            429,
            "rate_limited",
            901,
        )
        assert audited(b, "lockout") == [
            ("locked", {"username": "doctor1", "lock_s": 900, "address": "testclient"})
        ]


def test_success_on_one_instance_resets_the_count_on_the_other(
    settings: Settings, seed: Seed, clock: FakeClock
) -> None:
    """4 failures on A, a success on B: 4 more failures on A do not lock."""
    with instance(settings, clock) as a, instance(settings, clock) as b:
        for _ in range(4):
            assert sign_in(a, "nurse1", "wrong-password")[:2] == (401, "invalid_credentials")
        assert sign_in(b, "nurse1", PASSWORD, code(seed, "nurse1", clock)) == (200, "ok", None)
        clock.advance(60)
        state_of(a).limits.storage.reset()  # the per-address limit is not under test here
        for _ in range(4):
            assert sign_in(a, "nurse1", "wrong-password")[:2] == (401, "invalid_credentials")
        clock.advance(30)
        assert sign_in(a, "nurse1", PASSWORD, code(seed, "nurse1", clock)) == (200, "ok", None)


def test_code_used_on_one_instance_is_refused_on_the_other(
    settings: Settings, seed: Seed, clock: FakeClock
) -> None:
    """A code that signed in on A is refused on B; the next step's code is accepted."""
    with instance(settings, clock) as a, instance(settings, clock) as b:
        used = code(seed, "nurse1", clock)
        assert sign_in(a, "nurse1", PASSWORD, used) == (200, "ok", None)
        assert sign_in(b, "nurse1", PASSWORD, used) == (401, "invalid_credentials", None)
        clock.advance(30)
        assert sign_in(b, "nurse1", PASSWORD, code(seed, "nurse1", clock)) == (200, "ok", None)


def test_restart_keeps_lockout_and_used_codes(
    settings: Settings, seed: Seed, clock: FakeClock
) -> None:
    """After a restart the name is still locked and a used code still refused."""
    used = code(seed, "nurse1", clock)
    with instance(settings, clock) as before:
        assert sign_in(before, "nurse1", PASSWORD, used) == (200, "ok", None)
        lock_out(before, "nurse2")
    clock.advance(60)
    with instance(settings, clock) as after:
        assert sign_in(after, "nurse2", PASSWORD, code(seed, "nurse2", clock)) == (
            429,
            "rate_limited",
            841,
        )
        assert sign_in(after, "nurse1", PASSWORD, used) == (401, "invalid_credentials", None)


def test_same_code_raced_on_two_instances_signs_in_once(
    settings: Settings, seed: Seed, clock: FakeClock
) -> None:
    """Two simultaneous sign-ins with one code, on A and on B: exactly one succeeds (5 rounds)."""
    with instance(settings, clock) as a, instance(settings, clock) as b:
        for _ in range(5):
            clock.advance(30)
            otp = code(seed, "nurse1", clock)
            start = threading.Barrier(2)

            def attempt(c: TestClient, otp: str = otp, start: threading.Barrier = start) -> int:
                start.wait()
                return sign_in(c, "nurse1", PASSWORD, otp)[0]

            with ThreadPoolExecutor(2) as pool:
                answers = sorted(pool.map(attempt, [a, b]))
            assert answers == [200, 401]


@pytest.mark.postgres
def test_migrate_to_carries_lockouts_and_used_codes(
    tmp_path: Path, clock: FakeClock, pg_server: PgServer
) -> None:
    """``migrate-to`` copies both tables: the lock and the used code hold on PostgreSQL."""
    on_sqlite = Settings(data_dir=tmp_path / "data")
    seed = asyncio.run(seed_directory(on_sqlite))
    used = code(seed, "nurse1", clock)
    with instance(on_sqlite, clock) as before:
        assert sign_in(before, "nurse1", PASSWORD, used) == (200, "ok", None)
        lock_out(before, "nurse2")
    name = pg_server.create_database(template=migrated_template(pg_server))
    try:
        url = pg_server.url(name)
        report = asyncio.run(migrate(on_sqlite.sqlite_path, url))
        assert (report.tables["login_lockouts"], report.tables["totp_used_steps"]) == (1, 1)
        with instance(on_sqlite.model_copy(update={"database_url": url}), clock) as after:
            assert sign_in(after, "nurse2", PASSWORD, code(seed, "nurse2", clock)) == (
                429,
                "rate_limited",
                901,
            )
            assert sign_in(after, "nurse1", PASSWORD, used) == (401, "invalid_credentials", None)
    finally:
        pg_server.drop_database(name)


# -- the storage methods themselves, on both engines ----------------------


@pytest.fixture(params=ENGINES)
async def two_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Storage, Storage]]:
    """Two storages ("instances") on one database, with users alice and bob."""
    url: str | None = None
    server: PgServer | None = None
    name = ""
    if request.param == "postgresql":
        server = request.getfixturevalue("pg_server")
        name = server.create_database(template=migrated_template(server))
        url = server.url(name)
    stores: list[Storage] = [
        PostgresStorage(url) if url else SqliteStorage(tmp_path / "chat.sqlite") for _ in range(2)
    ]
    for store in stores:
        await store.open()
    try:
        await seed_storage(stores[0])
        yield stores[0], stores[1]
    finally:
        for store in stores:
            await store.close()
        if server is not None:
            server.drop_database(name)


async def test_concurrent_use_of_one_step_succeeds_once(
    two_stores: tuple[Storage, Storage],
) -> None:
    """20 concurrent uses of one step through two storages: exactly one True."""
    a, b = two_stores
    user = await a.get_user_by_username("bob")
    assert user is not None
    results = await asyncio.gather(
        *(
            (a if i % 2 else b).use_totp_step(user.id, 1000, at=T0, forget_before=990)
            for i in range(20)
        )
    )
    assert sorted(results) == [False] * 19 + [True]


async def test_used_steps_only_move_forward_and_old_ones_are_forgotten(
    two_stores: tuple[Storage, Storage],
) -> None:
    """After step 1000, 999 is refused and 1001 accepted; steps before forget_before go."""
    a, b = two_stores
    user = await a.get_user_by_username("bob")
    assert user is not None
    assert await a.use_totp_step(user.id, 1000, at=T0, forget_before=990) is True
    assert await b.use_totp_step(user.id, 999, at=T0, forget_before=989) is False
    assert await b.use_totp_step(user.id, 1000, at=T0, forget_before=990) is False
    assert await b.use_totp_step(user.id, 1001, at=T0, forget_before=991) is True
    assert await step_rows(a) == [1000, 1001]
    assert await a.use_totp_step(user.id, 1020, at=T0, forget_before=1010) is True
    assert await step_rows(b) == [1020]


async def test_concurrent_failures_each_count(two_stores: tuple[Storage, Storage]) -> None:
    """20 concurrent failure updates through two storages: none is lost."""
    a, b = two_stores
    policy = LockoutPolicy(max_failures=100)
    results = await asyncio.gather(
        *(
            (a if i % 2 else b).update_lockout(
                "k", partial(after_failure, now=T0 + i, policy=policy), now=T0 + i
            )
            for i in range(20)
        )
    )
    assert results == [0.0] * 20
    record = await a.get_lockout("k")
    assert record is not None
    assert sorted(record.failures) == [T0 + i for i in range(20)]


async def test_expired_lockout_records_are_pruned(two_stores: tuple[Storage, Storage]) -> None:
    """An update deletes records whose expires_at has passed; deleting one record works."""
    a, b = two_stores
    old = LockoutRecord(failures=(T0,), last_failure=T0, expires_at=T0 + 900)
    assert await a.update_lockout("old", lambda r: (old, "stored"), now=T0) == "stored"
    assert await b.get_lockout("old") == old
    fresh = LockoutRecord(failures=(T0 + 901,), last_failure=T0 + 901, expires_at=T0 + 1801)
    assert await b.update_lockout("new", lambda r: (fresh, r), now=T0 + 901) == LockoutRecord()
    assert await a.get_lockout("old") is None
    assert await a.get_lockout("new") == fresh
    await b.delete_lockout("new")
    assert await a.get_lockout("new") is None


async def step_rows(store: Storage) -> list[int]:
    sql = "SELECT step FROM totp_used_steps ORDER BY step"
    if isinstance(store, PostgresStorage):
        async with store.pool.acquire() as conn:
            return [int(r[0]) for r in await conn.fetch(sql)]
    assert isinstance(store, SqliteStorage)
    return await store.run_read(lambda c: [int(r[0]) for r in c.execute(sql)])
