"""argon2 off the event loop: a small thread pool with a bounded queue.

One argon2id verification costs about 0.19 s of CPU (``passwords.py``). On
the event loop it stalls every socket of the instance for that long: ten
failed logins pushed a chatting patient's ack p99 from 12 ms to 595 ms. Here
verifications run on ``CHATSERVER_PASSWORD_WORKERS`` threads (argon2-cffi
releases the GIL while hashing), at most ``CHATSERVER_PASSWORD_QUEUE`` more
wait for one, and a sign-in beyond that is refused at once with 503 ``busy``
and ``Retry-After`` instead of queueing without bound (a flood of guesses
must not turn into minutes of waiting for the nurses' own sign-ins).

The threads also run at the lowest CPU priority (``nice`` +:data:`NICE`; on
Linux each thread has its own, and argon2's lane threads inherit it): argon2id
uses four lanes, so two verifications keep eight threads busy, and on a
two-core machine the event loop and the SQLite threads must still get the CPU
at once when a message arrives (measured: ack p99 x10 without it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from chatserver.errors import ServiceUnavailable

__all__ = ["BUSY_RETRY_AFTER_S", "PasswordPool"]

T = TypeVar("T")

# Retry hint when the pool is full: a worker clears about five verifications
# a second, so a second frees room for a few sign-ins.
BUSY_RETRY_AFTER_S = 1
# Niceness added to the password threads (19, the lowest priority): CFS gives a
# nice-0 thread (the event loop, SQLite's) about 70 times their share of a
# contended core, so sign-ins use the CPU the chat leaves. Measured with
# loadtests/login_stall.py: ack p99 under 20 failing sign-in clients was 5-7x
# its resting value at +10 and 1.6-2.6x at +19.
NICE = 19


def _lower_priority() -> None:
    """Thread initializer: lower this thread's CPU priority (Linux: per thread)."""
    with contextlib.suppress(OSError, AttributeError):
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + NICE)


class PasswordPool:
    """Runs password hashing and verification on its own threads."""

    def __init__(self, workers: int, queue: int) -> None:
        if workers < 1 or queue < 0:
            raise ValueError("workers must be at least 1 and queue at least 0")
        self.workers = workers
        self.capacity = workers + queue  # running + waiting
        self.in_use = 0
        self.refused = 0
        self._executor: ThreadPoolExecutor | None = None

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` on a pool thread; 503 ``busy`` when the queue is full."""
        if self.in_use >= self.capacity:
            self.refused += 1
            raise ServiceUnavailable(
                "busy",
                "too many sign-ins at once; try again in a moment",
                extra={"retry_after_s": BUSY_RETRY_AFTER_S},
            )
        if self._executor is None:  # threads only once someone signs in
            self._executor = ThreadPoolExecutor(
                self.workers, thread_name_prefix="argon2", initializer=_lower_priority
            )
        self.in_use += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        finally:
            self.in_use -= 1

    def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
