"""Presence across instances on a real Redis: two (or three) Presence objects
with a RedisPresence each, one controlled clock, a real redis-server; one
"instance" is a real process killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from chatserver.presence.local import Kind, Presence, PresenceUnknown, Seen
from chatserver.presence.redis_shared import INSTANCES, PREFIX, RedisPresence
from tests.live import TIMEOUT_SCALE
from tests.operations.util import Clock
from tests.poll import wait_until_async

from .cluster import RedisServer

GRACE_S = 900.0
# Fast beats so that a dead instance stops counting within a second here.
BEAT_S = 0.1
ALIVE_S = 0.5
WAIT_S = 10.0
RETAIN_S = 3600.0


def instance(name: str, url: str, clock: Clock) -> Presence:
    shared = RedisPresence(
        url,
        instance_id=name,
        clock=clock,
        retain_s=RETAIN_S,
        heartbeat_s=BEAT_S,
        alive_ttl_s=ALIVE_S,
    )
    return Presence(clock, shared)


def shared_of(p: Presence) -> RedisPresence:
    assert isinstance(p.shared, RedisPresence)
    return p.shared


async def until(check: Callable[[], Awaitable[bool]], timeout: float = WAIT_S) -> None:
    await wait_until_async(check, timeout=timeout, interval=0.02)


async def seen_by(p: Presence, kind: Kind, key: str) -> Seen | None:
    """What ``p`` learns of a person from the others (None: not knowable now)."""
    try:
        return (await shared_of(p).seen(kind, [key]))[key]
    except PresenceUnknown:
        return None


async def connected_elsewhere(p: Presence, kind: Kind, key: str) -> bool:
    seen = await seen_by(p, kind, key)
    return seen is not None and seen.connected


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())


@pytest.fixture
async def pair(redis: RedisServer, clock: Clock) -> AsyncIterator[tuple[Presence, Presence]]:
    a, b = instance("a", redis.url, clock), instance("b", redis.url, clock)
    await a.start()
    await b.start()
    # Redis started empty: nothing is decided until every instance has beaten.
    await until(lambda: _knowable(a))
    try:
        yield a, b
    finally:
        await a.stop()
        await b.stop()


async def _knowable(p: Presence) -> bool:
    return await seen_by(p, "patient", "nobody") is not None


async def test_patient_connected_on_another_instance_is_not_due(
    pair: tuple[Presence, Presence], clock: Clock
) -> None:
    """Gone from A, connected on B: A's sweep after the grace time drops the mark, does not act."""
    a, b = pair
    a.patient_back("c1")
    a.patient_gone("c1")
    b.patient_back("c1")
    await until(lambda: connected_elsewhere(a, "patient", "c1"))
    clock.advance(GRACE_S)
    assert await a.patients_due(GRACE_S) == []
    assert a.patients_gone_longer_than(0) == []


async def test_patient_gone_everywhere_is_due(
    pair: tuple[Presence, Presence], clock: Clock
) -> None:
    """Gone from A and never seen elsewhere: due after exactly the grace time, once."""
    a, _ = pair
    a.patient_back("c1")
    a.patient_gone("c1")
    clock.advance(GRACE_S - 1)
    assert await a.patients_due(GRACE_S) == []
    clock.advance(1)
    assert await a.patients_due(GRACE_S) == ["c1"]
    assert await a.patients_due(GRACE_S) == []


async def test_grace_time_runs_from_the_last_disconnect_anywhere(
    pair: tuple[Presence, Presence], clock: Clock
) -> None:
    """Left A at t, left B at t+200: A acts at t+200+grace, not at t+grace."""
    a, b = pair
    a.patient_back("c1")
    a.patient_gone("c1")
    clock.advance(100)
    b.patient_back("c1")
    clock.advance(100)
    left_b = clock()
    b.patient_gone("c1")
    await until(lambda: _left_at(a, "c1", left_b))
    clock.advance(GRACE_S - 200)
    assert await a.patients_due(GRACE_S) == []
    assert a.patients_gone_longer_than(GRACE_S - 200) == ["c1"]  # the mark moved to t+200
    clock.advance(199)
    assert await a.patients_due(GRACE_S) == []
    clock.advance(1)
    assert await a.patients_due(GRACE_S) == ["c1"]


