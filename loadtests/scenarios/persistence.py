"""(g) Persistence: durability without paying for it (issue 19, point 5).

``SqliteStorage(path, max_batch=...)`` is driven directly, in-process:
``writers`` concurrent appenders (one per contact, like concurrent chats) each
store messages back to back. The same inserts run with ``synchronous=FULL``
(an fsync at every COMMIT: the service's default) and with ``synchronous=OFF``
(no fsync at all, set on the writer connection after opening: the service
never offers OFF). Goal: group-committed FULL reaches at least 80 % of OFF.

One commit per message (``max_batch=1``) is kept as context: its ratio to
group commit mostly measures how fast this disk's fsync is. Group-commit runs
alternate FULL, OFF, OFF, FULL twice (ABBA): each adjacent FULL/OFF pair gives
a ratio, and the verdict takes their median, so a burst of other work on the
machine during one run moves one pair, not the verdict. The process is pinned
to the server CPU, as the service would be.
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loadtests.hdr import LatencyRecorder
from loadtests.results import Figure, ScenarioResult
from loadtests.runner import Options
from loadtests.system import GENERATOR_CPU, SERVER_CPU, pin_to

if TYPE_CHECKING:
    from chatserver.storage.sqlite import SqliteStorage

NAME = "persistence"
GOAL_SHARE = 0.8  # issue 19: FULL group commit ≥ 80 % of the same inserts with OFF
UNIT = "bench"
GROUP_ORDER = ("FULL", "OFF", "OFF", "FULL") * 2  # ABBA: drift in load hits both alike


async def _storage_run(
    path: Path,
    synchronous: str,
    max_batch: int | None,
    writers: int,
    per_writer: int,
    duration_s: float,
) -> dict[str, Any]:
    from chatserver.storage.base import NewMessage, Queue, Unit  # noqa: PLC0415
    from chatserver.storage.sqlite import SqliteStorage  # noqa: PLC0415
    from loadtests.bench_contacts import bench_contact  # noqa: PLC0415

    kwargs: dict[str, Any] = {"synchronous": "NORMAL" if synchronous == "OFF" else synchronous}
    if max_batch is not None:
        kwargs["max_batch"] = max_batch
    storage = SqliteStorage(path, **kwargs)
    await storage.open()
    try:
        effective = await _set_synchronous(storage, synchronous)
        now = time.time()
        queue = Queue(f"{UNIT}:nurse", UNIT, "nurse", "Sjuksköterska")
        await storage.add_unit(Unit(UNIT, "Bench", True, "live", now), [queue])
        contacts = []
        for i in range(writers):
            contact = await storage.create_contact(
                bench_contact(
                    f"c{i:05d}",
                    UNIT,
                    queue.id,
                    now,
                    patient_token_hash=f"h{i:05d}",
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
        "elapsed_s": round(elapsed, 3),
        "synchronous": effective,
        "latency": latency,
        "writer_stats": repr(stats)[:300] if stats is not None else "",
    }


# PRAGMA synchronous values as SQLite reports them.
_SYNC_LEVELS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


async def _set_synchronous(storage: SqliteStorage, mode: str) -> str:
    """Switch the writer connection to ``mode`` (outside any transaction) and
    return the level SQLite reports, so the result shows what really ran."""

    def switch(conn: sqlite3.Connection) -> str:
        conn.execute(f"PRAGMA synchronous = {mode}")
        return _SYNC_LEVELS[int(conn.execute("PRAGMA synchronous").fetchone()[0])]

    # The writer's own connection: OFF is not a mode the service offers.
    return str(await storage._writer.connection.run(switch))


def merge_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One figure from several runs of one configuration: total messages over
    total time, latency histograms combined."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    latency = LatencyRecorder()
    for r in ok:
        latency.merge(r["latency"])
    messages = sum(r["messages"] for r in ok)
    elapsed = sum(r["elapsed_s"] for r in ok)
    return {
        "messages_per_s": round(messages / elapsed, 1) if elapsed else 0.0,
        "messages": messages,
        "runs": len(ok),
        "per_run_msg_s": [round(r["messages"] / r["elapsed_s"], 1) for r in ok],
        "synchronous": ok[0]["synchronous"],
        "latency": latency.summary().as_dict(),
        "writer_stats": ok[-1]["writer_stats"],
    }


def pair_ratios(full: list[dict[str, Any]], off: list[dict[str, Any]]) -> list[float]:
    """FULL/OFF throughput of each adjacent pair of runs (GROUP_ORDER pairs the
    n-th FULL run with the n-th OFF run); pairs with a failed run are left out."""
    out = []
    for f, o in zip(full, off, strict=False):
        if "error" in f or "error" in o or not o["messages"]:
            continue
        f_rate, o_rate = f["messages"] / f["elapsed_s"], o["messages"] / o["elapsed_s"]
        out.append(round(f_rate / o_rate, 3))
    return out


async def run(opts: Options) -> ScenarioResult:
    writers = opts.count(100, 10)
    per_writer = opts.count(100_000, 20)
    group_s, single_s = opts.scale(2.5, 0.25), opts.scale(5.0, 0.5)
    plan: list[tuple[str, str, int | None]] = [(sync, "group", None) for sync in GROUP_ORDER]
    plan += [("FULL", "single", 1), ("OFF", "single", 1)]
    result = ScenarioResult(
        NAME,
        {
            "concurrent_writers": writers,
            "duration_s": {"group": group_s, "single": single_s},
            "group_max_batch": "default",
            "order": [f"{sync}/{label}" for sync, label, _ in plan],
        },
    )
    runs: dict[str, list[dict[str, Any]]] = {}
    opts.work_dir.mkdir(parents=True, exist_ok=True)
    pin_to(SERVER_CPU)
    try:
        with tempfile.TemporaryDirectory(prefix="loadtests-persist-", dir=opts.work_dir) as tmp:
            for n, (sync, label, batch) in enumerate(plan):
                key = f"{sync}/{label}"
                try:
                    got = await _storage_run(
                        Path(tmp) / f"{n}-{sync}-{label}.sqlite3",
                        sync,
                        batch,
                        writers,
                        per_writer,
                        group_s if batch is None else single_s,
                    )
                except Exception as exc:
                    got = {"error": repr(exc)[:500]}
                runs.setdefault(key, []).append(got)
    finally:
        pin_to(GENERATOR_CPU)
    data = {key: merge_runs(got) for key, got in runs.items()}
    result.details.update(data)
    ratios = pair_ratios(runs.get("FULL/group", []), runs.get("OFF/group", []))
    median = statistics.median(ratios) if ratios else None
    result.details["FULL/OFF"] = {"pair_ratios": ratios, "median": median}

    def rate(key: str) -> float | None:
        got = data.get(key, {}).get("messages_per_s")
        return float(got) if isinstance(got, int | float) else None

    durable = Figure(
        "stored messages/s, group commit: synchronous=FULL vs OFF",
        "msg/s",
        {"FULL": rate("FULL/group"), "OFF": rate("OFF/group")},
        goal=f"FULL ≥ {GOAL_SHARE:.0%} of OFF (median of the adjacent FULL/OFF pairs)",
        key="persistence",
    )
    if median is not None:
        durable.passed = median >= GOAL_SHARE
    result.figures.append(durable)
    result.figures.append(
        Figure(
            "stored messages/s, one commit per message (max_batch=1): FULL vs OFF",
            "msg/s",
            {"FULL": rate("FULL/single"), "OFF": rate("OFF/single")},
            goal="(context: one fsync per message)",
        )
    )
    result.figures.append(
        Figure(
            "stored messages/s, synchronous=FULL: group commit vs one commit per message",
            "msg/s",
            {"group commit": rate("FULL/group"), "one commit per message": rate("FULL/single")},
            goal="(context: the old ≥ 10× target, mostly this disk's fsync speed)",
        )
    )
    for key, d in data.items():
        if "latency" in d:
            sync, label = key.split("/")
            result.add_latency(f"append_message latency, {label} commit", sync, d["latency"])
    result.notes.append(
        "OFF is set with PRAGMA synchronous on the writer connection after opening "
        "(the service offers only NORMAL and FULL); `synchronous` in the details is the "
        "level SQLite reported. Group-commit figures are totals over the runs in the order "
        "FULL, OFF, OFF, FULL, FULL, OFF, OFF, FULL; the verdict is the median of the four "
        "adjacent pairs' FULL/OFF ratios (`FULL/OFF` in the details)."
    )
    return result
