"""Percentiles and means of durations given as histograms (pure).

The store returns durations as ``{whole_seconds: number_of_contacts}`` so a
year of contacts crosses the database boundary as a few thousand rows, not a
million. Percentiles use the *nearest-rank* method: the p-th percentile of n
values is the smallest value v such that at least ``ceil(p/100 * n)`` values
are <= v. It is always one of the observed values, so a hand-computed fixture
has exactly one right answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["mean_of", "percentile_of", "summary_of", "total_of"]


def total_of(counts: Mapping[int, int]) -> int:
    return sum(counts.values())


def percentile_of(counts: Mapping[int, int], p: float) -> int | None:
    """Nearest-rank ``p``-th percentile (0 < p <= 100); None when empty."""
    if not 0 < p <= 100:
        raise ValueError("p must be in (0, 100]")
    n = total_of(counts)
    if n == 0:
        return None
    rank = max(1, math.ceil(p / 100 * n))
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= rank:
            return value
    raise AssertionError("unreachable: rank <= n")


def mean_of(counts: Mapping[int, int]) -> float | None:
    """Arithmetic mean rounded to 0.1; None when empty."""
    n = total_of(counts)
    if n == 0:
        return None
    return round(sum(v * c for v, c in counts.items()) / n, 1)


def summary_of(counts: Mapping[int, int]) -> dict[str, float | int | None]:
    """``{"count", "median_s", "p90_s", "mean_s"}`` of a duration histogram."""
    return {
        "count": total_of(counts),
        "median_s": percentile_of(counts, 50),
        "p90_s": percentile_of(counts, 90),
        "mean_s": mean_of(counts),
    }
