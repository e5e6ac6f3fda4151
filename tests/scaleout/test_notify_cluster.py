"""Notifications across instances: a patient connected to instance B gets no
push for what a nurse on instance A does; once gone from B, A's push reaches
the browser, signed with the VAPID key both instances share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from cryptography.fernet import Fernet

from chatserver.notify.subscription import b64url_encode
from chatserver.presence.redis_shared import PREFIX as PRESENCE_PREFIX
from chatserver.settings import Settings
from tests.helpers import Seed, seed_directory
from tests.live import TIMEOUT_SCALE, LiveServer
from tests.notify.fake_services import FakeServices
from tests.notify.keys import Browser
from tests.poll import wait_until_async

from .clients import Participant, endpoint, intake, login_cookie
from .cluster import RedisServer
from .conftest import LIMITS

pytestmark = pytest.mark.postgres

# How long a push takes at most on a loaded machine (a window for "none came").
PUSH_WAIT_S = 3.0 * TIMEOUT_SCALE


@dataclass
class Pair:
    a: LiveServer
    b: LiveServer
    seed: Seed
    fake: FakeServices
    redis_url: str


@pytest.fixture
def fake() -> Iterator[FakeServices]:
    with FakeServices() as f:
        yield f


@pytest.fixture
async def pair(tmp_path: Path, pg_url: str, fake: FakeServices) -> AsyncIterator[Pair]:
    redis = RedisServer(tmp_path / "redis").start()
    seed = await seed_directory(Settings(data_dir=tmp_path / "seed", database_url=pg_url))
    env = {
        **LIMITS,
        "CHATSERVER_DATABASE_URL": pg_url,
        "CHATSERVER_REDIS_URL": redis.url,
        "CHATSERVER_TOTP_KEY": Fernet.generate_key().decode(),
        # Instances behind one name share the push sender's key.
        "CHATSERVER_VAPID_PRIVATE_KEY": b64url_encode((987654321).to_bytes(32, "big")),
        "CHATSERVER_PUSH_ALLOWED_HOSTS": fake.url,
    }
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    a = LiveServer(tmp_path / "a" / "data", env=env)
    b = LiveServer(tmp_path / "b" / "data", env=env)
    try:
        a.start()
        b.start()
        yield Pair(a, b, seed, fake, redis.url)
    finally:
        a.stop()
        b.stop()
        redis.stop()


async def test_push_only_when_gone_from_every_instance(pair: Pair) -> None:
    """Connected to B: nothing from A. Gone from B: A's next message is pushed."""
    key_a = httpx.get(f"{pair.a.url}/api/push/key").json()["public_key"]
    assert httpx.get(f"{pair.b.url}/api/push/key").json()["public_key"] == key_a
    contact = intake(endpoint(pair.a))
    browser = Browser()
    r = httpx.post(
        f"{pair.a.url}/api/push/subscriptions",
        json=browser.subscription(f"{pair.fake.url}/push/p"),
        headers={"authorization": f"Bearer {contact['patient_token']}"},
    )
    assert r.status_code == 201, r.text
    patient = Participant(lambda: endpoint(pair.b), "patient", token=contact["patient_token"])
    await patient.connect()
    # B announces its sockets to Redis from a background task, and while Redis is
    # "young" (just started empty) nobody's absence is decided (a push too many):
    # wait until both have passed, so A's decision below is about what it can see.
    await wait_until_async(
        lambda: _in_redis(pair.redis_url, contact["contact_id"]), timeout=10 * TIMEOUT_SCALE
    )
    nurse = Participant(
        lambda: endpoint(pair.a),
        "staff",
        cookie=login_cookie(endpoint(pair.a), pair.seed["nurse1"]),
    )
    await nurse.connect()
    reply = await nurse.request({"type": "pick", "contact_id": contact["contact_id"]}, "assigned")
    nurse.contact_id = reply["contact"]["contact_id"]
    seq = await nurse.send("s-1", "Hej, hur mår du?")
    await patient.wait_seq(seq)
    # A window in which something must NOT happen: A's notifier has had time to
    # decide, and the patient is connected on B.
    await asyncio.sleep(PUSH_WAIT_S)
    assert pair.fake.at("/push/p") == []
    await patient.close()

    # Gone from B (told to A through Redis): the next message is pushed.
    n = 1

    async def pushed() -> bool:
        nonlocal n
        if not pair.fake.at("/push/p"):
            n += 1
            await nurse.send(f"s-{n}", "Är du kvar?")
        return bool(pair.fake.at("/push/p"))

    await wait_until_async(pushed, timeout=30 * TIMEOUT_SCALE, interval=PUSH_WAIT_S)
    push = pair.fake.at("/push/p")[0]
    assert browser.decrypt(push.body) == b'{"type":"message","url":"/"}'
    assert push.headers["authorization"].endswith(f", k={key_a}")
    await nurse.close()


async def _in_redis(url: str, contact_id: str) -> bool:
    client = aioredis.from_url(url)
    try:
        if await client.exists(PRESENCE_PREFIX + "young"):
            return False
        for key in await client.keys(PRESENCE_PREFIX + "patient:*"):
            if await client.sismember(key, contact_id):
                return True
        return False
    finally:
        await client.aclose()
