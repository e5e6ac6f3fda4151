"""Message traffic over established conversations, timed without coordinated omission.

Times come from ``time.perf_counter`` (uvloop's ``loop.time`` has 1 ms resolution).
Every message gets a *scheduled* send time before it is sent; its latency is
measured from that time to its arrival on the other side's connection, so a
stalled server (or a late generator) shows up as latency instead of silently
delaying the next send. Two drivers share the bookkeeping:

- :meth:`Traffic.closed_loop`: every endpoint sends its next message as soon as
  the previous one is acked (the relay ceiling);
- :meth:`Traffic.fixed_rate`: one schedule at a fixed total rate, round-robin
  over every endpoint, never waiting for acks (the latency scenario).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field, fields

import orjson
from websockets.exceptions import ConnectionClosed

from loadtests.hdr import LatencyRecorder
from loadtests.targets import Endpoint

BODY = "Hej! Febern har gått ner men jag hostar fortfarande, särskilt på natten."
ACK_TIMEOUT_S = 10.0  # an ack slower than this ends the sender: the run is broken
DRAIN_TIMEOUT_S = 3.0  # after the last send, wait this long for stragglers


@dataclass(slots=True)
class _Pending:
    scheduled: float
    receiver: int
    measured: bool


@dataclass(slots=True)
class TrafficResult:
    sent: int = 0
    acked: int = 0
    delivered: int = 0
    measured_delivered: int = 0
    lost: int = 0
    errors: int = 0
    first_error: str = ""
    latency: LatencyRecorder = field(default_factory=LatencyRecorder)
    send_lag: LatencyRecorder = field(default_factory=LatencyRecorder)


class Traffic:
    """Readers on every endpoint plus the bookkeeping of in-flight messages."""

    def __init__(self, pairs: list[tuple[Endpoint, Endpoint]], tag: str = "m") -> None:
        self.endpoints: list[Endpoint] = []
        self.peer: list[int] = []
        for patient, staff in pairs:
            base = len(self.endpoints)
            self.endpoints += [patient, staff]
            self.peer += [base + 1, base]
        self.tag = tag
        self.pending: dict[str, _Pending] = {}
        self.waiting_ack: dict[str, asyncio.Future[None]] = {}
        self.result = TrafficResult()
        self.measuring = False
        self._loop = asyncio.get_running_loop()
        self._readers = [asyncio.create_task(self._read(i)) for i in range(len(self.endpoints))]

    async def _read(self, index: int) -> None:
        ws = self.endpoints[index].ws
        result = self.result
        now = time.perf_counter
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                frame = orjson.loads(raw)
                kind = frame.get("type")
                if kind == "message":
                    entry = self.pending.get(frame.get("client_id", ""))
                    if entry is not None and entry.receiver == index:
                        del self.pending[frame["client_id"]]
                        result.delivered += 1
                        if entry.measured:
                            result.measured_delivered += 1
                            result.latency.record(now() - entry.scheduled)
                elif kind == "ack":
                    result.acked += 1
                    future = self.waiting_ack.pop(frame.get("client_id", ""), None)
                    if future is not None and not future.done():
                        future.set_result(None)
                elif kind == "error":
                    result.errors += 1
                    if not result.first_error:
                        result.first_error = raw if isinstance(raw, str) else raw.decode()

    async def _send(self, index: int, client_id: str, scheduled: float) -> None:
        endpoint = self.endpoints[index]
        self.pending[client_id] = _Pending(scheduled, self.peer[index], self.measuring)
        await endpoint.ws.send(orjson.dumps(endpoint.message(client_id, BODY)).decode())
        self.result.sent += 1
        if self.measuring:
            self.result.send_lag.record(time.perf_counter() - scheduled)

    async def closed_loop(
        self,
        warmup_s: float,
        measure_s: float,
        max_messages: int,
        window: int = 1,
        per_endpoint_rate: float | None = None,
    ) -> float:
        """Send as fast as acks allow, at most ``window`` unacked messages per endpoint;
        returns delivered messages per second in the measuring window."""
        deadline = time.perf_counter() + warmup_s + measure_s
        counter = itertools.count()
        gap = 1.0 / per_endpoint_rate if per_endpoint_rate else 0.0
        next_slot = [time.perf_counter()] * len(self.endpoints)

        async def sender(index: int, slot: int) -> None:
            for n in range(max_messages):
                if time.perf_counter() >= deadline or next(counter) >= max_messages:
                    return
                if gap:  # pace under the server's per-connection frame limit
                    due = next_slot[index]
                    next_slot[index] = max(due, time.perf_counter()) + gap
                    if due > time.perf_counter():
                        await asyncio.sleep(due - time.perf_counter())
                client_id = f"{self.tag}-{index}-{slot}-{n}"
                future: asyncio.Future[None] = self._loop.create_future()
                self.waiting_ack[client_id] = future
                await self._send(index, client_id, time.perf_counter())
                await asyncio.wait_for(future, ACK_TIMEOUT_S)

        senders = [
            asyncio.create_task(sender(i, slot))
            for i in range(len(self.endpoints))
            for slot in range(window)
        ]
        await asyncio.sleep(warmup_s)
        self.measuring = True
        start, delivered0 = time.perf_counter(), self.result.delivered
        await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
        elapsed, delivered = time.perf_counter() - start, self.result.delivered - delivered0
        self.measuring = False
        await asyncio.gather(*senders, return_exceptions=True)
        await self._drain()
        return delivered / elapsed if elapsed > 0 else 0.0

    async def fixed_rate(self, rate: float, duration_s: float, warmup_s: float = 0.5) -> None:
        """Send ``rate`` messages per second in total for ``warmup_s + duration_s``."""
        total = int(rate * (warmup_s + duration_s))
        warm = int(rate * warmup_s)
        start = time.perf_counter() + 0.05
        width = len(self.endpoints)
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.measuring = i >= warm
            await self._send(i % width, f"{self.tag}-{i % width}-{i}", due)
        await self._drain()
        self.measuring = False

    async def _drain(self) -> None:
        deadline = time.perf_counter() + DRAIN_TIMEOUT_S
        while self.pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        self.result.lost += len(self.pending)
        self.pending.clear()

    def restart(self, tag: str) -> None:
        """Measure again over the same conversations: counters and histograms
        start from zero (in place: the readers hold the result object) and
        client ids take a new ``tag`` (a repeated client_id is a duplicate the
        service does not relay again)."""
        if tag == self.tag:
            raise ValueError("a new measurement needs a new tag")
        fresh = TrafficResult()
        for f in fields(TrafficResult):
            setattr(self.result, f.name, getattr(fresh, f.name))
        self.pending.clear()
        self.waiting_ack.clear()
        self.measuring = False
        self.tag = tag

    async def aclose(self) -> None:
        for task in self._readers:
            task.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)
        await asyncio.gather(*(e.ws.close() for e in self.endpoints), return_exceptions=True)
