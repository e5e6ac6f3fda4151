"""Presence across instances in Redis (``CHATSERVER_REDIS_URL``).

Keys (``chatserver:presence:`` prefix; only opaque contact ids and staff user
ids, never names or tokens):

- ``instances`` — hash: instance id → time of its last heartbeat;
- ``alive:<instance>`` — present while the instance beats (expires after
  ``alive_ttl_s``: a SIGKILLed instance stops counting within seconds);
- ``patient:<instance>``, ``staff:<instance>`` — sets of the contact ids /
  user ids with at least one connection on that instance;
- ``left:patient:<id>``, ``left:staff:<id>`` — the latest time a last
  connection of the person on some instance closed;
- ``epoch`` and ``young`` — ``young`` lives ``alive_ttl_s`` after ``epoch`` was
  created, i.e. after Redis started empty: until every live instance has
  beaten once, nobody's absence is decided.

A person in the set of a dead instance counts as connected until that
instance's last heartbeat. Entries of a dead instance are kept ``retain_s``
(longer than any grace time), then pruned by whoever sees them.

Writes are queued by :meth:`RedisPresence.changed` (called from the socket
handlers, never waiting) and sent by one background task, together with the
heartbeat. After any failure, and when the heartbeat finds its registration
gone (Redis restarted), the instance rewrites its sets from its own counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from chatserver.logs import get_logger
from chatserver.presence.local import Kind, Orphans, PresenceUnknown, Seen

__all__ = ["INSTANCES", "PREFIX", "RedisPresence"]

log = get_logger("chatserver.presence.redis_shared")

PREFIX = "chatserver:presence:"
INSTANCES = PREFIX + "instances"
EPOCH = PREFIX + "epoch"
YOUNG = PREFIX + "young"
KINDS: tuple[Kind, ...] = ("patient", "staff")
# A beat every 2 s and 6 s of life: an instance must miss three beats (a
# stalled event loop, not one slow tick) to count as dead; a dead one stops
# counting 6 s after its last beat.
HEARTBEAT_S = 2.0
ALIVE_TTL_S = 6.0
# Redis answers in well under a millisecond; two seconds means trouble.
OP_TIMEOUT_S = 2.0
START_WAIT_S = 2.0
STOP_TIMEOUT_S = 2.0
BACKOFF_MIN_S = 0.1
# Retries never wait longer than a third of the alive TTL: after Redis comes
# back empty, every live instance re-registers well within the ``young``
# period (one alive TTL), before anyone decides on absence again.
BACKOFF_MAX_S = 5.0

# Creates ``epoch`` and, only when it did not exist (Redis started empty),
# ``young`` with a TTL: atomically, so no reader sees one without the other.
_EPOCH_SCRIPT = """
if redis.call('SET', KEYS[1], '1', 'NX') then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
end
return 1
"""
# Keeps the latest disconnect time: instances flush in any order.
_LEFT_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if not current or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _alive(instance: str) -> str:
    return f"{PREFIX}alive:{instance}"


def _members(kind: Kind, instance: str) -> str:
    return f"{PREFIX}{kind}:{instance}"


def _left(kind: Kind, key: str) -> str:
    return f"{PREFIX}left:{kind}:{key}"


class RedisPresence:
    """:class:`~chatserver.presence.local.SharedPresence` in Redis."""

    def __init__(
        self,
        url: str,
        *,
        instance_id: str,
        clock: Callable[[], float],
        retain_s: float,
        heartbeat_s: float = HEARTBEAT_S,
        alive_ttl_s: float = ALIVE_TTL_S,
    ) -> None:
        self.url = url
        self.instance_id = instance_id
        self.clock = clock
        self.retain_ms = int(retain_s * 1000)
        self.heartbeat_s = heartbeat_s
        self.alive_ttl_ms = int(alive_ttl_s * 1000)
        self.backoff_max_s = min(BACKOFF_MAX_S, alive_ttl_s / 3)
        self._snapshot: Callable[[Kind], list[str]] = lambda _kind: []
        self._pending: dict[tuple[Kind, str], tuple[bool, float]] = {}
        self._wake = asyncio.Event()
        self._registered = asyncio.Event()
        self._client: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._adopted: dict[str, float] = {}  # dead instance → heartbeat already reported

    # -- SharedPresence -----------------------------------------------------------
    def attach(self, snapshot: Callable[[Kind], list[str]]) -> None:
        self._snapshot = snapshot

    def changed(self, kind: Kind, key: str, connected: bool, at: float) -> None:
        self._pending[kind, key] = (connected, at)
        self._wake.set()

    async def start(self) -> None:
        self._client = aioredis.Redis.from_url(
            self.url, socket_connect_timeout=OP_TIMEOUT_S, socket_timeout=OP_TIMEOUT_S
        )
        self._task = asyncio.get_running_loop().create_task(self._run())
        # Serve even when Redis is down: absence decisions simply wait.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._registered.wait(), START_WAIT_S)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._task, STOP_TIMEOUT_S)
            self._task = None
        if self._client is None:
            return
        # A clean stop is an announced death: the others judge the people
        # still connected here as gone from now on (and adopt them).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._flush(full=False, beat=False), STOP_TIMEOUT_S)
            pipe = self._client.pipeline(transaction=True)
            pipe.hset(INSTANCES, self.instance_id, repr(self.clock()))
            pipe.delete(_alive(self.instance_id))
            await asyncio.wait_for(pipe.execute(), STOP_TIMEOUT_S)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._client.aclose(), STOP_TIMEOUT_S)
        self._client = None

    async def seen(self, kind: Kind, keys: Sequence[str]) -> dict[str, Seen]:
        try:
            return await asyncio.wait_for(self._seen(kind, keys), OP_TIMEOUT_S)
        except (RedisError, OSError, TimeoutError) as exc:
            raise PresenceUnknown(f"redis: {type(exc).__name__}") from exc

    async def orphans(self) -> list[Orphans]:
        try:
            return await asyncio.wait_for(self._orphans(), OP_TIMEOUT_S)
        except (RedisError, OSError, TimeoutError) as exc:
            raise PresenceUnknown(f"redis: {type(exc).__name__}") from exc

    # -- reading ------------------------------------------------------------------
    async def _others(self) -> tuple[dict[str, float], dict[str, bool]]:
        """Every other registered instance: last heartbeat, and whether alive."""
        client = self._require()
        raw = await client.hgetall(INSTANCES)
        beats = {_text(k): float(v) for k, v in raw.items() if _text(k) != self.instance_id}
        pipe = client.pipeline(transaction=False)
        for instance in beats:
            pipe.exists(_alive(instance))
        flags = await pipe.execute()
        return beats, {i: bool(f) for i, f in zip(beats, flags, strict=True)}

    async def _seen(self, kind: Kind, keys: Sequence[str]) -> dict[str, Seen]:
        client = self._require()
        pipe = client.pipeline(transaction=False)
        pipe.exists(EPOCH)
        pipe.exists(YOUNG)
        pipe.mget([_left(kind, k) for k in keys])
        epoch, young, lefts = await pipe.execute()
        if not epoch or young:
            raise PresenceUnknown("redis started empty; instances are registering")
        beats, alive = await self._others()
        pipe = client.pipeline(transaction=False)
        for instance in beats:
            pipe.smismember(_members(kind, instance), list(keys))
        members = dict(zip(beats, await pipe.execute(), strict=True))
        out: dict[str, Seen] = {}
        for i, key in enumerate(keys):
            holders = [inst for inst, flags in members.items() if flags[i]]
            connected = any(alive[inst] for inst in holders)
            times = [beats[inst] for inst in holders if not alive[inst]]
            if lefts[i] is not None:
                times.append(float(lefts[i]))
            out[key] = Seen(connected=connected, left_at=max(times) if times else None)
        return out

    async def _orphans(self) -> list[Orphans]:
        client = self._require()
        beats, alive = await self._others()
        now = self.clock()
        found: list[Orphans] = []
        for instance, at in beats.items():
            if alive[instance] or self._adopted.get(instance) == at:
                continue
            if now - at > self.retain_ms / 1000:
                # Long dead: every grace time has passed; forget it.
                pipe = client.pipeline(transaction=True)
                pipe.hdel(INSTANCES, instance)
                pipe.delete(*(_members(kind, instance) for kind in KINDS))
                await pipe.execute()
                continue
            pipe = client.pipeline(transaction=False)
            for kind in KINDS:
                pipe.smembers(_members(kind, instance))
            patients, staff = await pipe.execute()
            self._adopted[instance] = at
            found.append(
                Orphans(
                    instance_id=instance,
                    at=at,
                    patients=sorted(_text(p) for p in patients),
                    staff=sorted(_text(s) for s in staff),
                )
            )
        return found

    # -- writing ------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        full = True
        failing = False
        delay = BACKOFF_MIN_S
        while True:
            try:
                # A heartbeat that finds its registration gone means Redis lost
                # its data (or took us for dead): rewrite our sets at once.
                while await self._flush(full=full, beat=True):
                    full = True
                full = False
                self._registered.set()
                if failing:
                    log.info("presence_redis_back")
                    failing = False
                delay = BACKOFF_MIN_S
                deadline = loop.time() + self.heartbeat_s
                while (remaining := deadline - loop.time()) > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), remaining)
                    self._wake.clear()
                    if self._pending:
                        await self._flush(full=False, beat=False)
            except (RedisError, OSError, TimeoutError) as exc:
                if not failing:
                    log.warning("presence_redis_failed", error=type(exc).__name__)
                failing = True
                full = True  # what we wrote meanwhile may be lost
                # Jittered exponential backoff: instances do not retry in lockstep.
                await asyncio.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311
                delay = min(delay * 2, self.backoff_max_s)

    async def _flush(self, *, full: bool, beat: bool) -> bool:
        """Send the queued changes (and the heartbeat, and with ``full`` this
        instance's whole sets). True when the heartbeat found us unregistered."""
        client = self._require()
        pending, self._pending = self._pending, {}
        try:
            pipe = client.pipeline(transaction=True)
            if beat:
                pipe.set(_alive(self.instance_id), b"1", px=self.alive_ttl_ms, get=True)
                pipe.hset(INSTANCES, self.instance_id, repr(self.clock()))
                pipe.eval(_EPOCH_SCRIPT, 2, EPOCH, YOUNG, self.alive_ttl_ms)
            for kind in KINDS:
                key = _members(kind, self.instance_id)
                if full:
                    pipe.delete(key)
                    if people := self._snapshot(kind):
                        pipe.sadd(key, *people)
                for (k, person), (connected, at) in pending.items():
                    if k != kind:
                        continue
                    if connected:
                        pipe.sadd(key, person)
                    else:
                        pipe.srem(key, person)
                        pipe.eval(_LEFT_SCRIPT, 1, _left(kind, person), repr(at), self.retain_ms)
                pipe.pexpire(key, self.retain_ms)
            results: list[Any] = await asyncio.wait_for(pipe.execute(), OP_TIMEOUT_S)
        except BaseException:
            # Not sent: keep them, unless a newer change of the same person came.
            self._pending = {**pending, **self._pending}
            raise
        return beat and results[0] is None

    def _require(self) -> aioredis.Redis:
        if self._client is None:
            raise PresenceUnknown("not started")
        return self._client
