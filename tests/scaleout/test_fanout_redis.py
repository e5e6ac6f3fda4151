"""RedisFanout between two "instances" (two hubs, two fan-outs) on a real Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from chatserver.fanout.redis_pubsub import CLOSE_RESYNC, RedisFanout
from chatserver.metrics import Metrics
from chatserver.storage.base import Message
from chatserver.ws import wire
from chatserver.ws.hub import Hub, TargetKind
from tests.poll import wait_until_async

from .cluster import RedisServer


class RecordingHub(Hub):
    """A real Hub that also records what it was asked to deliver and close."""

    def __init__(self, instance_id: str) -> None:
        super().__init__(Metrics(), instance_id)
        self.delivered: list[tuple[str, Any, wire.ServerFrame, str | None]] = []
        self.closed: list[tuple[str, Any, int, str]] = []

    def deliver(
        self,
        kind: TargetKind,
        key: str | int | None,
        frame: wire.ServerFrame,
        exclude: str | None = None,
    ) -> int:
        self.delivered.append((kind, key, frame, exclude))
        return super().deliver(kind, key, frame, exclude)

    def close_target(self, kind: TargetKind, key: str | int, code: int, reason: str) -> int:
        self.closed.append((kind, key, code, reason))
        return super().close_target(kind, key, code, reason)


class Instance:
    def __init__(self, name: str, url: str) -> None:
        self.hub = RecordingHub(name)
        self.queue_changes: list[str] = []
        self.fanout = RedisFanout(self.hub, self.queue_changes.append, url, instance_id=name)


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    await wait_until_async(check, timeout=timeout, interval=0.01)


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[tuple[RedisServer, Instance, Instance]]:
    redis = RedisServer(tmp_path / "redis").start()
    a, b = Instance("a", redis.url), Instance("b", redis.url)
    await a.fanout.start()
    await b.fanout.start()
    try:
        yield redis, a, b
    finally:
        await a.fanout.stop()
        await b.fanout.stop()
        redis.stop()


async def test_publish_reaches_the_other_instance_once(
    pair: tuple[RedisServer, Instance, Instance],
) -> None:
    """A frame is delivered locally at once and on the other instance via Redis, each once."""
    _, a, b = pair
    frame = wire.MessageFrame(Message("c1", 1, "patient", "P", "p-1", "hej", 0.0))
    await a.fanout.publish("contact", "c1", frame, exclude="a:7")
    await until(lambda: len(b.hub.delivered) == 1)
    assert a.hub.delivered == [("contact", "c1", frame, "a:7")]
    # The other instance relays the frame as serialised here, seq included.
    assert b.hub.delivered == [("contact", "c1", wire.Relayed(wire.to_dict(frame)), "a:7")]
    assert wire.encoded(b.hub.delivered[0][2]) == wire.encoded(frame)
    # a's own envelope comes back to a: it must be ignored. Rather than sleep and hope
    # it came, publish a marker from b after it: one channel, so Redis hands a the two
    # in publish order, and once the marker is delivered a has seen its own envelope.
    marker = wire.TypingFrame("c1", "patient")
    relayed = wire.Relayed(wire.to_dict(marker))
    await b.fanout.publish("user", 3, marker)
    await until(lambda: ("user", 3, relayed, None) in a.hub.delivered)
    assert a.hub.delivered == [("contact", "c1", frame, "a:7"), ("user", 3, relayed, None)]


async def test_queue_changes_and_closes_reach_every_instance(
    pair: tuple[RedisServer, Instance, Instance],
) -> None:
    """queue_changed runs every instance's listener; close_target closes everywhere."""
    _, a, b = pair
    await a.fanout.queue_changed("hc1")
    await b.fanout.close_target("session", "h1", 1008, "session ended")
    await until(lambda: b.queue_changes == ["hc1"] and len(a.hub.closed) == 1)
    assert a.queue_changes == ["hc1"]
    assert a.hub.closed == b.hub.closed == [("session", "h1", 1008, "session ended")]


async def test_redis_restart_resyncs_and_health_follows(
    pair: tuple[RedisServer, Instance, Instance],
) -> None:
    """Redis down: healthy() is False; back: every instance closes its sockets with 1012
    once, is healthy again, and delivery across instances works again."""
    redis, a, b = pair
    assert (await a.fanout.healthy(), await b.fanout.healthy()) == (True, True)
    redis.stop()
    assert (await a.fanout.healthy(), await b.fanout.healthy()) == (False, False)
    redis.start()
    await until(lambda: bool(a.hub.closed) and bool(b.hub.closed))
    await until(lambda: a.fanout.reconnects >= 1 and b.fanout.reconnects >= 1)
    for inst in (a, b):
        assert inst.hub.closed[0] == ("all", "", CLOSE_RESYNC, "resync")

    async def both_healthy() -> bool:
        return await a.fanout.healthy() and await b.fanout.healthy()

    await wait_until_async(both_healthy, timeout=10, interval=0.05)
    typing = wire.TypingFrame("c1", "patient")
    await b.fanout.publish("user", 3, typing)
    await until(lambda: ("user", 3, wire.Relayed(wire.to_dict(typing)), None) in a.hub.delivered)


async def test_a_failed_publish_makes_the_others_resync(
    pair: tuple[RedisServer, Instance, Instance],
) -> None:
    """A publish lost while Redis was away is announced once Redis is back: the other
    instance resyncs its clients even if its own subscription never noticed."""
    redis, a, b = pair
    redis.stop()
    lost = wire.MessageFrame(Message("c9", 5, "patient", "P", "p-5", "hej", 0.0))
    await a.fanout.publish("contact", "c9", lost)
    assert a.hub.delivered[-1][1] == "c9"  # local delivery does not wait for Redis
    redis.start()
    await until(lambda: bool(b.hub.closed))
    assert b.hub.closed[0][2] == CLOSE_RESYNC
