"""Shared fixtures: settings on a temporary data dir, a seeded directory of
units and staff, an in-memory app (Starlette TestClient) and a real server
process on port 0 (:mod:`tests.live`)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed, seed_directory


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def seed(settings: Settings) -> Seed:
    """Units hc1 and hc2, a nurse/doctor/manager/admin on hc1 and a nurse on hc2."""
    return asyncio.run(seed_directory(settings))


@pytest.fixture
def client(settings: Settings, seed: Seed) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        yield c
