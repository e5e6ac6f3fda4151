"""Per-account lockout with exponential back-off, kept in the database.

``MAX_FAILURES`` failed sign-ins within ``WINDOW_S`` lock the account name for
``BASE_LOCK_S``; every further lockout before a successful sign-in doubles the
lock, up to ``MAX_LOCK_S``. Names are counted whether or not they exist, so a
lockout never tells an attacker that an account exists.

Numbers: 5 failures in 15 minutes is more than a person mistyping needs (2–3)
and bounds online guessing of one account to a handful per lock period; the
doubling (15 min, 30 min, 1 h, ... 24 h) makes a sustained guess run hopeless
while a locked-out nurse is back within 15 minutes of a first lockout.

The decisions (:func:`locked_for`, :func:`after_failure`) are pure functions of
a :class:`~chatserver.storage.base.LockoutRecord` and the time.
:class:`AccountLockout` is the thin shell that keeps the records in storage
(table ``login_lockouts``, migration 0008), so every instance on the database
counts the same failures and a restart forgets nothing: several instances do
not multiply an attacker's attempts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from chatserver.storage.base import LockoutRecord, Storage

__all__ = [
    "AccountLockout",
    "LockoutPolicy",
    "after_failure",
    "locked_for",
    "name_key",
]

MAX_FAILURES = 5
WINDOW_S = 15 * 60
BASE_LOCK_S = 15 * 60
MAX_LOCK_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    max_failures: int = MAX_FAILURES
    window_s: float = WINDOW_S
    base_lock_s: float = BASE_LOCK_S
    max_lock_s: float = MAX_LOCK_S


def name_key(name: str) -> str:
    """The stored key of an account name as typed: case-insensitive, and hashed
    so that a password typed into the name field is not kept in the clear."""
    return hashlib.sha256(b"chatserver-lockout\0" + name.lower().encode()).hexdigest()


def locked_for(record: LockoutRecord | None, now: float) -> float:
    """Seconds the name stays locked (0 when it may try)."""
    if record is None:
        return 0.0
    return max(0.0, record.locked_until - now)


def after_failure(
    record: LockoutRecord, now: float, policy: LockoutPolicy
) -> tuple[LockoutRecord, float]:
    """The record after one more failure, and the lock it starts (0 when none)."""
    # A day without failures forgets earlier lockouts.
    lockouts = 0 if now - record.last_failure > policy.max_lock_s else record.lockouts
    failures = (*(t for t in record.failures if now - t < policy.window_s), now)
    locked_until = record.locked_until
    lock = 0.0
    if len(failures) >= policy.max_failures:
        failures = ()
        lockouts += 1
        lock = float(min(policy.base_lock_s * 2.0 ** (lockouts - 1), policy.max_lock_s))
        locked_until = now + lock
    # Until when the record matters: its lock, its failures' window, and (after
    # a lockout) the day that keeps the back-off doubling.
    keep_s = policy.max_lock_s if lockouts else policy.window_s
    updated = LockoutRecord(
        failures=failures,
        lockouts=lockouts,
        locked_until=locked_until,
        last_failure=now,
        expires_at=max(locked_until, now + keep_s),
    )
    return updated, lock


class AccountLockout:
    """The lockout of :mod:`chatserver.access.signin`, shared through ``storage``."""

    def __init__(
        self,
        storage: Storage,
        clock: Callable[[], float],
        policy: LockoutPolicy | None = None,
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.policy = policy or LockoutPolicy()

    async def locked_for(self, name: str) -> float:
        """Seconds the name stays locked (0 when it may try)."""
        return locked_for(await self.storage.get_lockout(name_key(name)), self.clock())

    async def failure(self, name: str) -> float:
        """Record a failed sign-in; returns the lock length when this one locks, else 0."""
        now = self.clock()
        policy = self.policy
        return await self.storage.update_lockout(
            name_key(name), lambda record: after_failure(record, now, policy), now=now
        )

    async def success(self, name: str) -> None:
        await self.storage.delete_lockout(name_key(name))
