"""The socket-flood benchmark runs end to end, bounded (its figures are reported in
docs/benchmarks.md, not asserted: tests/security/test_socket_limits.py pins the limits)."""

from __future__ import annotations

from loadtests.socket_flood import PHASES, measure


def test_socket_flood_measures_rest_and_both_floods() -> None:
    figures = measure(20, 3, warmup_s=0.5)
    for phase in PHASES:
        assert figures[phase]["pings"] == 20
        assert figures[phase]["p99_ms"] > 0
    for phase in PHASES[1:]:
        got = figures[phase]["flooders"]
        assert got.get("frames", 0) > 0
        assert got.get("closed_1008", 0) > 0  # the frame limit closed flooders
