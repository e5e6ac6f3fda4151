"""Absence across instances: two ``chatserver serve`` instances on PostgreSQL +
Redis, short grace times, the real sweeper. A patient or a nurse whose socket
moves from instance A to instance B keeps the chat; someone gone from both
loses it (the control that proves A's sweeper did run)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from chatserver.settings import Settings
from chatserver.storage.base import Contact
from chatserver.storage.postgres import PostgresStorage
from tests.helpers import Seed, seed_directory
from tests.live import TIMEOUT_SCALE, LiveServer
from tests.poll import wait_until_async

from .clients import Participant, endpoint, intake, login_cookie
from .cluster import RedisServer
from .conftest import LIMITS

pytestmark = pytest.mark.postgres

PATIENT_GRACE_S = 30  # the smallest CHATSERVER_PATIENT_GONE_CLOSE_S allowed
STAFF_GRACE_S = 10  # the smallest CHATSERVER_STAFF_GONE_REQUEUE_S allowed
SWEEP_S = 0.5
# The control's grace time, a few sweeps, and a loaded machine.
WAIT_S = (PATIENT_GRACE_S + 30) * TIMEOUT_SCALE


@dataclass
class Pair:
    a: LiveServer
    b: LiveServer
    storage: PostgresStorage
    seed: Seed


@pytest.fixture
async def pair(tmp_path: Path, pg_url: str) -> AsyncIterator[Pair]:
    """Two instances without nginx (clients choose the instance), one Redis."""
    redis = RedisServer(tmp_path / "redis").start()
    seed = await seed_directory(Settings(data_dir=tmp_path / "seed", database_url=pg_url))
    env = {
        **LIMITS,
        "CHATSERVER_DATABASE_URL": pg_url,
        "CHATSERVER_REDIS_URL": redis.url,
        "CHATSERVER_PATIENT_GONE_CLOSE_S": str(PATIENT_GRACE_S),
        "CHATSERVER_STAFF_GONE_REQUEUE_S": str(STAFF_GRACE_S),
        "CHATSERVER_OPERATIONS_SWEEP_S": str(SWEEP_S),
        # Instances sharing a database share the key of its TOTP secrets.
        "CHATSERVER_TOTP_KEY": Fernet.generate_key().decode(),
    }
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    a = LiveServer(tmp_path / "a" / "data", env=env)
    b = LiveServer(tmp_path / "b" / "data", env=env)
    storage = PostgresStorage(pg_url, min_size=1, max_size=2)
    await storage.open()
    try:
        a.start()
        b.start()
        yield Pair(a, b, storage, seed)
    finally:
        await storage.close()
        a.stop()
        b.stop()
        redis.stop()


async def contact(pair: Pair, contact_id: str) -> Contact:
    found = await pair.storage.get_contact(contact_id)
    assert found is not None
    return found


async def until_status(pair: Pair, contact_id: str, status: str) -> float:
    """Wait until the contact has ``status``; the seconds it took."""
    started = time.monotonic()

    async def reached() -> bool:
        return (await contact(pair, contact_id)).status == status

    await wait_until_async(
        reached, timeout=WAIT_S, interval=0.2, message=f"{contact_id} becomes {status}"
    )
    return time.monotonic() - started


async def visit(where: LiveServer, token: str) -> Participant:
    """A patient connected (hello, welcome) to one instance."""
    patient = Participant(lambda: endpoint(where), "patient", token=token)
    await patient.connect()
    return patient


async def test_patient_who_moved_to_another_instance_is_not_closed(pair: Pair) -> None:
    """Gone from A but connected to B: A's sweeper keeps the chat past the grace time,
    while a patient gone from A for good is closed as patient_left."""
    moved, left = intake(endpoint(pair.a)), intake(endpoint(pair.a))
    await (await visit(pair.a, moved["patient_token"])).close()
    await (await visit(pair.a, left["patient_token"])).close()
    on_b = await visit(pair.b, moved["patient_token"])
    # A marked both gone; `moved` first, so A judged it no later than `left`.
    waited = await until_status(pair, left["contact_id"], "closed")
    assert waited >= PATIENT_GRACE_S - 5  # not before the grace time (after the two visits)
    assert (await contact(pair, left["contact_id"])).outcome == "patient_left"
    # A window in which something must NOT happen (no sweep counter to poll): a few
    # more sweeps of A, and the moved patient's chat is still open.
    await asyncio.sleep(4 * SWEEP_S)
    kept = await contact(pair, moved["contact_id"])
    assert (kept.status, kept.outcome) == ("queued", None)
    assert on_b.frames == []  # no `closed` came to the patient
    await on_b.close()


async def test_nurse_whose_socket_moved_keeps_her_contact(pair: Pair) -> None:
    """nurse1's socket moves from A to B: her contact stays assigned past the grace time,
    while the contact of nurse2, gone from A for good, is requeued."""
    kept, requeued = intake(endpoint(pair.a)), intake(endpoint(pair.a))
    nurses = []
    for account, picked in ((pair.seed["nurse1"], kept), (pair.seed["nurse2"], requeued)):
        nurse = Participant(
            lambda: endpoint(pair.a), "staff", cookie=login_cookie(endpoint(pair.a), account)
        )
        await nurse.connect()
        pick = {"type": "pick", "contact_id": picked["contact_id"]}
        reply = await nurse.request(pick, "assigned")
        assert reply["contact"]["contact_id"] == picked["contact_id"]
        nurses.append(nurse)
    nurse1, nurse2 = nurses
    await nurse1.close()
    await nurse2.close()
    nurse1.where = lambda: endpoint(pair.b)
    await nurse1.connect()
    await until_status(pair, requeued["contact_id"], "queued")
    # A window in which something must NOT happen: a few more sweeps of A, and
    # nurse1's contact is still hers.
    await asyncio.sleep(4 * SWEEP_S)
    still = await contact(pair, kept["contact_id"])
    assert (still.status, still.assigned_user_id) == ("assigned", pair.seed["nurse1"].id)
    assert [f["type"] for f in nurse1.frames if f["type"] == "transferred"] == []
    await nurse1.close()
