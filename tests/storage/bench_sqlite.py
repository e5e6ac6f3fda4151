"""Append throughput of the SQLite backend (not a test; run by hand).

    .venv/bin/python -m tests.storage.bench_sqlite [--synchronous FULL] [--n 1000]

Prints appends/s and the transactions used for N concurrent appends spread over
ten contacts, on a fresh database in a temporary directory, after pre-loading
``--preload`` messages so the dedupe lookups run against a non-trivial table.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from chatserver.storage.sqlite import SqliteStorage

from .factories import new_contact, patient_message, seed


async def bench(n: int, synchronous: str, preload: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStorage(Path(tmp) / "bench.sqlite", synchronous=synchronous)
        await store.open()
        try:
            await seed(store)
            ids = [f"c{i}" for i in range(10)]
            for cid in ids:
                await store.create_contact(new_contact(cid))
            await asyncio.gather(
                *(
                    store.append_message(patient_message(ids[i % 10], f"pre{i}"))
                    for i in range(preload)
                )
            )
            for r in range(rounds):
                tx = store.stats.transactions
                start = time.perf_counter()
                await asyncio.gather(
                    *(
                        store.append_message(patient_message(ids[i % 10], f"r{r}m{i}"))
                        for i in range(n)
                    )
                )
                elapsed = time.perf_counter() - start
                print(
                    f"synchronous={synchronous} n={n}: {elapsed * 1000:.1f} ms,"
                    f" {n / elapsed:,.0f} appends/s, {store.stats.transactions - tx} transactions"
                )
            # Sequential appends: one transaction (and one fsync) each.
            start = time.perf_counter()
            for i in range(200):
                await store.append_message(patient_message("c0", f"seq{i}"))
            elapsed = time.perf_counter() - start
            print(f"synchronous={synchronous} sequential: {200 / elapsed:,.0f} appends/s")
        finally:
            await store.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--synchronous", default="FULL")
    parser.add_argument("--preload", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(bench(args.n, args.synchronous, args.preload, args.rounds))


if __name__ == "__main__":
    main()
