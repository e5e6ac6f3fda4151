"""Micro-benchmark of `assess` (run by `python -m triage bench` and loadtests/triage_bench.py)."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from triage.api import assess

# A realistic ~300-character opening message: several symptoms, a negation, a
# relative, a past event and mixed punctuation, so most cue lists are exercised.
SAMPLE_TEXT = (
    "Hej! Min mamma 71 år har sedan i morse haft ont i bröstet som kommer och går, "
    "inget ont i magen men hon är lite andfådd när hon går i trappor. Hon hade en "
    "stroke för tre år sedan och äter Eliquis. Hon har ingen feber. Vad ska vi göra, "
    "ska hon boka en tid eller åka in? Tack för hjälpen, hälsningar Anna"
)

# The same length without an emergency finding, so the safety net runs too (the
# net is skipped when the rules already say emergency).
NET_SAMPLE_TEXT = (
    "Hej, jag är 45 år och har haft hosta i snart tre veckor efter en förkylning. "
    "Ingen feber längre men jag blir lite andfådd när jag cyklar till jobbet och "
    "det kliar i halsen på nätterna. Jag har astma sedan barndomen men brukar inte "
    "behöva medicin. Behöver jag komma in eller räcker det med egenvård? Tack, Sara"
)


@dataclass(frozen=True)
class BenchResult:
    """Timing of `runs` calls of `assess` on a text of `chars` characters."""

    runs: int
    chars: int
    mean_us: float
    median_us: float
    p99_us: float
    # CPU time per call (time.process_time): on a busy machine the honest figure,
    # since wall time then mostly measures waiting for a core.
    cpu_us: float


def run_bench(runs: int = 2000, text: str = SAMPLE_TEXT) -> BenchResult:
    """Time `assess(text)` `runs` times (after a short warm-up)."""
    for _ in range(50):
        assess(text, 71, "sv")
    samples = []
    cpu_start = time.process_time()
    for _ in range(runs):
        start = time.perf_counter()
        assess(text, 71, "sv")
        samples.append((time.perf_counter() - start) * 1e6)
    cpu_us = (time.process_time() - cpu_start) / runs * 1e6
    samples.sort()
    return BenchResult(
        runs=runs,
        chars=len(text),
        mean_us=statistics.fmean(samples),
        median_us=statistics.median(samples),
        p99_us=samples[min(len(samples) - 1, int(len(samples) * 0.99))],
        cpu_us=cpu_us,
    )
