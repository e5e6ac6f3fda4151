"""Per-account lockout with exponential back-off (pure; the clock is injected).

``MAX_FAILURES`` failed sign-ins within ``WINDOW_S`` lock the account name for
``BASE_LOCK_S``; every further lockout before a successful sign-in doubles the
lock, up to ``MAX_LOCK_S``. Names are counted whether or not they exist, so a
lockout never tells an attacker that an account exists.

Numbers: 5 failures in 15 minutes is more than a person mistyping needs (2–3)
and bounds online guessing of one account to a handful per lock period; the
doubling (15 min, 30 min, 1 h, ... 24 h) makes a sustained guess run hopeless
while a locked-out nurse is back within 15 minutes of a first lockout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

MAX_FAILURES = 5
WINDOW_S = 15 * 60
BASE_LOCK_S = 15 * 60
MAX_LOCK_S = 24 * 3600
# Bound the memory an attacker can make us spend by trying many names.
MAX_TRACKED = 10_000


@dataclass(slots=True)
class _Account:
    failures: list[float] = field(default_factory=list)
    lockouts: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class AccountLockout:
    def __init__(
        self,
        clock: Callable[[], float],
        *,
        max_failures: int = MAX_FAILURES,
        window_s: float = WINDOW_S,
        base_lock_s: float = BASE_LOCK_S,
        max_lock_s: float = MAX_LOCK_S,
    ) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.window_s = window_s
        self.base_lock_s = base_lock_s
        self.max_lock_s = max_lock_s
        self._accounts: dict[str, _Account] = {}

    def locked_for(self, name: str) -> float:
        """Seconds the name stays locked (0 when it may try)."""
        acc = self._accounts.get(name.lower())
        if acc is None:
            return 0.0
        return max(0.0, acc.locked_until - self.clock())

    def failure(self, name: str) -> float:
        """Record a failed sign-in; returns the lock length when this one locks, else 0."""
        now = self.clock()
        key = name.lower()
        acc = self._accounts.get(key)
        if acc is None:
            self._prune(now)
            acc = self._accounts[key] = _Account()
        # A day without failures forgets earlier lockouts.
        if now - acc.last_failure > self.max_lock_s:
            acc.lockouts = 0
        acc.last_failure = now
        acc.failures = [t for t in acc.failures if now - t < self.window_s]
        acc.failures.append(now)
        if len(acc.failures) < self.max_failures:
            return 0.0
        acc.failures.clear()
        acc.lockouts += 1
        lock = float(min(self.base_lock_s * 2.0 ** (acc.lockouts - 1), self.max_lock_s))
        acc.locked_until = now + lock
        return lock

    def success(self, name: str) -> None:
        self._accounts.pop(name.lower(), None)

    def _prune(self, now: float) -> None:
        if len(self._accounts) < MAX_TRACKED:
            return
        stale = [
            k
            for k, a in self._accounts.items()
            if a.locked_until <= now and now - a.last_failure > self.window_s
        ]
        for k in stale:
            del self._accounts[k]
