"""Moving-window hit counts per key, in this process's memory, with no timer.

The per-address limits on intakes and staff sign-ins (:mod:`chatserver.ratelimit`)
count hits in a moving window: a hit passes while fewer than ``amount`` hits of
the same key fell within the last ``period`` seconds (the rule of the `limits`
library's moving window, whose in-memory storage this replaces). That storage
restarted a timer thread every 10 ms while hits came, and the timer walked
every key under the GIL: with a key per client address kept for a minute, 500
intakes a second from distinct addresses made 30,000 keys walked 100 times a
second, a quarter of the server's CPU.

Here a key keeps the times of its hits still in the window in a deque (at most
``amount``; older ones are dropped when the key is next hit), and windows with
no hit left in them are dropped by one sweep every :data:`SWEEP_S`, run on the
caller's thread by the first hit after that time. Used from the event loop only.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from limits import RateLimitItem

__all__ = ["SWEEP_S", "MovingWindows"]

# The limits this serves have windows of a minute; sweeping as often keeps a
# key for at most two windows after its last hit (memory bounded by two
# minutes of distinct addresses) for one pass over the keys a minute.
SWEEP_S = 60.0

# (amount, period in seconds, the caller's key parts)
_Key = tuple[int, float, tuple[str, ...]]


class MovingWindows:
    """Hit times per (limit, key) within that limit's moving window."""

    __slots__ = ("_clock", "_sweep_at", "_windows")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[_Key, deque[float]] = {}
        self._sweep_at = clock() + SWEEP_S

    def hit(self, item: RateLimitItem, *key: str) -> bool:
        """Count one hit of ``key`` and say whether it is within ``item``; a
        refused hit is not counted (the `limits` moving window's rule)."""
        now = self._clock()
        if now >= self._sweep_at:
            self._sweep(now)
        period = float(item.get_expiry())
        window_key = (item.amount, period, key)
        hits = self._windows.get(window_key)
        if hits is None:
            hits = self._windows[window_key] = deque()
        else:
            _drop_before(hits, now - period)
        if len(hits) >= item.amount:
            return False
        hits.append(now)
        return True

    def test(self, item: RateLimitItem, *key: str) -> bool:
        """Whether one more :meth:`hit` would pass, without counting one."""
        period = float(item.get_expiry())
        hits = self._windows.get((item.amount, period, key))
        if hits is None:
            return item.amount > 0
        _drop_before(hits, self._clock() - period)
        return len(hits) < item.amount

    def retry_in(self, item: RateLimitItem, *key: str) -> float:
        """Seconds until the oldest hit of ``key`` leaves ``item``'s window
        (when a refused hit would pass again); 0 when it would pass now."""
        if self.test(item, *key):
            return 0.0
        hits = self._windows[(item.amount, float(item.get_expiry()), key)]
        return max(0.0, hits[0] + float(item.get_expiry()) - self._clock())

    def reset(self) -> None:
        """Forget every hit (tests whose subject is not the limit)."""
        self._windows.clear()

    def __len__(self) -> int:
        """Keys held (tests: the sweep bounds memory)."""
        return len(self._windows)

    def _sweep(self, now: float) -> None:
        """Drop the windows whose last hit has left them."""
        stale = [k for k, hits in self._windows.items() if not hits or hits[-1] < now - k[1]]
        for k in stale:
            del self._windows[k]
        self._sweep_at = now + SWEEP_S


def _drop_before(hits: deque[float], horizon: float) -> None:
    """Drop hit times before ``horizon`` (a hit at the horizon still counts)."""
    while hits and hits[0] < horizon:
        hits.popleft()
