"""Estimated wait from the recent pick rate of a queue (pure).

``estimate_wait_s(position, pick_times, now)``: with ``n`` picks in the last
``window_s`` seconds the queue moves at ``n / window_s`` contacts per second,
so the patient at ``position`` waits about ``position / rate``. With fewer than
``MIN_PICKS`` recent picks the rate is too noisy; we fall back to
``DEFAULT_S_PER_CONTACT`` per contact ahead, a typical nurse chat handling time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

# 30 minutes: long enough to smooth one nurse's rhythm, short enough to follow
# a shift change.
WINDOW_S = 30 * 60.0
# Below three picks a single long chat dominates the rate.
MIN_PICKS = 3
# Fallback: about six minutes per contact ahead (typical chat handling time).
DEFAULT_S_PER_CONTACT = 360.0
# Never promise more than four hours; beyond that the number means nothing.
MAX_ESTIMATE_S = 4 * 3600


@dataclass(frozen=True, slots=True)
class Place:
    """A waiting patient's place in line: 1 = next, and the estimated wait."""

    position: int
    estimated_wait_s: int

    def to_dict(self) -> dict[str, int]:
        """The contract's ``queue`` object (intake reply, patient ``welcome``)."""
        return {"position": self.position, "estimated_wait_s": self.estimated_wait_s}


def estimate_wait_s(
    position: int,
    pick_times: Iterable[float],
    now: float,
    *,
    window_s: float = WINDOW_S,
) -> int:
    """Seconds until the patient at ``position`` (1 = next) is likely picked."""
    if position <= 0:
        return 0
    recent = [t for t in pick_times if now - window_s <= t <= now]
    if len(recent) >= MIN_PICKS:
        # The span actually covered by the picks, not the full window, so that
        # a queue that just opened is not judged as slow.
        span = max(now - min(recent), 60.0)
        per_contact = span / len(recent)
    else:
        per_contact = DEFAULT_S_PER_CONTACT
    return min(round(position * per_contact), MAX_ESTIMATE_S)


class PickRate:
    """Recent pick times of one queue, bounded (pure, no clock of its own)."""

    __slots__ = ("_times", "window_s")

    def __init__(self, times: Iterable[float] = (), *, window_s: float = WINDOW_S) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque(sorted(times))

    def record(self, at: float) -> None:
        self._times.append(at)

    def prune(self, now: float) -> None:
        while self._times and self._times[0] < now - self.window_s:
            self._times.popleft()

    def estimate(self, position: int, now: float) -> int:
        self.prune(now)
        return estimate_wait_s(position, self._times, now, window_s=self.window_s)
