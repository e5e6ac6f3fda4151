"""Fixtures: the seeded directory plus the hand-made contacts of fixtures.py,
on SQLite and on a throw-away PostgreSQL (tests/pg.py): every test here that
takes ``settings`` runs once per engine."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.storage.postgres import PostgresStorage
from chatserver.storage.sqlite import SqliteStorage
from tests.helpers import ORIGIN, Seed
from tests.pg import PgServer, migrated_template, pg_server
from tests.stats.fixtures import autumn, insert, spring

__all__ = ["pg_server"]  # the session fixture of tests/pg.py

ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings on SQLite in a temporary directory, or on a fresh PostgreSQL
    database copied from the migrated template (also in the environment, for
    the command line, which reads its settings from there)."""
    if request.param == "sqlite":
        yield Settings(data_dir=tmp_path / "data")
        return
    url: str = request.getfixturevalue("pg_url")
    monkeypatch.setenv("CHATSERVER_DATABASE_URL", url)
    yield Settings(data_dir=tmp_path / "data", database_url=url)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh migrated PostgreSQL database of the test's own."""
    name = pg_server.create_database(template=migrated_template(pg_server))
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def stats_client(settings: Settings, seed: Seed) -> Iterator[TestClient]:
    """An app whose hc1 holds the spring and autumn DST fixtures."""
    users = {name: acc.id for name, acc in seed.accounts.items()}
    app = create_app(settings)
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        # The app's start applied every migration; the fixtures go in after.
        insert(settings, spring(users) + autumn(), users)
        yield c


CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> None:
    """Skip locally without Chromium; fail in CI (CI=true) so it is never silently lost."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is missing")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, for the dashboard tests of this directory."""
    require_chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(params=ENGINES)
def engine_url(request: pytest.FixtureRequest) -> str | None:
    """None for SQLite, else a fresh PostgreSQL database's URL."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def db(engine_url: str | None, tmp_path: Path) -> AsyncIterator[Any]:
    """An opened storage of either engine (the statistics' Database port)."""
    storage = (
        SqliteStorage(tmp_path / "chat.sqlite")
        if engine_url is None
        else PostgresStorage(engine_url)
    )
    await storage.open()
    try:
        yield storage
    finally:
        await storage.close()
