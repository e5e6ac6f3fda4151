"""Cost of the storage layer on the message hot path: plans vs SQLAlchemy Core.

Usage: .venv/bin/python loadtests/storage_layer_bench.py [MESSAGES]
(SQLAlchemy is only needed here: ``pip install 'sqlalchemy>=2.0'``.)

What is measured is the layer, not the disk: one SQLite file with
``synchronous=OFF``, one transaction per 64 messages (as the single writer's
group commit does), and per message the two statements of an append: allocate
the next ``seq`` on the contact and insert the message. Three ways to run them:

* ``raw``: ``sqlite3`` cursor calls written by hand (the floor);
* ``plan``: the same statements as a sans-I/O plan run by
  :func:`chatserver.storage.plan.run_sync` (what the service does);
* ``sqlalchemy``: SQLAlchemy Core table constructs on a ``Connection``, with
  its compiled-statement cache (the alternative the issue names).

Prints CPU microseconds per message and the ratio to ``raw``. Docs:
docs/architecture.md, "Why plans and not SQLAlchemy".
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chatserver.storage.plan import Plan, one, run_sync, value

SCHEMA = """
CREATE TABLE contacts (id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE messages (
    contact_id TEXT NOT NULL REFERENCES contacts(id), seq INTEGER NOT NULL,
    sender TEXT NOT NULL, client_id TEXT NOT NULL, body TEXT NOT NULL, sent_at REAL NOT NULL,
    PRIMARY KEY (contact_id, seq)
);
"""
BATCH = 64
BODY = "Hej, jag har haft ont i halsen i tre dagar och feber sedan i går kväll."

NEXT_SEQ = "UPDATE contacts SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq"
INSERT = (
    "INSERT INTO messages (contact_id, seq, sender, client_id, body, sent_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def _append_plan(contact_id: str, client_id: str, at: float) -> Plan[int]:
    row = yield one(NEXT_SEQ, contact_id)
    seq: int = row[0]
    yield value(INSERT, contact_id, seq, "patient", client_id, BODY, at)
    return seq


def _fresh(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.executescript(SCHEMA)
    conn.executemany("INSERT INTO contacts (id) VALUES (?)", [(f"c{i}",) for i in range(50)])
    return conn


def _timed(
    n: int, begin: Callable[[], object], commit: Callable[[], object], step: Callable[[int], Any]
) -> float:
    start = time.process_time()
    for i in range(n):
        if i % BATCH == 0:
            begin()
        step(i)
        if i % BATCH == BATCH - 1:
            commit()
    commit()
    return (time.process_time() - start) / n * 1e6


def bench_raw(path: Path, n: int) -> float:
    conn = _fresh(path)

    def step(i: int) -> None:
        seq = conn.execute(NEXT_SEQ, (f"c{i % 50}",)).fetchone()[0]
        conn.execute(INSERT, (f"c{i % 50}", seq, "patient", f"m{i}", BODY, 1.0))

    return _timed(n, lambda: conn.execute("BEGIN"), lambda: _commit(conn), step)


def bench_plan(path: Path, n: int) -> float:
    conn = _fresh(path)
    return _timed(
        n,
        lambda: conn.execute("BEGIN"),
        lambda: _commit(conn),
        lambda i: run_sync(conn, _append_plan(f"c{i % 50}", f"m{i}", 1.0)),
    )


def _commit(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("COMMIT")


def bench_sqlalchemy(path: Path, n: int) -> float:
    import sqlalchemy as sa  # noqa: PLC0415 - optional, benchmark only

    _fresh(path).close()
    engine = sa.create_engine(f"sqlite:///{path}")
    meta = sa.MetaData()
    contacts = sa.Table(
        "contacts",
        meta,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("last_seq", sa.Integer),
    )
    messages = sa.Table(
        "messages",
        meta,
        sa.Column("contact_id", sa.Text),
        sa.Column("seq", sa.Integer),
        sa.Column("sender", sa.Text),
        sa.Column("client_id", sa.Text),
        sa.Column("body", sa.Text),
        sa.Column("sent_at", sa.Float),
    )
    next_seq = (
        sa.update(contacts)
        .where(contacts.c.id == sa.bindparam("cid"))
        .values(last_seq=contacts.c.last_seq + 1)
        .returning(contacts.c.last_seq)
    )
    insert = sa.insert(messages)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA synchronous = OFF")
        conn.commit()
        state: dict[str, Any] = {}

        def begin() -> None:
            state["tx"] = conn.begin()

        def commit() -> None:
            tx = state.pop("tx", None)
            if tx is not None:
                tx.commit()

        def step(i: int) -> None:
            seq = conn.execute(next_seq, {"cid": f"c{i % 50}"}).scalar_one()
            conn.execute(
                insert,
                {
                    "contact_id": f"c{i % 50}",
                    "seq": seq,
                    "sender": "patient",
                    "client_id": f"m{i}",
                    "body": BODY,
                    "sent_at": 1.0,
                },
            )

        return _timed(n, begin, commit, step)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, fn in (
            ("raw", bench_raw),
            ("plan", bench_plan),
            ("sqlalchemy", bench_sqlalchemy),
        ):
            best = min(fn(Path(tmp) / f"{name}-{r}.db", n) for r in range(3))
            results[name] = best
    for name, us in results.items():
        print(f"{name:>10}: {us:6.1f} µs CPU/message  ({us / results['raw']:.2f}× raw)")


if __name__ == "__main__":
    main()
