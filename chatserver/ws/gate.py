"""No frame of a contact reaches a staff socket before the frame that introduces it.

A staff client learns a contact from the staff ``welcome`` (its ``assigned``
list) or from an ``assigned`` frame, and drops frames of contacts it does not
have. A pick races with the patient: a message committed just after the pick
is routed to the nurse live, and may reach her socket before her ``assigned``
frame (built after a transcript read, and on another instance, through Redis,
in no fixed order with the message). So every staff connection keeps a
:class:`ContactGate`, on the receiving side, which works the same on every
instance whatever the order frames arrive in:

- frames of a contact the connection has been introduced to pass; a
  ``message`` whose seq the ``assigned`` transcript already carried is dropped
  (never twice);
- frames of any other contact that reach staff because it is assigned to them
  (``message``, ``typing``, a ``triage`` raise, ``closed``) are held back until
  its ``assigned`` or a ``welcome`` that lists it, and then follow it in
  order. Echoes of a staff member's own actions to their other tabs (``note``,
  a triage override, ``transferred``) are not held: a clinician may act on a
  waiting contact no tab of theirs has;
- ``transferred`` ends the introduction: the contact waits in a queue again,
  and its next pick introduces it again. A closed contact stays introduced
  (it is never picked again), so a live copy that crosses its ``closed`` on
  the way from another instance is not held back.

Held frames that nothing introduces within :data:`HOLD_S` (the pick failed
after its write, or the frame went to someone who never had the contact) are
let through as they are, so nothing stays back for good; so are the oldest when
a connection holds more than :data:`HOLD_FRAMES`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chatserver.ws import wire

__all__ = ["GATED", "HOLD_FRAMES", "HOLD_S", "ContactGate", "Outgoing", "outgoing"]

# A pick's write, transcript read and audit take milliseconds; seconds under a
# stalled database. Past this, held frames go out anyway (the old behaviour).
HOLD_S = 15.0
# The frames one staff connection may hold back at once (the outbox's size).
HOLD_FRAMES = 256

# Frame types that reach staff because the contact is theirs: held back until
# the contact is introduced to the connection.
GATED = frozenset({"message", "typing", "triage", "closed"})
_KINDS: Mapping[type, str] = {
    wire.TypingFrame: "typing",
    wire.ClosedFrame: "closed",
    wire.TransferredFrame: "transferred",
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One encoded frame on its way to a connection, with what the gate needs.

    ``upto``: an ``assigned`` frame's last transcript seq; ``contacts``: the
    contacts a staff ``welcome`` lists."""

    text: str
    seq: int | None = None
    kind: str = ""
    contact_id: str | None = None
    upto: int = 0
    contacts: tuple[str, ...] = ()


def outgoing(frame: wire.ServerFrame, text: str, seq: int | None) -> Outgoing:
    """The :class:`Outgoing` of an encoded server frame (built here or relayed)."""
    match frame:
        case wire.MessageFrame(message=m):
            return Outgoing(text, seq, "message", m.contact_id)
        case wire.StaffAssignedFrame(contact=c, messages=ms):
            return Outgoing(text, None, "assigned", c.id, _last_seq(m.seq for m in ms))
        case wire.StaffWelcomeFrame(assigned=contacts):
            return Outgoing(text, None, "welcome", contacts=tuple(c.id for c in contacts))
        case wire.TypingFrame() | wire.ClosedFrame() | wire.TransferredFrame():
            return Outgoing(text, None, _KINDS[type(frame)], frame.contact_id)
        case wire.TriageFrame():
            return Outgoing(text, None, "triage", frame.contact_id)
        case wire.Relayed(data=data):
            return _relayed(data, text, seq)
        case _:
            return Outgoing(text, seq)


def _relayed(data: Mapping[str, Any], text: str, seq: int | None) -> Outgoing:
    kind = data.get("type")
    if not isinstance(kind, str):
        return Outgoing(text, seq)
    contact = data.get("contact")
    if kind == "assigned" and isinstance(contact, Mapping):
        messages: Sequence[Any] = data.get("messages") or ()
        seqs = (m.get("seq") for m in messages if isinstance(m, Mapping))
        upto = _last_seq(s for s in seqs if isinstance(s, int))
        return Outgoing(text, None, "assigned", str(contact.get("contact_id")), upto)
    cid = data.get("contact_id")
    if kind == "triage" and "by" in data:
        return Outgoing(text, seq)  # a staff member's override: an echo, not held
    if (kind in GATED or kind == "transferred") and isinstance(cid, str):
        return Outgoing(text, seq, kind, cid)
    return Outgoing(text, seq)


def _last_seq(seqs: Any) -> int:
    return max(seqs, default=0)


@dataclass(slots=True)
class _Held:
    deadline: float
    frames: list[Outgoing]


class ContactGate:
    """Which contacts one staff connection has been introduced to; frames of
    the others held back (see the module docstring). Not thread-safe: the
    event loop's."""

    def __init__(self) -> None:
        # contact id -> the last seq its ``assigned`` transcript carried (0: welcome)
        self._known: dict[str, int] = {}
        self._held: dict[str, _Held] = {}
        self._count = 0

    def admit(self, out: Outgoing, now: float) -> list[Outgoing]:
        """The frames to send now, in order, for ``out`` (none: held or a repeat)."""
        cid = out.contact_id
        if out.kind == "welcome":
            ready = [out]
            for contact in out.contacts:
                self._known.setdefault(contact, 0)
                ready += self._release(contact, now)
            return ready
        if cid is None:
            return [out]
        if out.kind == "assigned":
            self._known[cid] = out.upto
            return [out, *self._release(cid, now)]
        if out.kind == "transferred":
            self._known.pop(cid, None)
            return [out]
        if out.kind not in GATED:
            return [out]
        floor = self._known.get(cid)
        if floor is None:
            return self._hold(cid, out, now)
        if out.kind == "message" and out.seq is not None and out.seq <= floor:
            return []  # the transcript of its assigned frame carried it
        return [out]

    def held(self) -> int:
        """How many frames are held back."""
        return self._count

    def next_deadline(self) -> float | None:
        """When the oldest hold runs out (None: nothing held)."""
        return min((h.deadline for h in self._held.values()), default=None)

    def expire(self, now: float) -> list[Outgoing]:
        """Frames held past their deadline, to send as they are."""
        out: list[Outgoing] = []
        for cid in [c for c, h in self._held.items() if h.deadline <= now]:
            out += self._let_go(cid)
        return out

    def _hold(self, cid: str, out: Outgoing, now: float) -> list[Outgoing]:
        held = self._held.get(cid)
        if held is None:
            held = self._held[cid] = _Held(now + HOLD_S, [])
        held.frames.append(out)
        self._count += 1
        if self._count <= HOLD_FRAMES:
            return []
        # Too much held back: the oldest hold goes out as it is.
        oldest = min(self._held, key=lambda c: self._held[c].deadline)
        return self._let_go(oldest)

    def _let_go(self, cid: str) -> list[Outgoing]:
        held = self._held.pop(cid, None)
        if held is None:
            return []
        self._count -= len(held.frames)
        return held.frames

    def _release(self, cid: str, now: float) -> list[Outgoing]:
        """Held frames of a contact just introduced, through the gate again
        (live copies of what its transcript carried are dropped)."""
        ready: list[Outgoing] = []
        for out in self._let_go(cid):
            ready += self.admit(out, now)
        return ready
