"""Picking while the patient writes, across instances (issue 21 point 1): the
patient on instance A, the nurse picking on B with a second tab on A, frames
crossing through Redis in no fixed order. No nginx needed: clients connect to
the instances directly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from chatserver.settings import Settings
from tests.helpers import Seed, seed_directory
from tests.live import LiveServer
from tests.realserver.client import login_cookie
from tests.realserver.test_pick_race import ROUNDS, pick_rounds

from .cluster import RedisServer
from .conftest import LIMITS

pytestmark = pytest.mark.postgres


@dataclass
class Pair:
    a: LiveServer
    b: LiveServer
    seed: Seed


@pytest.fixture
async def pair(tmp_path: Path, pg_url: str) -> AsyncIterator[Pair]:
    redis = RedisServer(tmp_path / "redis").start()
    seed = await seed_directory(Settings(data_dir=tmp_path / "seed", database_url=pg_url))
    env = {
        **LIMITS,
        "CHATSERVER_DATABASE_URL": pg_url,
        "CHATSERVER_REDIS_URL": redis.url,
        # Instances sharing a database share the key of its TOTP secrets.
        "CHATSERVER_TOTP_KEY": Fernet.generate_key().decode(),
    }
    servers = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            servers.append(LiveServer(tmp_path / name / "data", env=env).start())
        yield Pair(servers[0], servers[1], seed)
    finally:
        for srv in servers:
            srv.stop()
        redis.stop()


async def test_pick_on_another_instance_hides_nothing(pair: Pair) -> None:
    cookie = login_cookie(pair.b, pair.seed["nurse1"])
    failures = await pick_rounds(pair.a, pair.a, [pair.b, pair.a], cookie)
    assert not failures, f"{len(failures)} of {2 * ROUNDS} tab-rounds hid a message: {failures}"
