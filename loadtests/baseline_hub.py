"""The pure relay core shared by both baseline servers: frames in, frames out, no I/O.

The baselines speak a subset of the service's wire protocol (PROTOCOL.md) so the
load generator drives them with the same frames:

- ``{"type": "hello", "token", "side"?}`` → ``{"type": "welcome", ...}``; ``side`` is
  ``patient`` (default), ``staff`` or ``watcher``; ``token`` names the pair.
- ``{"type": "message", "client_id", "body", "contact_id"?}`` → ``ack`` to the sender
  and ``message`` (with the pair's next ``seq``) to every other connection of the pair.
- ``{"type": "arrive"}`` / ``{"type": "leave"}`` change a waiting count and push
  ``{"type": "queues", "queues": [{"id", "count"}]}`` to every watcher.

What the baselines leave out (storage, triage, auth) is exactly the service's own
work, so service/baseline ratios show its cost.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import orjson

Conn = TypeVar("Conn", bound=Hashable)
QUEUE_ID = "bench:nurse"


@dataclass(slots=True)
class _Pair(Generic[Conn]):
    seq: int = 0
    conns: list[Conn] = field(default_factory=list)


class RelayHub(Generic[Conn]):
    """Routing state of one baseline server."""

    def __init__(self) -> None:
        self._pairs: dict[str, _Pair[Conn]] = {}
        self._pair_of: dict[Conn, str] = {}
        self._watchers: set[Conn] = set()
        self.waiting = 0

    def hello(self, conn: Conn, frame: dict[str, Any]) -> list[tuple[Conn, str]]:
        token = str(frame.get("token", ""))
        side = frame.get("side", "patient")
        if side == "watcher":
            self._watchers.add(conn)
        else:
            self._pairs.setdefault(token, _Pair()).conns.append(conn)
            self._pair_of[conn] = token
        welcome = {"type": "welcome", "contact_id": token, "status": "queued", "messages": []}
        return [(conn, orjson.dumps(welcome).decode())]

    def frame(self, conn: Conn, frame: dict[str, Any]) -> list[tuple[Conn, str]]:
        kind = frame.get("type")
        if kind == "message":
            return self._message(conn, frame)
        if kind in ("arrive", "leave"):
            self.waiting += 1 if kind == "arrive" else -1
            push = orjson.dumps(
                {"type": "queues", "queues": [{"id": QUEUE_ID, "count": self.waiting}]}
            ).decode()
            return [(w, push) for w in self._watchers]
        error = {"type": "error", "code": "unknown_type", "message": "unknown type"}
        return [(conn, orjson.dumps(error).decode())]

    def _message(self, conn: Conn, frame: dict[str, Any]) -> list[tuple[Conn, str]]:
        token = self._pair_of.get(conn)
        if token is None:
            return []
        pair = self._pairs[token]
        pair.seq += 1
        client_id = frame.get("client_id")
        ack = {"type": "ack", "client_id": client_id, "contact_id": token, "seq": pair.seq}
        out = [(conn, orjson.dumps(ack).decode())]
        relayed = orjson.dumps(
            {
                "type": "message",
                "contact_id": token,
                "seq": pair.seq,
                "sender": frame.get("side", "patient"),
                "sender_name": "bench",
                "body": frame.get("body"),
                "client_id": client_id,
                "sent_at": time.time(),
            }
        ).decode()
        out.extend((c, relayed) for c in pair.conns if c != conn)
        return out

    def gone(self, conn: Conn) -> None:
        self._watchers.discard(conn)
        token = self._pair_of.pop(conn, None)
        if token is not None:
            pair = self._pairs[token]
            pair.conns.remove(conn)
            if not pair.conns:
                del self._pairs[token]
