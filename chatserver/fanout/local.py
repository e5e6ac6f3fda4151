"""Fan-out of frames to connections, on this instance or on all of them.

:class:`LocalFanout` (the default) delivers straight to this process's
:class:`~chatserver.ws.hub.Hub`. A Redis implementation publishes the same
envelopes so that every instance delivers to its own sockets; the database
stays the source of truth and clients resync by ``seq`` after any gap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from chatserver.ws.hub import Hub, TargetKind
from chatserver.ws.wire import ServerFrame

QueueListener = Callable[[str], Awaitable[None] | None]


class Fanout(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(
        self,
        kind: TargetKind,
        key: str | int | None,
        frame: ServerFrame,
        exclude: str | None = None,
    ) -> None:
        """Deliver ``frame`` to every connection of the target, on every instance."""

    async def queue_changed(self, unit_id: str) -> None:
        """Tell every instance that the waiting room of a unit changed."""

    async def close_target(self, kind: TargetKind, key: str | int, code: int, reason: str) -> None:
        """Close every connection of a target on every instance."""

    async def healthy(self) -> bool: ...


class LocalFanout:
    """In-process fan-out: one instance, no broker."""

    def __init__(self, hub: Hub, on_queue_change: Callable[[str], None]) -> None:
        self.hub = hub
        self._on_queue_change = on_queue_change

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(
        self,
        kind: TargetKind,
        key: str | int | None,
        frame: ServerFrame,
        exclude: str | None = None,
    ) -> None:
        self.hub.deliver(kind, key, frame, exclude)

    async def queue_changed(self, unit_id: str) -> None:
        self._on_queue_change(unit_id)

    async def close_target(self, kind: TargetKind, key: str | int, code: int, reason: str) -> None:
        self.hub.close_target(kind, key, code, reason)

    async def healthy(self) -> bool:
        return True
