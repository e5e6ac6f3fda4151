"""Fixtures: the seeded directory plus the hand-made contacts of fixtures.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed
from tests.stats.fixtures import autumn, insert, spring


@pytest.fixture
def stats_client(settings: Settings, seed: Seed) -> Iterator[TestClient]:
    """An app whose hc1 holds the spring and autumn DST fixtures."""
    users = {name: acc.id for name, acc in seed.accounts.items()}
    app = create_app(settings)
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        # The app's start applied every migration; the fixtures go in after.
        insert(settings.sqlite_path, spring(users) + autumn(), users)
        yield c
