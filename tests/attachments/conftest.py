"""A real server with a 1 MiB photo limit, for the live attachment tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatserver.settings import Settings
from tests.helpers import Seed
from tests.live import LiveServer

LIVE_LIMIT = 1024 * 1024


@pytest.fixture
def live(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    env = {
        "CHATSERVER_ATTACHMENT_MAX_BYTES": str(LIVE_LIMIT),
        "CHATSERVER_INTAKE_RATE_LIMIT": "100000/minute",
    }
    with LiveServer(settings.data_dir, env=env) as srv:
        yield srv


# The storage fixtures (SQLite and a throw-away PostgreSQL, tests/pg.py) for the
# storage tests of this package.
from tests.pg import pg_server  # noqa: E402
from tests.storage.conftest import backend, storage  # noqa: E402

__all__ = ["backend", "live", "pg_server", "storage"]
