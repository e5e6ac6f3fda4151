"""What a decision of the core says (pure values, no behaviour).

- :class:`Refusal`: the action is refused with a documented error, which the
  adapter raises; two refusals are equal when their class, code and message are.
- a write (:data:`Write`): one storage call to make, with the refusal to answer
  (``lost``) when storage finds its precondition gone (picked by someone
  else, closed meanwhile);
- :class:`Effects`: the reply to the acting connection, the frames to send to
  whom (:class:`Send`) and the waiting rooms that changed (:class:`WaitingChange`);
- :class:`Plan`: writes whose results change nothing, then effects.

The decisions themselves are in :mod:`chatserver.core.decisions` and
:mod:`chatserver.core.retriage`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from chatserver.errors import ChatError, NotFoundError, StateConflict
from chatserver.storage.base import Contact
from chatserver.ws import wire


@dataclass(frozen=True, slots=True, eq=False)
class Refusal:
    """The action is refused with ``error`` (a documented code)."""

    error: ChatError

    def _key(self) -> tuple[type[ChatError], str, str]:
        return (type(self.error), self.error.code, self.error.message)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Refusal) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        e = self.error
        return f"Refusal({type(e).__name__}({e.code!r}, {e.message!r}))"


@dataclass(frozen=True, slots=True)
class Send:
    """Deliver ``frame`` to every connection of a patient's contact or a staff
    member, on every instance, except the connection ``exclude`` (the actor's
    own, which gets the reply)."""

    to: Literal["contact", "user"]
    key: str | int
    frame: wire.ServerFrame
    exclude: str | None = None


@dataclass(frozen=True, slots=True)
class WaitingChange:
    """The waiting room of ``unit_id`` changed by ``contact`` (as committed)."""

    contact: Contact
    unit_id: str


@dataclass(frozen=True, slots=True)
class Effects:
    reply: wire.ServerFrame | None = None
    sends: tuple[Send, ...] = ()
    waiting: tuple[WaitingChange, ...] = ()


@dataclass(frozen=True, slots=True)
class PickWrite:
    """``storage.pick``: the first waiting contact of ``queue_ids`` (or exactly ``contact_id``)."""

    queue_ids: tuple[str, ...]
    user_id: int
    staff_name: str
    at: float
    contact_id: str | None
    lost: Refusal


@dataclass(frozen=True, slots=True)
class CloseWrite:
    """``storage.close_contact`` of ``contact`` (as read before the write);
    ``last_seen_seq``: only if no patient message is newer (the staff ``close``)."""

    contact: Contact
    outcome: str
    at: float
    actor_user_id: int | None
    lost: Refusal
    last_seen_seq: int | None = None


@dataclass(frozen=True, slots=True)
class TransferWrite:
    """``storage.transfer`` of ``contact``: back in a queue, keeping its place in time."""

    contact: Contact
    queue_id: str
    priority_tier: int
    priority_key: float
    at: float
    actor_user_id: int
    note: str | None
    lost: Refusal


@dataclass(frozen=True, slots=True)
class RequeueWrite:
    """``storage.requeue`` of ``contact``: assigned, back in its own queue."""

    contact: Contact
    priority_tier: int
    priority_key: float
    at: float
    reason: str


@dataclass(frozen=True, slots=True)
class LevelWrite:
    """``storage.set_level`` of ``contact`` (a triage raise that finds the contact
    closed meanwhile is dropped: the adapter does not answer ``lost``)."""

    contact: Contact
    level: str
    tags: tuple[str, ...]
    priority_key: float
    at: float
    actor_user_id: int | None
    reason: str
    added_reasons: tuple[Mapping[str, Any], ...]
    lost: Refusal


@dataclass(frozen=True, slots=True)
class EventWrite:
    """``storage.add_event``: a contact event (note, follow-up, model raise)."""

    contact_id: str
    kind: str
    at: float
    actor_user_id: int | None
    data: Mapping[str, Any] = field(default_factory=dict)


Write = PickWrite | CloseWrite | TransferWrite | RequeueWrite | LevelWrite | EventWrite


@dataclass(frozen=True, slots=True)
class Plan:
    """Writes whose results change nothing, and the effects once they are done."""

    writes: tuple[EventWrite, ...]
    effects: Effects


# -- refusals shared by the decisions (fresh errors each time: a raised
# exception carries its traceback) ---------------------------------------------


def unknown_contact() -> Refusal:
    """Also for another unit's contact: no probing other units."""
    return Refusal(NotFoundError("unknown_contact", "no such contact"))


def contact_closed(message: str = "the contact is closed") -> Refusal:
    return Refusal(StateConflict("contact_closed", message))
