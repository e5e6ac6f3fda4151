"""Poll until a condition holds, instead of sleeping a fixed time and hoping.

``wait_until(lambda: len(delivered) == 1)`` returns as soon as the predicate is
true (its first truthy value is returned) and fails with an AssertionError that
names the condition and its last value once ``timeout`` seconds have passed.
An exception raised by the predicate propagates at once (e.g. "the server
process exited": no point waiting any longer). ``wait_until_async`` is the same
for coroutines; its predicate may be sync or async.

Keep a plain sleep only where the elapsed time itself is what the test is
about (a simulated delay, a paced client, a window in which something must
*not* happen), with a comment saying so.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

__all__ = ["DEFAULT_INTERVAL_S", "DEFAULT_TIMEOUT_S", "wait_until", "wait_until_async"]

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_INTERVAL_S = 0.02


def _describe(predicate: Callable[..., object]) -> str:
    """The predicate's name, or for a lambda the source line that holds it."""
    name = getattr(predicate, "__qualname__", None) or repr(predicate)
    if name.endswith("<lambda>"):
        try:
            return inspect.getsource(predicate).strip()
        except (OSError, TypeError):
            pass
    return name


def _timed_out(
    predicate: Callable[..., object],
    message: str | None,
    timeout: float,
    polls: int,
    last: object,
) -> AssertionError:
    what = message or _describe(predicate)
    return AssertionError(
        f"condition not true within {timeout:g} s ({polls} polls): {what}; last value: {last!r}"
    )


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = DEFAULT_INTERVAL_S,
    message: str | None = None,
) -> T:
    """Call ``predicate`` every ``interval`` s until it returns a truthy value (returned)."""
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        value = predicate()
        polls += 1
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(predicate, message, timeout, polls, value)
        time.sleep(min(interval, remaining))


async def wait_until_async(
    predicate: Callable[[], T | Awaitable[T]],
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = DEFAULT_INTERVAL_S,
    message: str | None = None,
) -> T:
    """:func:`wait_until` without blocking the event loop; ``predicate`` may be async."""
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        result = predicate()
        value = cast(T, await result if inspect.isawaitable(result) else result)
        polls += 1
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(predicate, message, timeout, polls, value)
        await asyncio.sleep(min(interval, remaining))
