"""Benchmark of triage.assess on a ~300-character message (not a timed test).

Usage: .venv/bin/python loadtests/triage_bench.py [RUNS]

Prints wall-clock and CPU time per call. On a shared, busy machine trust the CPU
figure: wall time then mostly measures waiting for a core.
"""

from __future__ import annotations

import sys
import time

from triage import assess
from triage.bench import SAMPLE_TEXT, run_bench


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    wall = run_bench(runs)
    start = time.process_time()
    for _ in range(runs):
        assess(SAMPLE_TEXT, 71, "sv")
    cpu_us = (time.process_time() - start) / runs * 1e6
    print(
        f"assess on {wall.chars} chars, {runs} runs: wall mean {wall.mean_us:.0f} µs, "
        f"median {wall.median_us:.0f} µs, p99 {wall.p99_us:.0f} µs; CPU {cpu_us:.0f} µs/call"
    )


if __name__ == "__main__":
    main()
