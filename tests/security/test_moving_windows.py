"""The per-address moving windows (intakes, sign-ins) on a controlled clock.

They replace the `limits` library's memory storage, whose timer thread walked
every key a hundred times a second; these tests pin the same rule (a hit
passes while fewer than ``amount`` hits fell within the window, a refused hit
is not counted) and that the sweep, not a thread, bounds the memory.
"""

from __future__ import annotations

from limits import parse

from chatserver.moving_windows import SWEEP_S, MovingWindows
from chatserver.ratelimit import Limits

THREE_A_MINUTE = parse("3/minute")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_hits_pass_up_to_the_amount_within_the_window() -> None:
    """The fourth hit within a minute is refused; a refused hit does not count."""
    clock = Clock()
    windows = MovingWindows(clock)
    assert [windows.hit(THREE_A_MINUTE, "addr", "a") for _ in range(3)] == [True] * 3
    clock.now += 30
    assert not windows.hit(THREE_A_MINUTE, "addr", "a")
    clock.now += 29.5  # 59.5 s after the first three: still inside
    assert not windows.hit(THREE_A_MINUTE, "addr", "a")
    clock.now += 0.5  # 60 s: a hit at the window's edge still counts
    assert not windows.hit(THREE_A_MINUTE, "addr", "a")
    clock.now += 0.01  # the first three have left; the refused ones never counted
    assert [windows.hit(THREE_A_MINUTE, "addr", "a") for _ in range(4)] == [True] * 3 + [False]


def test_the_window_moves_hit_by_hit() -> None:
    """Hits leave the window one by one, each a window after it came."""
    clock = Clock()
    windows = MovingWindows(clock)
    for _ in range(3):
        assert windows.hit(THREE_A_MINUTE, "a")
        clock.now += 20
    assert not windows.hit(THREE_A_MINUTE, "a")  # t=60: the first is still at the edge
    clock.now += 1
    assert windows.hit(THREE_A_MINUTE, "a")  # t=61: the first left
    assert not windows.hit(THREE_A_MINUTE, "a")


def test_keys_and_limits_are_counted_apart() -> None:
    """Another key, or another limit on the same key, has a window of its own."""
    windows = MovingWindows(Clock())
    one_a_minute = parse("1/minute")
    assert windows.hit(one_a_minute, "intake-addr", "10.0.0.1")
    assert not windows.hit(one_a_minute, "intake-addr", "10.0.0.1")
    assert windows.hit(one_a_minute, "intake-addr", "10.0.0.2")
    assert windows.hit(one_a_minute, "login-addr", "10.0.0.1")
    assert windows.hit(parse("2/minute"), "intake-addr", "10.0.0.1")


def test_test_says_whether_a_hit_would_pass_without_counting() -> None:
    """``test`` (sign-ins count only failures) never uses up the window."""
    clock = Clock()
    windows = MovingWindows(clock)
    one_a_minute = parse("1/minute")
    assert windows.test(one_a_minute, "a")
    assert windows.test(one_a_minute, "a")
    assert windows.hit(one_a_minute, "a")
    assert not windows.test(one_a_minute, "a")
    clock.now += 61
    assert windows.test(one_a_minute, "a")


def test_windows_without_hits_are_swept() -> None:
    """Keys whose hits have all left are dropped by the sweep after SWEEP_S."""
    clock = Clock()
    windows = MovingWindows(clock)
    for n in range(100):
        windows.hit(parse("5/second"), "addr", str(n))
    windows.hit(THREE_A_MINUTE, "addr", "kept")
    assert len(windows) == 101
    clock.now += SWEEP_S - 1
    windows.hit(THREE_A_MINUTE, "addr", "kept")
    assert len(windows) == 101  # not yet time to sweep
    clock.now += 1
    windows.hit(THREE_A_MINUTE, "addr", "new")
    assert len(windows) == 2  # "kept" (hit a second ago) and "new"


def test_reset_forgets_every_hit() -> None:
    """``Limits.storage.reset()`` (tests whose subject is not the limit) clears all."""
    limits = Limits()
    one_a_minute = parse("1/minute")
    assert limits.hit(one_a_minute, "a")
    assert not limits.allows(one_a_minute, "a")
    limits.storage.reset()
    assert limits.allows(one_a_minute, "a")
    assert limits.hit(one_a_minute, "a")
