"""Pure core of the contact life cycle: no await, no I/O.

Data flow: :mod:`lifecycle` (states and allowed transitions) →
:mod:`waiting_room` (queue order and positions) → :mod:`wait_estimate`
(estimated wait from the recent pick rate).
"""

from chatserver.core.lifecycle import (
    OUTCOMES,
    ContactStatus,
    InvalidTransition,
    Transition,
    next_status,
)
from chatserver.core.wait_estimate import PickRate, estimate_wait_s
from chatserver.core.waiting_room import (
    AGEING_CREDIT_S,
    TIER_FRONT,
    TIER_NORMAL,
    WaitingEntry,
    WaitingRoom,
    priority_key,
)

__all__ = [
    "AGEING_CREDIT_S",
    "OUTCOMES",
    "TIER_FRONT",
    "TIER_NORMAL",
    "ContactStatus",
    "InvalidTransition",
    "PickRate",
    "Transition",
    "WaitingEntry",
    "WaitingRoom",
    "estimate_wait_s",
    "next_status",
    "priority_key",
]
