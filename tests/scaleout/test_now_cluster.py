"""The manager's "now" view across instances: a nurse connected to instance B
counts as online on instance A (through Redis presence), with her chat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from chatserver.settings import Settings
from tests.helpers import Seed, seed_directory
from tests.live import LiveServer
from tests.poll import wait_until_async

from .clients import Participant, endpoint, intake, login_cookie
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
    """Two instances on one PostgreSQL database and one Redis."""
    redis = RedisServer(tmp_path / "redis").start()
    seed = await seed_directory(Settings(data_dir=tmp_path / "seed", database_url=pg_url))
    env = {
        **LIMITS,
        "CHATSERVER_DATABASE_URL": pg_url,
        "CHATSERVER_REDIS_URL": redis.url,
        "CHATSERVER_TOTP_KEY": Fernet.generate_key().decode(),
    }
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    a = LiveServer(tmp_path / "a" / "data", env=env)
    b = LiveServer(tmp_path / "b" / "data", env=env)
    try:
        a.start()
        b.start()
        yield Pair(a, b, seed)
    finally:
        a.stop()
        b.stop()
        redis.stop()


def now_of(server: LiveServer, cookie: str) -> dict[str, Any]:
    r = httpx.get(f"{server.url}/api/stats/now?unit=hc1", headers={"cookie": cookie}, timeout=10)
    assert r.status_code == 200, r.text
    unit: dict[str, Any] = r.json()["units"][0]
    return unit


async def test_staff_on_another_instance_count_as_online(pair: Pair) -> None:
    """nurse1 picks on B; A's now view shows her online with one chat; after her
    socket closes A shows her offline, still holding the chat."""
    contact = intake(endpoint(pair.a))
    nurse = Participant(
        lambda: endpoint(pair.b),
        "staff",
        cookie=login_cookie(endpoint(pair.b), pair.seed["nurse1"]),
    )
    await nurse.connect()
    reply = await nurse.request({"type": "pick", "contact_id": contact["contact_id"]}, "assigned")
    assert reply["contact"]["contact_id"] == contact["contact_id"]
    manager = login_cookie(endpoint(pair.a), pair.seed["manager1"])

    async def online() -> dict[str, Any] | None:
        unit = now_of(pair.a, manager)
        return unit if unit["staff_online"] == 1 else None

    unit = await wait_until_async(online, message="nurse1 online as seen from A")
    assert unit["chats_per_staff"] == [
        {
            "user_id": pair.seed["nurse1"].id,
            "display_name": "Nina Nurse",
            "online": True,
            "chats": 1,
        }
    ]
    assert (unit["waiting"], unit["open_chats"]) == (0, 1)
    await nurse.close()

    async def offline() -> dict[str, Any] | None:
        unit = now_of(pair.a, manager)
        return unit if unit["staff_online"] == 0 else None

    unit = await wait_until_async(offline, message="nurse1 offline as seen from A")
    assert unit["chats_per_staff"][0]["online"] is False
    assert unit["chats_per_staff"][0]["chats"] == 1