async def _left_at(p: Presence, key: str, at: float) -> bool:
    seen = await seen_by(p, "patient", key)
    return seen == Seen(connected=False, left_at=at)


async def test_staff_connected_on_another_instance_keeps_her_contacts(
    pair: tuple[Presence, Presence], clock: Clock
) -> None:
    """A nurse whose socket moved from A to B is not due on A; gone from both, she is."""
    a, b = pair
    a.staff_back(7)
    a.staff_gone(7)
    b.staff_back(7)
    await until(lambda: connected_elsewhere(a, "staff", "7"))
    clock.advance(120)
    assert await a.staff_due(120) == []
    b.staff_gone(7)
    await until(lambda: _staff_left(a, 7))
    clock.advance(120)
    assert await b.staff_due(120) == [7]
    assert await a.staff_due(120) == []  # A has no mark any more: B acted


async def _staff_left(p: Presence, user_id: int) -> bool:
    seen = await seen_by(p, "staff", str(user_id))
    return seen is not None and not seen.connected and seen.left_at is not None


async def test_redis_down_means_no_action_until_it_is_back(
    redis: RedisServer, pair: tuple[Presence, Presence], clock: Clock
) -> None:
    """Redis unreachable (then restarted empty): nothing is due and the mark is kept; then it is."""
    a, b = pair
    a.patient_back("c1")
    a.patient_gone("c1")
    b.patient_back("c2")
    await until(lambda: connected_elsewhere(a, "patient", "c2"))
    redis.stop()
    clock.advance(GRACE_S)
    assert await a.patients_due(GRACE_S) == []
    assert a.patients_gone_longer_than(0) == ["c1"]
    redis.start()  # empty: B's connection must be registered again before anyone decides
    a.patient_back("c2")
    a.patient_gone("c2")
    clock.advance(GRACE_S)
    await until(lambda: connected_elsewhere(a, "patient", "c2"))
    assert sorted(await a.patients_due(GRACE_S)) == ["c1"]


async def test_instance_stopped_cleanly_hands_its_people_over(
    pair: tuple[Presence, Presence], clock: Clock
) -> None:
    """B stops with a patient and a nurse connected: A adopts them, gone since B's stop."""
    a, b = pair
    b.patient_back("c1")
    b.staff_back(7)
    await until(lambda: connected_elsewhere(a, "staff", "7"))
    stopped = clock.advance(10)
    await b.stop()
    assert await a.adopt_orphans() == 2
    assert await a.adopt_orphans() == 0  # reported once
    clock.advance(GRACE_S - 1)
    assert await a.patients_due(GRACE_S) == []
    assert await a.staff_due(120) == [7]
    clock.set(stopped + GRACE_S)
    assert await a.patients_due(GRACE_S) == ["c1"]


async def test_long_dead_instance_is_forgotten(
    redis: RedisServer, pair: tuple[Presence, Presence], clock: Clock
) -> None:
    """An instance stopped longer than the retention time: its entries are deleted, not adopted."""
    a, b = pair
    b.patient_back("c1")
    await until(lambda: connected_elsewhere(a, "patient", "c1"))
    await b.stop()
    clock.advance(RETAIN_S + 1)
    assert await a.adopt_orphans() == 0
    client = aioredis.Redis.from_url(redis.url)
    try:
        assert await client.hkeys(INSTANCES) == [b"a"]
        assert await client.exists(f"{PREFIX}patient:b") == 0
    finally:
        await client.aclose()


