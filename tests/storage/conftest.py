"""Storage fixtures, parametrized over backends.

Every test that takes ``storage`` (or ``backend``) runs once per entry of
``BACKENDS``. A PostgreSQL backend is added by appending ``"postgresql"`` and
teaching :meth:`Backend.make` to build it (e.g. a fresh schema per test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chatserver.storage import SqliteStorage, Storage

from .factories import Seed, seed

BACKENDS = ["sqlite"]


@dataclass
class Backend:
    """Builds storages of one backend that all point at the same database."""

    name: str
    tmp_path: Path

    def make(self, **options: int | str) -> Storage:
        if self.name == "sqlite":
            return SqliteStorage(self.tmp_path / "data" / "chat.sqlite", **options)  # type: ignore[arg-type]
        raise NotImplementedError(self.name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return Backend(request.param, tmp_path)


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
