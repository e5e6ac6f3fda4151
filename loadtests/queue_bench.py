"""CPU of one waiting-room refresh: reloaded from the database vs kept from the change.

``python -m loadtests.queue_bench [--waiting N --dashboards D --rounds R]``

In one process, on a real SQLite file: a unit with ``N`` waiting contacts and
``D`` staff connections (sockets that discard what they get, so the figure is
the queue service's own work: reading or updating the room, the view, one
encoding, ``D`` outbox pushes, not the WebSocket sends). Each round takes the
head of the line out and puts a new arrival at the end, as a pick and an intake
do, then refreshes the unit; once announced (the change applied to the copy,
as after this instance's own change) and once as an ambiguous notice (a reload,
as after every change before the copy was kept). Reported: process CPU per
refresh, median of the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from chatserver.core.waiting_room import priority_key
from chatserver.fanout.local import LocalFanout
from chatserver.flow.waiting import QueueService
from chatserver.metrics import Metrics
from chatserver.storage.base import NewContact, Queue, Unit
from chatserver.storage.sqlite import SqliteStorage
from chatserver.ws.hub import Hub
from loadtests.bench_contacts import bench_contact

UNIT = "bench"
QUEUE = "bench:nurse"


class _Sink:
    """A socket that accepts every frame (the Hub's writer task sends to it)."""

    application_state = None

    async def send_text(self, text: str) -> None:
        return None


def _new(n: int, at: float) -> NewContact:
    return bench_contact(
        f"c{n:06d}",
        UNIT,
        QUEUE,
        at,
        would_otherwise="physical_visit",
        priority_key=priority_key("standard", at),
    )


async def run(waiting: int, dashboards: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        storage = SqliteStorage(Path(tmp) / "bench.db", synchronous="NORMAL")
        await storage.open()
        try:
            now = time.time()
            await storage.add_unit(
                Unit(id=UNIT, name="Bench", always_open=True, rollout="live", created_at=now),
                [Queue(id=QUEUE, unit_id=UNIT, competence="nurse", name="Sjuksköterska")],
            )
            for n in range(waiting):
                await storage.create_contact(_new(n, now + n))
            metrics = Metrics()
            hub = Hub(metrics, "bench")
            queues = QueueService(storage, hub, metrics, lambda: now)
            fanout = LocalFanout(hub, queues.changed)
            for i in range(dashboards):
                conn = hub.new_connection(_Sink(), "staff")  # type: ignore[arg-type]
                hub.bind_staff(conn, i + 1, [UNIT], f"s{i}")
            await queues.refresh_unit(UNIT)
            out: dict[str, Any] = {"waiting": waiting, "dashboards": dashboards}
            ids = itertools.count(waiting)
            for mode in ("announced", "reloaded"):
                samples: list[float] = []
                for _ in range(rounds):
                    head = (await storage.waiting([QUEUE]))[0]
                    closed = await storage.close_contact(
                        head.id, outcome="patient_left", at=now, actor_user_id=None
                    )
                    added = await storage.create_contact(_new(next(ids), now + waiting))
                    assert closed is not None
                    t = time.process_time()
                    if mode == "announced":
                        await queues.announce(fanout, closed)
                        await queues.announce(fanout, added)
                    else:
                        queues.changed(UNIT)
                    await queues.flush()
                    samples.append(time.process_time() - t)
                    await asyncio.sleep(0)  # let the writer tasks drain the outboxes
                out[f"{mode}_ms"] = round(1000 * statistics.median(samples), 3)
            return out
        finally:
            await storage.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m loadtests.queue_bench", description=__doc__)
    parser.add_argument("--waiting", type=int, default=1000)
    parser.add_argument("--dashboards", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    print(asyncio.run(run(args.waiting, args.dashboards, args.rounds)))


if __name__ == "__main__":
    main()
