"""Estimated wait from the recent pick rate."""

from __future__ import annotations

from chatserver.core.wait_estimate import (
    DEFAULT_S_PER_CONTACT,
    MAX_ESTIMATE_S,
    PickRate,
    estimate_wait_s,
)


def test_fallback_without_enough_picks() -> None:
    """Fewer than 3 recent picks: 360 s per contact ahead."""
    assert estimate_wait_s(2, [1000.0, 1100.0], now=1200.0) == 2 * DEFAULT_S_PER_CONTACT


def test_rate_from_recent_picks() -> None:
    """6 picks over the last 600 s → 100 s per contact."""
    picks = [1000.0 + 100 * i for i in range(6)]  # 1000..1500
    assert estimate_wait_s(3, picks, now=1600.0) == 300


def test_old_picks_ignored() -> None:
    """Picks outside the 30-minute window do not count."""
    picks = [0.0, 10.0, 20.0, 5000.0]
    assert estimate_wait_s(1, picks, now=5010.0) == DEFAULT_S_PER_CONTACT


def test_position_zero_and_cap() -> None:
    """Nobody ahead waits 0; estimates are capped at four hours."""
    assert estimate_wait_s(0, [], now=0.0) == 0
    assert estimate_wait_s(1000, [], now=0.0) == MAX_ESTIMATE_S


def test_minimum_span_one_minute() -> None:
    """Three picks in one second do not promise a one-second wait per contact."""
    assert estimate_wait_s(1, [100.0, 100.5, 101.0], now=101.0) == 20


def test_pick_rate_prunes() -> None:
    """PickRate keeps a bounded window and estimates from it."""
    rate = PickRate([0.0, 1.0])
    for t in (3000.0, 3100.0, 3200.0):
        rate.record(t)
    assert rate.estimate(1, now=3300.0) == 100
    rate.prune(now=10_000.0)
    assert rate.estimate(2, now=10_000.0) == 2 * DEFAULT_S_PER_CONTACT
