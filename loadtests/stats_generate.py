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
import os
import random
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from chatserver.stats.synthetic import CONTACT_INSERT, EVENT_INSERT, contact_rows
from chatserver.storage.migrations import apply_sqlite, list_migrations

CHUNK = 50_000


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
        conn.executemany(CONTACT_INSERT, rows)
        conn.executemany(EVENT_INSERT, events)
        conn.execute("COMMIT")
        rows.clear()
        events.clear()

    unit_ids = [f"u{u:02d}" for u in range(units)]
    for row, evs in contact_rows(contacts, unit_ids, start, rng, staff):
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
