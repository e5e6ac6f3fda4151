"""A cluster for the scale-out tests: PostgreSQL (one fresh database per test),
Redis, two ``chatserver serve`` instances and nginx in front (deploy/ config)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from chatserver.settings import Settings
from tests.helpers import Seed, seed_directory
from tests.live import LiveServer
from tests.pg import PgServer, migrated_template, pg_server

from .cluster import Nginx, RedisServer

__all__ = ["pg_server"]  # the session fixture from tests/pg.py

# Every client of the test shares 127.0.0.1: lift the per-address limits.
LIMITS = {
    "CHATSERVER_INTAKE_RATE_LIMIT": "100000/minute",
    "CHATSERVER_FRAME_RATE_LIMIT": "100000/second",
    # Many sockets from 127.0.0.1 and messages as fast as acks come (issue 20 limits).
    "CHATSERVER_MAX_SOCKETS_PER_ADDRESS": "0",
    "CHATSERVER_CONTACT_MESSAGE_RATE_LIMIT": "100000/second",
    "CHATSERVER_MAX_MESSAGES_PER_CONTACT": "0",
    # As deployed: the instances believe X-Forwarded-For from nginx only.
    "CHATSERVER_FORWARDED_ALLOW_IPS": "127.0.0.1",
}


@dataclass
class Cluster:
    database_url: str
    redis: RedisServer
    a: LiveServer
    b: LiveServer
    nginx: Nginx
    seed: Seed


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:  # a fresh database of the test's own
    """A fresh, migrated database of its own for the test."""
    name = pg_server.create_database(template=migrated_template(pg_server))
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop_database(name)


@pytest.fixture
async def cluster(tmp_path: Path, pg_url: str) -> AsyncIterator[Cluster]:
    redis = RedisServer(tmp_path / "redis").start()
    seed = await seed_directory(Settings(data_dir=tmp_path / "seed", database_url=pg_url))
    env = {
        **LIMITS,
        "CHATSERVER_DATABASE_URL": pg_url,
        "CHATSERVER_REDIS_URL": redis.url,
        # Instances sharing a database share the key of its TOTP secrets.
        "CHATSERVER_TOTP_KEY": Fernet.generate_key().decode(),
    }
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    a = LiveServer(tmp_path / "a" / "data", env=env)
    b = LiveServer(tmp_path / "b" / "data", env=env)
    nginx: Nginx | None = None
    try:
        a.start()
        b.start()
        nginx = Nginx(tmp_path / "nginx", [a.port, b.port]).start()
        yield Cluster(pg_url, redis, a, b, nginx, seed)
    finally:
        if nginx is not None:
            nginx.stop()
        a.stop()
        b.stop()
        redis.stop()
