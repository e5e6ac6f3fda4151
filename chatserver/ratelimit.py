"""Rate limits on frames, logins and intakes, on the `limits` library.

Per-connection frame limit: ``FRAME_RATE`` (a patient or nurse types far
slower; a reconnecting client's resends fit the burst). A connection that keeps
hitting the limit after ``ABUSE_REFUSALS`` refusals is closed (1008). It
applies from a socket's first frame, before ``hello`` too.

Per-contact message volume (:class:`ContactMessages`): a rate of patient
messages per contact over all its sockets, and a cap on the messages a contact
may hold (docs/security.md "Socket limits").
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse

from chatserver.errors import ChatError, RateLimited, StateConflict
from chatserver.moving_windows import MovingWindows

# 30 frames a second per connection: typing indicators are throttled to about
# one a second by the clients, messages come at human speed; 30 leaves room for
# a reconnect's resend burst.
FRAME_RATE = "30/second"
# 50 refused frames in a row: no well-behaved client keeps sending after errors.
ABUSE_REFUSALS = 50
# Patient messages per contact (all its sockets): a person types a message every
# few seconds at most; a reconnect resends what was pending in one burst, which
# the moving window's 60 take at once (see docs/security.md "Socket limits").
CONTACT_MESSAGE_RATE = "60/minute"
# Messages one contact may hold (every sender): an hour-long chat with a
# message every 10 s from each side is 720; 1,000 of 4,000 characters is 4 MB.
MAX_MESSAGES_PER_CONTACT = 1000


class Limits:
    """One limits storage per app (state on the app, not in globals)."""

    def __init__(
        self,
        frame_rate: str = FRAME_RATE,
        contact_message_rate: str = CONTACT_MESSAGE_RATE,
        max_messages_per_contact: int = MAX_MESSAGES_PER_CONTACT,
    ) -> None:
        # The per-address and per-account windows (no timer thread walking every
        # key: chatserver/moving_windows.py); ``storage.reset()`` clears them.
        self.storage = MovingWindows()
        self.frame_item: RateLimitItem = parse(frame_rate)
        self.contact_messages = ContactMessages(
            self, parse(contact_message_rate), max_messages_per_contact
        )

    def frame_limiter(self) -> FrameLimiter:
        return FrameLimiter(self)

    def hit(self, item: RateLimitItem, *key: str) -> bool:
        """Moving-window check for logins and intakes (per address or account)."""
        return self.storage.hit(item, *key)

    def allows(self, item: RateLimitItem, *key: str) -> bool:
        """Whether one more :meth:`hit` would pass, without counting one
        (sign-ins count only their failures)."""
        return self.storage.test(item, *key)


class FrameLimiter:
    """The frame limit of one connection: a fixed window of ``frame_item``
    (e.g. 30 frames in a second, counted from the window's first frame), the
    same rule as the `limits` library's fixed window, kept in three slots of
    the connection's own object. It runs on every frame, so there is no key,
    shared storage or expiry timer per socket."""

    __slots__ = ("_amount", "_count", "_period", "_refused", "_start")

    def __init__(self, limits: Limits) -> None:
        item = limits.frame_item
        self._amount = item.amount
        self._period = float(item.get_expiry())
        self._start = -math.inf
        self._count = 0
        self._refused = 0

    def allow(self) -> bool:
        now = time.monotonic()
        if now - self._start >= self._period:
            self._start = now
            self._count = 0
        self._count += 1
        if self._count <= self._amount:
            self._refused = 0
            return True
        self._refused += 1
        return False

    def abusive(self) -> bool:
        return self._refused >= ABUSE_REFUSALS


class ContactMessages:
    """The per-contact message rate and total cap, on one instance.

    The rate is a moving window counted in this instance's memory (several
    instances each count their own sockets), in the app's
    :class:`~chatserver.moving_windows.MovingWindows`: a contact's window
    outlives its sockets (a reconnect does not reset it).

    The total follows the contact's ``seq`` (which counts every message on
    every instance): seeded at ``hello`` and raised by every ack, so it holds
    across instances within the messages in flight.
    """

    __slots__ = ("_item", "_max", "_seq", "_windows")

    def __init__(self, limits: Limits, item: RateLimitItem, max_messages: int) -> None:
        self._windows = limits.storage
        self._item = item
        self._max = max_messages
        self._seq: dict[str, int] = {}

    def seen(self, contact_id: str, seq: int) -> None:
        """The contact holds at least ``seq`` messages (its welcome, an ack)."""
        if seq > self._seq.get(contact_id, 0):
            self._seq[contact_id] = seq

    def forget(self, contact_id: str) -> None:
        """The contact's last socket here closed."""
        self._seq.pop(contact_id, None)

    def refusal(self, contact_id: str) -> ChatError | None:
        """Why one more patient message is refused now, or None (and it is counted)."""
        if self._max and self._seq.get(contact_id, 0) >= self._max:
            return StateConflict(
                "contact_message_limit",
                f"this chat holds {self._max} messages, the most it may",
                extra={"max_messages": self._max},
            )
        if self._windows.hit(self._item, "contact-msg", contact_id):
            return None
        retry_after = max(
            1, math.ceil(self._windows.retry_in(self._item, "contact-msg", contact_id))
        )
        return RateLimited(
            "rate_limited",
            "too many messages in this chat, wait a little",
            extra={"retry_after_s": retry_after},
        )
