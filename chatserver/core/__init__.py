"""Pure core of the contact life cycle: no await, no I/O.

Data flow: :mod:`lifecycle` (states and allowed transitions) →
:mod:`urgency` (the one order of triage levels) → :mod:`waiting_room` (queue
order and positions) → :mod:`wait_estimate` (estimated wait from the recent
pick rate) → :mod:`decisions` (each action on a contact: the write to make
and the frames to send to whom, as :mod:`effects` values) and :mod:`retriage`
(triage raises and follow-up questions of later messages).

:mod:`effects`, :mod:`decisions` and :mod:`retriage` are imported by their own
names and not re-exported here: they build :mod:`chatserver.ws.wire` frames
over :mod:`chatserver.storage.base` records, and storage uses
:class:`ContactStatus` from :mod:`lifecycle`; were they re-exported, importing
storage would import storage again half-way.
"""

from chatserver.core.lifecycle import (
    OUTCOMES,
    ContactStatus,
    InvalidTransition,
    Transition,
    allows,
    next_status,
)
from chatserver.core.urgency import LEVEL_RANK, LEVELS, URGENCY, more_urgent, rank
from chatserver.core.wait_estimate import PickRate, Place, estimate_wait_s
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
    "LEVELS",
    "LEVEL_RANK",
    "OUTCOMES",
    "TIER_FRONT",
    "TIER_NORMAL",
    "URGENCY",
    "ContactStatus",
    "InvalidTransition",
    "PickRate",
    "Place",
    "Transition",
    "WaitingEntry",
    "WaitingRoom",
    "allows",
    "estimate_wait_s",
    "more_urgent",
    "next_status",
    "priority_key",
    "rank",
]
