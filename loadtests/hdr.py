"""Latency histograms (HDR) and their summary: p50, p90, p99, p99.9 and max.

Values are recorded in microseconds. The range (1 µs .. 60 s) covers every
latency a scenario can produce within its own time bound; 3 significant
digits keeps the error under 0.1 %.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 60_000_000  # 60 s: longer than any scenario's time bound
SIGNIFICANT_DIGITS = 3
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


@dataclass(frozen=True, slots=True)
class LatencySummary:
    """Percentiles in milliseconds plus the sample count."""

    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LatencySummary:
        return cls(**data)

    def cells(self) -> str:
        """`p50 / p90 / p99 / p99.9 / max` in ms, for tables."""
        return " / ".join(
            f"{v:.2f}" for v in (self.p50_ms, self.p90_ms, self.p99_ms, self.p999_ms, self.max_ms)
        )


class LatencyRecorder:
    """One HDR histogram; seconds in, microseconds stored."""

    def __init__(self) -> None:
        self.histogram = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)

    def record(self, seconds: float) -> None:
        us = int(seconds * 1_000_000)
        self.histogram.record_value(min(max(us, LOWEST_US), HIGHEST_US))

    def merge(self, other: LatencyRecorder) -> None:
        self.histogram.add(other.histogram)

    @property
    def count(self) -> int:
        return int(self.histogram.get_total_count())

    def summary(self) -> LatencySummary:
        h = self.histogram
        p50, p90, p99, p999 = (h.get_value_at_percentile(p) / 1000 for p in PERCENTILES)
        return LatencySummary(
            count=self.count,
            p50_ms=p50,
            p90_ms=p90,
            p99_ms=p99,
            p999_ms=p999,
            max_ms=h.get_max_value() / 1000,
        )

    def encoded(self) -> str:
        """Compressed HdrHistogram log form, so raw results can be re-analysed."""
        return str(self.histogram.encode().decode("ascii"))
