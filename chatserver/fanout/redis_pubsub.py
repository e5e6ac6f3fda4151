"""Fan-out across instances through Redis pub/sub (``CHATSERVER_REDIS_URL``).

Every instance publishes envelopes on one channel and subscribes to it; each
delivers to its own sockets through its :class:`~chatserver.ws.hub.Hub`. Local
targets are served straight away (no Redis round trip, and a Redis outage
does not stop a conversation held on one instance); envelopes an instance
published itself are ignored when they come back.

The database stays the source of truth. Pub/sub is fire-and-forget, so
frames published while an instance was cut off from Redis never reach it.
When its subscription comes back (reconnect with exponential backoff), or
when another instance announces that one of its publishes failed, the
instance therefore closes its local WebSockets with 1012 ("service restart"):
clients reconnect and resync by ``seq`` (patient ``hello.last_seq``, staff
``sync``) and get fresh queues in their ``welcome``. Nothing is lost or doubled.

One Redis restart makes one such wave per instance, not two or three:

* on every resubscription the idle pooled connections (sockets to the old
  server) are dropped first, so the first publishes afterwards do not fail
  or reconnect on them;
* the reconnect callback is taken off the subscription's connection before
  that connection goes back to the pool (redis-py keeps it on the connection:
  each later reconnect of a publish on it used to start another wave);
* a failed publish is announced with the Redis ``run_id`` it last saw. An
  instance whose subscription has since been re-established on another Redis
  (a restart) has already resynced after that publish failed, and skips it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from chatserver.logs import get_logger
from chatserver.ws.hub import Hub, TargetKind
from chatserver.ws.wire import Relayed, ServerFrame, to_dict

__all__ = ["CHANNEL", "CLOSE_RESYNC", "RedisFanout"]

log = get_logger("chatserver.fanout.redis_pubsub")

CHANNEL = "chatserver:fanout"
# Standard WebSocket close code "Service Restart": reconnect, then resync by seq.
CLOSE_RESYNC = 1012
BACKOFF_MIN_S = 0.1
BACKOFF_MAX_S = 5.0
# Redis answers a PING in well under a millisecond; a second means trouble.
PING_TIMEOUT_S = 1.0
STOP_TIMEOUT_S = 2.0


class RedisFanout:
    """:class:`~chatserver.fanout.local.Fanout` over Redis pub/sub."""

    def __init__(
        self,
        hub: Hub,
        on_queue_change: Callable[[str], None],
        url: str,
        *,
        instance_id: str,
    ) -> None:
        self.hub = hub
        self._on_queue_change = on_queue_change
        self.url = url
        self.instance_id = instance_id
        self._client: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None
        self._announcer: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self.reconnects = 0  # subscriptions re-established after a failure
        self.resyncs = 0  # times this instance closed its sockets to resync (tests)
        # The run_id of the Redis server the subscription is on (None: unknown),
        # and the one known when a publish first failed (sent with the announcement).
        self._epoch: str | None = None
        self._failed_epoch: str | None = None
        self._gap_task: asyncio.Task[None] | None = None

    # -- life cycle ----------------------------------------------------------
    async def start(self) -> None:
        self._client = aioredis.Redis.from_url(
            self.url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=5
        )
        self._task = asyncio.get_running_loop().create_task(self._listen())
        # Start serving even when Redis is down: local delivery still works and
        # /readyz says "not ready" until the subscription is up.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=5)

    async def stop(self) -> None:
        # Bounded: a Redis that does not answer must not hold up shutdown.
        for task in (self._announcer, self._gap_task, self._task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, STOP_TIMEOUT_S)
        self._announcer = self._gap_task = self._task = None
        if self._client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._client.aclose(), STOP_TIMEOUT_S)
            self._client = None

    # -- Fanout ----------------------------------------------------------------
    async def publish(
        self,
        kind: TargetKind,
        key: str | int | None,
        frame: ServerFrame,
        exclude: str | None = None,
    ) -> None:
        self.hub.deliver(kind, key, frame, exclude)
        envelope = {
            "op": "deliver",
            "kind": kind,
            "key": key,
            "frame": to_dict(frame),
            "ex": exclude,
        }
        await self._send(envelope)

    async def queue_changed(self, unit_id: str) -> None:
        self._on_queue_change(unit_id)
        await self._send({"op": "queue", "unit": unit_id})

    async def close_target(self, kind: TargetKind, key: str | int, code: int, reason: str) -> None:
        self.hub.close_target(kind, key, code, reason)
        await self._send({"op": "close", "kind": kind, "key": key, "code": code, "reason": reason})

    async def healthy(self) -> bool:
        if self._client is None or not self._subscribed.is_set():
            return False
        try:
            return bool(await asyncio.wait_for(self._client.ping(), PING_TIMEOUT_S))
        except (RedisError, OSError, TimeoutError):
            return False

    # -- internals -------------------------------------------------------------
    async def _send(self, envelope: dict[str, Any]) -> None:
        if self._client is None:
            return
        if not self._subscribed.is_set():
            # A known outage: do not make the sender wait for connect attempts
            # (its ack waits for this call); the others resync afterwards.
            self._schedule_announce()
            return
        envelope["from"] = self.instance_id
        try:
            await self._client.publish(CHANNEL, orjson.dumps(envelope))
        except (RedisError, OSError) as exc:
            # The other instances miss this frame, perhaps without noticing any
            # outage themselves: once Redis takes publishes again, tell them to
            # resync their clients. Never log the frame (patient data).
            log.warning("redis_publish_failed", error=type(exc).__name__)
            with contextlib.suppress(Exception):
                # Drop stale idle sockets, not the subscription's (in use).
                await self._client.connection_pool.disconnect(inuse_connections=False)
            self._schedule_announce()

    def _schedule_announce(self) -> None:
        if self._announcer is None or self._announcer.done():
            self._failed_epoch = self._epoch
            self._announcer = asyncio.get_running_loop().create_task(self._announce_resync())

    async def _announce_resync(self) -> None:
        """Publish a resync request (with backoff) until Redis accepts it."""
        delay = BACKOFF_MIN_S
        envelope = orjson.dumps(
            {"op": "resync", "from": self.instance_id, "epoch": self._failed_epoch}
        )
        while self._client is not None:
            await asyncio.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311
            try:
                await self._client.publish(CHANNEL, envelope)
                return
            except (RedisError, OSError):
                delay = min(delay * 2, BACKOFF_MAX_S)

    def _dispatch(self, envelope: dict[str, Any]) -> None:
        if envelope.get("from") == self.instance_id:
            return
        op = envelope.get("op")
        if op == "deliver":
            frame = Relayed(envelope["frame"])
            self.hub.deliver(envelope["kind"], envelope["key"], frame, envelope["ex"])
        elif op == "queue":
            self._on_queue_change(str(envelope["unit"]))
        elif op == "resync":
            epoch = envelope.get("epoch")
            if epoch is not None and self._epoch is not None and epoch != self._epoch:
                # Lost on a Redis server that has restarted since: this instance
                # resubscribed to the new one, and resynced, after that loss.
                log.info("redis_resync_skipped", reason="older_server")
                return
            self._resync_local()
        elif op == "close":
            self.hub.close_target(
                envelope["kind"], envelope["key"], int(envelope["code"]), str(envelope["reason"])
            )

    def _resync_local(self) -> None:
        """Frames may have been missed: make every local client resync from the
        database (a reconnecting dashboard gets fresh queues in its welcome).

        Never skipped: every gap in the subscription, and every frame another
        instance failed to publish, may hide a frame that clients already
        reconnected after an earlier resync have not seen."""
        self.resyncs += 1
        closed = self.hub.close_target("all", "", CLOSE_RESYNC, "resync")
        log.warning("redis_resync", closed=closed, reconnects=self.reconnects)

    async def _reconnected(self, connection: object) -> None:
        """redis-py reconnected (and resubscribed) the subscription by itself."""
        self._epoch = None  # unknown until asked: announcements are not skipped
        if self._gap_task is None or self._gap_task.done():
            self._gap_task = asyncio.get_running_loop().create_task(self._after_gap())

    async def _after_gap(self) -> None:
        """The subscription is back after a gap: drop the pool's idle sockets
        (to the old server), learn which server this is, resync local clients once."""
        self.reconnects += 1
        if self._client is not None:
            with contextlib.suppress(Exception):
                await self._client.connection_pool.disconnect(inuse_connections=False)
        await self._learn_epoch()
        self._resync_local()

    async def _learn_epoch(self) -> None:
        self._epoch = None
        if self._client is None:
            return
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            info = await asyncio.wait_for(self._client.info("server"), PING_TIMEOUT_S)
            run_id = info.get("run_id")
            self._epoch = str(run_id) if run_id else None

    async def _listen(self) -> None:
        delay = BACKOFF_MIN_S
        failed = False
        while True:
            assert self._client is not None
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            connection: Any = None
            try:
                await pubsub.subscribe(CHANNEL)
                # redis-py reconnects and resubscribes a PubSub by itself on a
                # dropped connection: hear about it, since frames may be lost.
                connection = pubsub.connection
                if connection is not None:
                    connection.register_connect_callback(self._reconnected)
                if failed:
                    await self._after_gap()
                else:
                    await self._learn_epoch()
                self._subscribed.set()
                failed = False
                delay = BACKOFF_MIN_S
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    try:
                        self._dispatch(orjson.loads(message["data"]))
                    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                        log.warning("redis_bad_envelope")
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if not failed:
                    log.warning("redis_subscription_lost", error=type(exc).__name__)
                failed = True
                self._subscribed.clear()
                # The pool's idle sockets are to the server just lost: a new
                # subscription must not take one (SUBSCRIBE is written without
                # waiting for an answer, so it would "succeed" and fail again
                # at the next read: a second wave).
                with contextlib.suppress(Exception):
                    await self._client.connection_pool.disconnect(inuse_connections=False)
            finally:
                # The connection goes back to the pool for publishes: without the
                # callback, or each reconnect of a publish would resync again.
                if connection is not None:
                    connection.deregister_connect_callback(self._reconnected)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            if failed:
                # Jittered exponential backoff: instances do not reconnect in lockstep.
                await asyncio.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311
                delay = min(delay * 2, BACKOFF_MAX_S)
