"""Contact life cycle as a pure state machine.

::

    intake ──▶ emergency_advised ──(acknowledge)──▶ queued
       └──────────────────────────────────────────▶ queued ◀──(transfer / requeue)──┐
                                                      │                              │
                                                    (pick)──▶ assigned ──────────────┘
                                                      │           │
                                                      └─(close)───┴──(close)──▶ closed

``emergency_advised`` is also closable (the patient took the advice: outcome
``referred_emergency``). ``closed`` is final.
"""

from __future__ import annotations

import enum


class ContactStatus(enum.StrEnum):
    EMERGENCY_ADVISED = "emergency_advised"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"


class Transition(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    PICK = "pick"
    TRANSFER = "transfer"
    REQUEUE = "requeue"
    CLOSE = "close"


# The contract's outcome list (PROTOCOL.md, "Staff actions"), in the contract's
# order (statistics report them in this order).
OUTCOME_ORDER: tuple[str, ...] = (
    "resolved_in_chat",
    "physical_visit_booked",
    "video_visit_booked",
    "phone_callback",
    "referred_emergency",
    "referred_other_unit",
    "patient_left",
    "no_response",
)
OUTCOMES: frozenset[str] = frozenset(OUTCOME_ORDER)

_S = ContactStatus
_T = Transition
_ALLOWED: dict[tuple[ContactStatus, Transition], ContactStatus] = {
    (_S.EMERGENCY_ADVISED, _T.ACKNOWLEDGE): _S.QUEUED,
    (_S.EMERGENCY_ADVISED, _T.CLOSE): _S.CLOSED,
    (_S.QUEUED, _T.PICK): _S.ASSIGNED,
    (_S.QUEUED, _T.TRANSFER): _S.QUEUED,
    (_S.QUEUED, _T.CLOSE): _S.CLOSED,
    (_S.ASSIGNED, _T.TRANSFER): _S.QUEUED,
    (_S.ASSIGNED, _T.REQUEUE): _S.QUEUED,
    (_S.ASSIGNED, _T.CLOSE): _S.CLOSED,
}


class InvalidTransition(Exception):
    """The transition is not allowed from the current status."""

    def __init__(self, status: ContactStatus, transition: Transition) -> None:
        super().__init__(f"cannot {transition.value} a contact that is {status.value}")
        self.status = status
        self.transition = transition


def next_status(status: ContactStatus | str, transition: Transition) -> ContactStatus:
    """The status after ``transition``, or :class:`InvalidTransition`."""
    current = ContactStatus(status)
    try:
        return _ALLOWED[(current, transition)]
    except KeyError:
        raise InvalidTransition(current, transition) from None


def allows(status: ContactStatus | str, transition: Transition) -> bool:
    """True when ``transition`` is allowed from ``status`` (see :func:`next_status`)."""
    return (ContactStatus(status), transition) in _ALLOWED


def is_open(status: ContactStatus | str) -> bool:
    """True while the contact can still receive messages."""
    return ContactStatus(status) is not ContactStatus.CLOSED
