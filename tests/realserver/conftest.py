"""A seeded data dir served by a real ``chatserver serve`` process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatserver.settings import Settings
from tests.helpers import Seed
from tests.live import LiveServer


@pytest.fixture
def live(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    # Every test client shares 127.0.0.1 and sends as fast as acks allow:
    # lift the per-address intake limit and the per-connection frame limit.
    env = {
        "CHATSERVER_INTAKE_RATE_LIMIT": "100000/minute",
        "CHATSERVER_FRAME_RATE_LIMIT": "100000/second",
        # Many sockets from 127.0.0.1 and messages as fast as acks come (issue 20 limits).
        "CHATSERVER_MAX_SOCKETS_PER_ADDRESS": "0",
        "CHATSERVER_CONTACT_MESSAGE_RATE_LIMIT": "100000/second",
        "CHATSERVER_MAX_MESSAGES_PER_CONTACT": "0",
    }
    with LiveServer(settings.data_dir, env=env) as srv:
        yield srv
