"""(g) Persistence: group commit against one commit per message, in-process.

``SqliteStorage(path, synchronous=..., max_batch=...)`` is driven directly:
``max_batch=1`` forces one transaction (and with FULL, one fsync) per message;
the default batches whatever is queued while the previous commit runs.
``writers`` concurrent appenders (one per contact, like concurrent chats) each
store messages back to back. Goal: group commit ≥ 10× one commit per message.
The process is pinned to the server CPU, as the service would be.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from loadtests.hdr import LatencyRecorder
from loadtests.results import Figure, ScenarioResult
from loadtests.runner import Options
from loadtests.system import GENERATOR_CPU, SERVER_CPU, pin_to

NAME = "persistence"
GOAL_RATIO = 10.0
UNIT = "bench"


async def _storage_run(
    path: Path,
    synchronous: str,
    max_batch: int | None,
    writers: int,
    per_writer: int,
    duration_s: float,
) -> dict[str, Any]:
    from chatserver.storage.base import NewContact, NewMessage, Queue, Unit  # noqa: PLC0415
    from chatserver.storage.sqlite import SqliteStorage  # noqa: PLC0415

    kwargs: dict[str, Any] = {"synchronous": synchronous}
    if max_batch is not None:
        kwargs["max_batch"] = max_batch
    storage = SqliteStorage(path, **kwargs)
    await storage.open()
    try:
        now = time.time()
        queue = Queue(f"{UNIT}:nurse", UNIT, "nurse", "Sjuksköterska")
        await storage.add_unit(Unit(UNIT, "Bench", True, "live", now), [queue])
        contacts = []
        for i in range(writers):
            contact = await storage.create_contact(
                NewContact(
                    id=f"c{i:05d}",
                    unit_id=UNIT,
                    queue_id=queue.id,
                    status="queued",
                    level="standard",
                    tags=(),
                    reasons=(),
                    red_flag=False,
                    emergency_acknowledged=False,
                    lang="sv",
                    age=40,
                    name=f"P {i}",
                    text="Hosta sedan en vecka.",
                    would_otherwise="phone",
                    patient_token_hash=f"h{i:05d}",
                    created_at=now,
                    priority_tier=1,
                    priority_key=now + i,
                )
            )
            contacts.append(contact.id)
        latency = LatencyRecorder()
        stored = [0]
        deadline = time.perf_counter() + duration_s

        async def writer(contact_id: str) -> None:
            for n in range(per_writer):
                if time.perf_counter() >= deadline:
                    return
                t0 = time.perf_counter()
                await storage.append_message(
                    NewMessage(
                        contact_id,
                        "patient",
                        f"p:{contact_id}",
                        "P",
                        f"m{n}",
                        "Hej, febern är kvar men hostan är bättre.",
                        time.time(),
                    )
                )
                latency.record(time.perf_counter() - t0)
                stored[0] += 1

        start = time.perf_counter()
        await asyncio.gather(*(writer(c) for c in contacts))
        elapsed = time.perf_counter() - start
        stats = getattr(storage, "stats", None)
    finally:
        await storage.close()
    return {
        "messages_per_s": round(stored[0] / elapsed, 1),
        "messages": stored[0],
        "latency": latency.summary().as_dict(),
        "writer_stats": repr(stats)[:300] if stats is not None else "",
    }


async def run(opts: Options) -> ScenarioResult:
    writers = opts.count(100, 10)
    per_writer = opts.count(100_000, 20)
    duration = opts.scale(5.0, 0.5)
    result = ScenarioResult(
        NAME, {"concurrent_writers": writers, "duration_s": duration, "group_max_batch": "default"}
    )
    data: dict[str, dict[str, Any]] = {}
    opts.work_dir.mkdir(parents=True, exist_ok=True)
    pin_to(SERVER_CPU)
    try:
        with tempfile.TemporaryDirectory(prefix="loadtests-persist-", dir=opts.work_dir) as tmp:
            for sync in ("NORMAL", "FULL"):
                for label, batch in (("group", None), ("single", 1)):
                    key = f"{sync}/{label}"
                    try:
                        data[key] = await _storage_run(
                            Path(tmp) / f"{sync}-{label}.sqlite3",
                            sync,
                            batch,
                            writers,
                            per_writer,
                            duration,
                        )
                    except Exception as exc:
                        data[key] = {"error": repr(exc)[:500]}
                    result.details[key] = data[key]
    finally:
        pin_to(GENERATOR_CPU)
    for sync in ("NORMAL", "FULL"):
        group = data[f"{sync}/group"].get("messages_per_s")
        single = data[f"{sync}/single"].get("messages_per_s")
        figure = Figure(
            f"stored messages/s, synchronous={sync}: group commit vs max_batch=1",
            "msg/s",
            {"group commit": group, "one commit per message": single},
            goal=f"group ≥ {GOAL_RATIO:g}× single",
        )
        if group and single:
            figure.passed = group / single >= GOAL_RATIO
        result.figures.append(figure)
        for label in ("group", "single"):
            lat = data[f"{sync}/{label}"].get("latency")
            if lat:
                result.add_latency(f"append_message latency, {sync}", label, lat)
    return result
