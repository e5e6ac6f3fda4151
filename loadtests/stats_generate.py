"""Generate a year of regional chat data straight into a SQLite file (for the
statistics benchmark, ``loadtests/stats_bench.py``).

    python -m loadtests.stats_generate --out /tmp/region.db --contacts 1000000 --units 30

The schema comes from the real migrations; rows go in with ``executemany`` in
large transactions with synchronous=OFF (a throwaway benchmark file, not
production data). Deterministic for a given ``--seed``. Names and texts are
fixed placeholders: the file never holds anything like patient data.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from chatserver.storage.migrations import apply_sqlite, list_migrations

LEVELS = (("emergency", 0.03), ("urgent", 0.17), ("standard", 0.55), ("non_urgent", 0.25))
OUTCOMES = (
    ("resolved_in_chat", 0.45),
    ("physical_visit_booked", 0.2),
    ("video_visit_booked", 0.05),
    ("phone_callback", 0.12),
    ("referred_emergency", 0.02),
    ("referred_other_unit", 0.03),
    ("no_response", 0.03),
)
WOULD = (
    ("physical_visit", 0.45),
    ("phone", 0.25),
    ("video", 0.05),
    ("self_care", 0.1),
    ("unknown", 0.15),
)
# Intakes by local hour (07-22 open), peaking mid-morning and early evening.
HOUR_WEIGHTS = [0] * 7 + [4, 9, 10, 9, 7, 6, 7, 7, 6, 6, 7, 8, 7, 5, 3] + [0, 0]
CHUNK = 50_000


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    r, acc = rng.random(), 0.0
    for name, weight in table:
        acc += weight
        if r < acc:
            return name
    return table[-1][0]


def _rows(
    n: int, units: int, start: float, rng: random.Random, staff: dict[str, list[int]]
) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]]]]:
    hours = [h for h, w in enumerate(HOUR_WEIGHTS) for _ in range(w)]
    for i in range(n):
        unit = f"u{i % units:02d}"
        day = rng.randrange(365)
        # Local hours are approximated with UTC+1 here; the statistics do not
        # care, they only need plausible spread.
        created = start + day * 86400 + (rng.choice(hours) - 1) * 3600 + rng.random() * 3600
        level = _pick(rng, LEVELS)
        would = _pick(rng, WOULD)
        cid = f"k{i:07d}"
        users = staff[unit]
        events: list[tuple[object, ...]] = [(cid, created, "intake", None, "{}")]
        queue = f"{unit}:doctor" if rng.random() < 0.15 else f"{unit}:nurse"
        status, outcome, ack = "closed", None, 0
        queued = picked = reply = closed = None
        assigned: int | None = None
        if level == "emergency" and rng.random() < 0.6:
            status = "emergency_advised"  # advised, never acknowledged
        else:
            if level == "emergency":
                ack = 1
            queued = created + (rng.uniform(20, 120) if ack else 0.0)
            wait = rng.expovariate(1 / 600)
            if rng.random() < 0.05:
                outcome, closed = "patient_left", queued + wait
                events.append((cid, closed, "close", None, "{}"))
            else:
                picked = queued + wait
                reply = picked + rng.uniform(15, 120)
                closed = picked + rng.lognormvariate(math.log(600), 0.6)
                outcome = _pick(rng, OUTCOMES)
                nurse = assigned = rng.choice(users)
                events.append((cid, picked, "pick", nurse, "{}"))
                if rng.random() < 0.03:
                    up = rng.random() < 0.6
                    data = {"from": "standard", "to": "urgent" if up else "non_urgent"}
                    events.append((cid, picked + 30, "triage_change", nurse, json.dumps(data)))
                if rng.random() < 0.02:
                    moved = picked + 60
                    events.append((cid, moved, "transfer", nurse, "{}"))
                    assigned = rng.choice(users)
                    events.append((cid, moved + 120, "pick", assigned, "{}"))
                events.append((cid, closed, "close", assigned, "{}"))
        row = (
            cid,
            unit,
            queue,
            status,
            level,
            level,
            ack,
            would,
            created,
            queued,
            picked,
            reply,
            closed,
            outcome if status == "closed" else None,
            assigned,
        )
        yield row, events


def generate(path: Path, contacts: int, units: int, seed: int = 1) -> dict[str, float]:
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    apply_sqlite(conn, list_migrations("sqlite"))
    rng = random.Random(seed)
    begun = time.perf_counter()
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    staff: dict[str, list[int]] = {}
    conn.execute("BEGIN")
    uid = 0
    for u in range(units):
        unit = f"u{u:02d}"
        conn.execute(
            "INSERT INTO units (id, name, always_open, created_at) VALUES (?, ?, 1, ?)",
            (unit, f"Hälsocentral {u}", start),
        )
        conn.executemany(
            "INSERT INTO queues (id, unit_id, competence, name) VALUES (?, ?, ?, ?)",
            [
                (f"{unit}:nurse", unit, "nurse", "Sjuksköterska"),
                (f"{unit}:doctor", unit, "doctor", "Läkare"),
            ],
        )
        staff[unit] = []
        for s in range(10):
            uid += 1
            conn.execute(
                "INSERT INTO users (id, username, display_name, role, password_hash, created_at)"
                " VALUES (?, ?, ?, ?, 'x', ?)",
                (uid, f"{unit}-s{s}", f"Personal {uid}", "doctor" if s < 2 else "nurse", start),
            )
            conn.execute("INSERT INTO user_units VALUES (?, ?)", (uid, unit))
            staff[unit].append(uid)
    conn.execute("COMMIT")
    # Secondary indexes are dropped for the bulk load and rebuilt from their own
    # CREATE statements afterwards: one sort per index instead of a million
    # random b-tree inserts each.
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        " AND tbl_name IN ('contacts', 'contact_events')"
    ).fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    rows: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []

    def flush() -> None:
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO contacts (id, unit_id, queue_id, status, level, intake_level, tags,"
            " reasons, emergency_acknowledged, lang, age, name, text, would_otherwise,"
            " created_at, queued_at, first_picked_at, first_staff_reply_at, closed_at, outcome,"
            " assigned_user_id)"
            " VALUES (?, ?, ?, ?, ?, ?, '[]', '[]', ?, 'sv', 40, '-', '-', ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO contact_events (contact_id, at, kind, actor_user_id, data)"
            " VALUES (?, ?, ?, ?, ?)",
            events,
        )
        conn.execute("COMMIT")
        rows.clear()
        events.clear()

    for row, evs in _rows(contacts, units, start, rng, staff):
        rows.append(row)
        events.extend(evs)
        if len(rows) >= CHUNK:
            flush()
    if rows:
        flush()
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.close()
    return {"contacts": contacts, "units": units, "seconds": round(time.perf_counter() - begun, 1)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--contacts", type=int, default=1_000_000)
    p.add_argument("--units", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    summary = generate(args.out, args.contacts, args.units, args.seed)
    # Beside the file, for the benchmark's report.
    Path(f"{args.out}.json").write_text(json.dumps({**summary, "load_average": os.getloadavg()}))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
