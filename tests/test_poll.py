"""The poll-until-true helper the tests wait with (tests/poll.py)."""

from __future__ import annotations

import threading
import time

import pytest

from tests.poll import wait_until, wait_until_async


class Countdown:
    """False for the first ``n`` calls, then the number of calls so far."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls if self.calls > self.n else 0


def test_returns_at_once_when_already_true() -> None:
    """A predicate true at the first call: no sleep at all, its value is returned."""
    started = time.monotonic()
    assert wait_until(lambda: "ready", interval=5) == "ready"
    assert time.monotonic() - started < 1.0


def test_returns_as_soon_as_the_predicate_is_true() -> None:
    """Polled until true, then not once more."""
    countdown = Countdown(3)
    assert wait_until(countdown, timeout=10, interval=0.001) == 4
    assert countdown.calls == 4


def test_returns_soon_after_another_thread_makes_it_true() -> None:
    """The wait ends within about one interval of the condition becoming true."""
    done = threading.Event()
    timer = threading.Timer(0.2, done.set)
    started = time.monotonic()
    timer.start()
    try:
        assert wait_until(done.is_set, timeout=30, interval=0.01) is True
    finally:
        timer.cancel()
    assert 0.2 <= time.monotonic() - started < 5.0  # far below the 30 s timeout


def test_times_out_with_the_condition_and_last_value() -> None:
    """Never true: AssertionError after the timeout, naming the lambda and its last value."""
    items: list[int] = []
    started = time.monotonic()
    with pytest.raises(AssertionError) as excinfo:
        wait_until(lambda: len(items) == 1, timeout=0.2, interval=0.05)
    assert time.monotonic() - started >= 0.2
    text = str(excinfo.value)
    assert "condition not true within 0.2 s" in text
    assert "lambda: len(items) == 1" in text
    assert "last value: False" in text


def test_timeout_message_can_be_given() -> None:
    """``message`` replaces the description of the predicate; named functions are named."""
    with pytest.raises(AssertionError, match=r"within 0\.05 s .*: server up; last value: None"):
        wait_until(lambda: None, timeout=0.05, interval=0.01, message="server up")

    def never() -> bool:
        return False

    with pytest.raises(AssertionError, match=r"never; last value: False"):
        wait_until(never, timeout=0.05, interval=0.01)


def test_an_error_in_the_predicate_stops_the_wait() -> None:
    """The predicate's own exception propagates at once (e.g. "the process exited")."""

    def exited() -> bool:
        raise RuntimeError("server exited with 1")

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="exited"):
        wait_until(exited, timeout=30)
    assert time.monotonic() - started < 1.0


async def test_async_accepts_sync_and_async_predicates() -> None:
    """wait_until_async awaits an async predicate and calls a sync one, stopping when true."""
    countdown = Countdown(2)
    assert await wait_until_async(countdown, interval=0.001) == 3
    assert countdown.calls == 3

    calls = 0

    async def ready() -> bool:
        nonlocal calls
        calls += 1
        return calls >= 3

    assert await wait_until_async(ready, interval=0.001) is True
    assert calls == 3


async def test_async_times_out_with_the_message() -> None:
    """Never true: AssertionError after the timeout, with the last (awaited) value."""

    async def frames() -> list[str]:
        return []

    started = time.monotonic()
    with pytest.raises(AssertionError, match=r"within 0\.1 s .*: a frame; last value: \[\]"):
        await wait_until_async(frames, timeout=0.1, interval=0.02, message="a frame")
    assert time.monotonic() - started >= 0.1
