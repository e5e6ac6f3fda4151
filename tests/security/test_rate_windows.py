"""The frame limit and the per-contact message window, on a controlled clock.

Both run on every frame, so they are kept in plain slots and deques rather
than the `limits` library's shared storage; these tests pin their rules: a
fixed window counted from its first frame, and a moving window per contact
that a reconnect does not reset (the app's moving windows).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from limits import parse

from chatserver import ratelimit
from chatserver.errors import RateLimited, StateConflict
from chatserver.moving_windows import MovingWindows
from chatserver.ratelimit import ABUSE_REFUSALS, ContactMessages, Limits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(monotonic=c))
    return c


def test_frame_window_counts_from_its_first_frame(clock: Clock) -> None:
    limiter = Limits(frame_rate="3/second").frame_limiter()
    assert [limiter.allow() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.99
    assert not limiter.allow()
    clock.now += 0.01  # one second after the window's first frame
    assert limiter.allow()
    assert not limiter.abusive()


def test_refusals_in_a_row_make_a_connection_abusive(clock: Clock) -> None:
    limiter = Limits(frame_rate="1/second").frame_limiter()
    assert limiter.allow()
    for _ in range(ABUSE_REFUSALS):
        assert not limiter.allow()
    assert limiter.abusive()
    clock.now += 1.0
    assert limiter.allow()  # an allowed frame clears the count
    assert not limiter.abusive()


def volume_of(clock: Clock, rate: str = "60/minute", cap: int = 0) -> ContactMessages:
    limits = Limits()
    limits.storage = MovingWindows(clock)
    return ContactMessages(limits, parse(rate), cap)


def test_contact_window_moves_and_says_when_to_retry(clock: Clock) -> None:
    volume = volume_of(clock, "2/minute")
    assert volume.refusal("c1") is None
    clock.now += 20
    assert volume.refusal("c1") is None
    refused = volume.refusal("c1")
    assert isinstance(refused, RateLimited)
    assert refused.extra == {"retry_after_s": 40}
    assert volume.refusal("c2") is None  # per contact
    clock.now += 40.5  # the first message left the window; the second has not
    assert volume.refusal("c1") is None
    assert isinstance(volume.refusal("c1"), RateLimited)


def test_a_reconnect_does_not_reset_the_window(clock: Clock) -> None:
    volume = volume_of(clock, "1/minute")
    assert volume.refusal("c1") is None
    volume.forget("c1")  # the last socket closed
    assert isinstance(volume.refusal("c1"), RateLimited)


def test_total_cap_follows_the_contacts_seq(clock: Clock) -> None:
    volume = volume_of(clock, cap=3)
    volume.seen("c1", 3)
    volume.seen("c1", 2)  # never lowered
    refused = volume.refusal("c1")
    assert isinstance(refused, StateConflict)
    assert refused.code == "contact_message_limit"
    volume.forget("c1")
    assert volume.refusal("c1") is None
