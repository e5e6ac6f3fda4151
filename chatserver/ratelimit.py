"""Rate limits on frames, logins and intakes, on the `limits` library.

Per-connection frame limit: ``FRAME_RATE`` (a patient or nurse types far
slower; a reconnecting client's resends fit the burst). A connection that keeps
hitting the limit after ``ABUSE_REFUSALS`` refusals is closed (1008).
"""

from __future__ import annotations

import itertools

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

# 30 frames a second per connection: typing indicators are throttled to about
# one a second by the clients, messages come at human speed; 30 leaves room for
# a reconnect's resend burst.
FRAME_RATE = "30/second"
# 50 refused frames in a row: no well-behaved client keeps sending after errors.
ABUSE_REFUSALS = 50

_ids = itertools.count()


class Limits:
    """One limits storage per app (state on the app, not in globals)."""

    def __init__(self, frame_rate: str = FRAME_RATE) -> None:
        self.storage = MemoryStorage()
        self.fixed = FixedWindowRateLimiter(self.storage)
        self.moving = MovingWindowRateLimiter(self.storage)
        self.frame_item: RateLimitItem = parse(frame_rate)

    def frame_limiter(self) -> FrameLimiter:
        return FrameLimiter(self)

    def hit(self, item: RateLimitItem, *key: str) -> bool:
        """Moving-window check for logins and intakes (per address or account)."""
        return self.moving.hit(item, *key)

    def allows(self, item: RateLimitItem, *key: str) -> bool:
        """Whether one more :meth:`hit` would pass, without counting one
        (sign-ins count only their failures)."""
        return self.moving.test(item, *key)


class FrameLimiter:
    __slots__ = ("_key", "_limits", "_refused")

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._key = f"conn-{next(_ids)}"
        self._refused = 0

    def allow(self) -> bool:
        if self._limits.fixed.hit(self._limits.frame_item, self._key):
            self._refused = 0
            return True
        self._refused += 1
        return False

    def abusive(self) -> bool:
        return self._refused >= ABUSE_REFUSALS
