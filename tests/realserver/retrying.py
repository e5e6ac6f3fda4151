"""A chat client that retries refused writes on the same socket, with back-off.

It does what the web client does with ``storage_unavailable``
(docs/protocol.md "Retrying after storage_unavailable"): every message stays
pending until its ``ack``; an ``error`` with ``retryable: true`` and the
message's ``client_id`` schedules the same frame again after an exponential,
jittered back-off (from :data:`FIRST_BACKOFF_S`, doubling, at most the
server's ``retry_after_s``). No reconnect is needed.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection

from tests.realserver.client import recv_json, send_json

FIRST_BACKOFF_S = 0.1


@dataclass
class RetryingSender:
    ws: ClientConnection
    contact_id: str
    acks: Counter[str] = field(default_factory=Counter)  # client_id → ack frames received
    seqs: dict[str, int] = field(default_factory=dict)
    retryable_errors: list[dict[str, Any]] = field(default_factory=list)
    other_errors: list[dict[str, Any]] = field(default_factory=list)
    _pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    _backoff: dict[str, float] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def send(self, client_id: str, body: str) -> None:
        frame = {"type": "message", "client_id": client_id, "body": body}
        self._pending[client_id] = frame
        await send_json(self.ws, frame)

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def receive_until_idle(self, done: asyncio.Event) -> None:
        """Read frames until ``done`` is set; acks and retries are handled here."""
        while not done.is_set():
            try:
                frame = await recv_json(self.ws, timeout=0.2)
            except TimeoutError:
                continue
            self._handle(frame)

    def _handle(self, frame: dict[str, Any]) -> None:
        if frame["type"] == "ack":
            cid = frame["client_id"]
            self.acks[cid] += 1
            self.seqs[cid] = frame["seq"]
            self._pending.pop(cid, None)
            self._backoff.pop(cid, None)
        elif frame["type"] == "error":
            cid = frame.get("client_id")
            if frame.get("retryable") is True and cid in self._pending:
                self.retryable_errors.append(frame)
                delay = self._backoff.get(cid, FIRST_BACKOFF_S)
                self._backoff[cid] = min(delay * 2, float(frame.get("retry_after_s", 2)))
                task = asyncio.get_running_loop().create_task(self._resend(cid, delay))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                self.other_errors.append(frame)

    async def _resend(self, cid: str, delay: float) -> None:
        await asyncio.sleep(delay * (0.5 + random.random() / 2))  # jitter
        frame = self._pending.get(cid)
        if frame is not None:
            await send_json(self.ws, frame)

    async def wait_all_acked(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self._pending:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self._pending)} messages never acked")
            await asyncio.sleep(0.05)
