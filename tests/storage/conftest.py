"""Storage fixtures, parametrized over backends.

Every test that takes ``storage`` (or ``backend``) runs once per entry of
``BACKENDS``: on SQLite (a file in the test's directory) and on PostgreSQL (a
fresh database copied from a migrated template, on the server of tests/pg.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chatserver.storage import Storage
from chatserver.storage.postgres import PostgresStorage
from chatserver.storage.sqlite import SqliteStorage
from tests.pg import PgServer, migrated_template, pg_server

from .factories import Seed, seed

__all__ = ["pg_server"]  # the session fixture (tests/pg.py), shared with tests/scaleout

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

# Tests that inspect the SQLite file itself; tests/scaleout has their PostgreSQL twins.
SQLITE_ONLY = {"test_open_twice_is_idempotent"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Drop the PostgreSQL variant of tests that only make sense on SQLite."""
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        name = item.name.split("[")[0]
        (drop if name in SQLITE_ONLY and "[postgresql" in item.name else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@dataclass
class Backend:
    """Builds storages of one backend that all point at the same database."""

    name: str
    tmp_path: Path
    url: str | None = None  # the test's own PostgreSQL database

    def make(self, **options: int | str) -> Storage:
        if self.name == "sqlite":
            return SqliteStorage(self.tmp_path / "data" / "chat.sqlite", **options)  # type: ignore[arg-type]
        if self.name == "postgresql" and self.url is not None:
            return PostgresStorage(self.url)
        raise NotImplementedError(self.name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param != "postgresql":
        yield Backend(request.param, tmp_path)
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create_database(template=migrated_template(server))
    try:
        yield Backend("postgresql", tmp_path, server.url(name))
    finally:
        server.drop_database(name)


@pytest.fixture
async def storage(backend: Backend) -> AsyncIterator[Storage]:
    store = backend.make()
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def seeded(storage: Storage) -> Seed:
    """Two units, three queues, two staff users."""
    return await seed(storage)


@pytest.fixture
async def sqlite_storage(tmp_path: Path) -> AsyncIterator[SqliteStorage]:
    """The SQLite backend itself, for tests of its internals (batching, pragmas)."""
    store = SqliteStorage(tmp_path / "chat.sqlite")
    await store.open()
    try:
        yield store
    finally:
        await store.close()