KILLED = """
import asyncio, sys, time
from chatserver.presence.local import Presence
from chatserver.presence.redis_shared import RedisPresence

async def main() -> None:
    shared = RedisPresence(sys.argv[1], instance_id="b", clock=time.time, retain_s=3600,
                           heartbeat_s=float(sys.argv[2]), alive_ttl_s=float(sys.argv[3]))
    p = Presence(time.time, shared)
    p.patient_back("c1")
    p.staff_back(7)
    await p.start()
    print("ready", flush=True)
    await asyncio.sleep(3600)  # beat until the test kills this process (SIGKILL)

asyncio.run(main())
"""


async def test_killed_instance_stops_counting_within_seconds(
    redis: RedisServer, clock: Clock
) -> None:
    """SIGKILL of an instance: within its alive TTL its people are no longer connected,
    judged gone since its last beat, and adopted by the survivor."""
    a = instance("a", redis.url, clock)
    await a.start()
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, redis.url, str(BEAT_S), str(ALIVE_S)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"
        await until(lambda: connected_elsewhere(a, "patient", "c1"))
        a.patient_back("c1")
        a.patient_gone("c1")  # an older mark on A
        killed_at = time.time()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        started = time.monotonic()
        await until(lambda: _not_connected(a, "patient", "c1"))
        # The alive limit plus polling slack on a loaded CI machine.
        assert time.monotonic() - started <= ALIVE_S + 3.0 * TIMEOUT_SCALE
        seen = await seen_by(a, "staff", "7")
        assert seen is not None
        assert seen.connected is False
        assert seen.left_at is not None
        assert killed_at - 1.0 <= seen.left_at <= killed_at  # B's last heartbeat
        assert await a.adopt_orphans() == 1  # the nurse; the patient had a mark already
        clock.set(seen.left_at + 119)
        assert await a.staff_due(120) == []
        clock.set(seen.left_at + 120)
        assert await a.staff_due(120) == [7]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        await a.stop()


async def _not_connected(p: Presence, kind: Kind, key: str) -> bool:
    seen = await seen_by(p, kind, key)
    return seen is not None and not seen.connected


async def test_single_instance_needs_no_redis(clock: Clock) -> None:
    """Without Redis: a mark past the grace time is due, a local connection is not."""
    p = Presence(clock)
    p.patient_back("c1")
    p.patient_gone("c1")
    p.patient_back("c2")
    clock.advance(GRACE_S)
    assert await p.patients_due(GRACE_S) == ["c1"]
    assert await p.adopt_orphans() == 0


async def test_patients_away_asks_every_instance(
    pair: tuple[Presence, Presence], clock: Clock
) -> None:
    """What a nurse is told at a pick or welcome (issue 17): a patient connected
    on another instance is not away; one gone everywhere is, since the latest
    time known connected; one never seen, since now."""
    a, b = pair
    a.patient_back("here")
    b.patient_back("there")
    a.patient_back("left")
    a.patient_gone("left")
    left_at = clock()
    await until(lambda: connected_elsewhere(a, "patient", "there"))
    clock.advance(30)
    away = await a.patients_away(["here", "there", "left", "never"])
    assert away == {"left": left_at, "never": clock()}
    assert await a.patients_away(["here"]) == {}
    # B saw "left" later than A: the later time counts.
    b.patient_back("left")
    b.patient_gone("left")
    later = clock()
    await until(lambda: _left_at(a, "left", later))
    assert (await a.patients_away(["left"]))["left"] == later


async def _left_at(p: Presence, key: str, at: float) -> bool:
    seen = await seen_by(p, "patient", key)
    return seen is not None and seen.left_at == at


async def test_patients_away_on_one_instance_uses_its_own_marks(clock: Clock) -> None:
    p = Presence(clock)
    p.patient_back("c1")
    p.patient_gone("c1")
    gone = clock()
    clock.advance(5)
    p.patient_back("c2")
    assert await p.patients_away(["c1", "c2", "c3"]) == {"c1": gone, "c3": clock()}
