"""What happens to a contact, decided without I/O: the life cycle's actions.

Every action (pick, message, transfer, requeue, close, override, note, a
triage raise) is decided from the state as read and the request, around one
conditional storage write::

    decide_<action>(state, request, now) -> Refusal | <its write>
        The adapter performs the write. Storage answers None when the write's
        precondition went away meanwhile (picked by someone else, closed):
        the adapter then raises the write's ``lost`` refusal, if it has one.
    <action>_effects(write, before, after, ...) -> Effects
        The reply to the acting connection, the frames to send to whom, and
        the waiting rooms that changed; built from the committed contact.

:mod:`chatserver.flow.handling` loads the state, calls these, carries out the
writes through storage and dispatches the effects. Nothing here awaits.

A refusal is the documented error (:mod:`chatserver.errors`) that the adapter
raises; two refusals are equal when their class, code and message are.

This module is imported by its own name, not re-exported by
:mod:`chatserver.core`: it builds :mod:`chatserver.ws.wire` frames, whose
records come from :mod:`chatserver.storage.base`, which imports the core's
life cycle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import triage
from chatserver.access import policy as access
from chatserver.core.lifecycle import ContactStatus, Transition, allows
from chatserver.core.urgency import more_urgent
from chatserver.core.waiting_room import TIER_FRONT, priority_key, tier_for
from chatserver.errors import ChatError, Forbidden, InvalidInput, NotFoundError, StateConflict
from chatserver.storage.base import (
    AppendResult,
    Conflict,
    Contact,
    Message,
    NewMessage,
    NotAssigned,
    NotFound,
    Queue,
    User,
)
from chatserver.ws import wire
from triage import screening

# -- decision values ----------------------------------------------------------------


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
    """``storage.close_contact`` of ``contact`` (as read before the write)."""

    contact: Contact
    outcome: str
    at: float
    actor_user_id: int | None
    lost: Refusal


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


@dataclass(frozen=True, slots=True)
class Raise:
    """A more urgent level: ``events`` first (what raised it), then ``write``."""

    events: tuple[EventWrite, ...]
    write: LevelWrite


@dataclass(frozen=True, slots=True)
class Answered:
    """Follow-up answers: store ``event``, raise with ``raise_`` if any, reply ``reply``."""

    event: EventWrite
    raise_: LevelWrite | None
    reply: wire.FollowupAckFrame


# -- refusals (fresh errors each time: a raised exception carries its traceback) ---


def _unknown_contact() -> Refusal:
    return Refusal(NotFoundError("unknown_contact", "no such contact"))


def _closed(message: str = "the contact is closed") -> Refusal:
    return Refusal(StateConflict("contact_closed", message))


def _already_closed() -> Refusal:
    return _closed("the contact is already closed")


def _assigned_elsewhere() -> Refusal:
    return Refusal(Forbidden("not_assigned", "the contact is assigned to someone else"))


def _not_waiting(message: str = "the contact is no longer waiting") -> Refusal:
    return Refusal(StateConflict("not_waiting", message))


# -- access ---------------------------------------------------------------------------


def readable(user: User, contact: Contact | None) -> Refusal | Contact:
    """The contact, if ``user`` may read it. "Does not exist" and "not yours" get
    the same answer: no probing other units."""
    if contact is None or not access.can_read_contact(user, contact):
        return _unknown_contact()
    return contact


def actionable(user: User, contact: Contact | None) -> Refusal | Contact:
    """The contact, if ``user`` may act on it now (reply, transfer, note, override)."""
    c = readable(user, contact)
    if isinstance(c, Refusal):
        return c
    if c.status == ContactStatus.CLOSED:
        return _closed()
    if not access.can_act_on_contact(user, c):
        return _assigned_elsewhere()
    return c


def resolve_queue(ref: str, mine: Sequence[Queue], unit_ids: Sequence[str]) -> Refusal | str:
    """A queue id, or a bare competence ('nurse') within the first of ``unit_ids``."""
    home = unit_ids[0] if unit_ids else None
    for q in mine:
        if q.id == ref or (q.competence == ref and q.unit_id == home):
            return q.id
    return Refusal(NotFoundError("unknown_queue", "no such queue"))


# -- pick -----------------------------------------------------------------------------


def decide_pick(
    user: User,
    mine: Sequence[Queue],
    queue_ref: str | None,
    contact_id: str | None,
    wanted: Contact | None,
    now: float,
) -> Refusal | PickWrite:
    """Pick the next contact of a queue (``queue_ref``; default: all of the
    user's queues ``mine``), or the contact ``contact_id`` (read as ``wanted``)."""
    if not access.is_clinical(user):
        return Refusal(Forbidden("forbidden", "only nurses and doctors pick contacts"))
    if queue_ref is not None:
        target = resolve_queue(queue_ref, mine, user.unit_ids)
        if isinstance(target, Refusal):
            return target
        queue_ids: tuple[str, ...] = (target,)
    else:
        queue_ids = tuple(q.id for q in mine)
    if contact_id is not None:
        c = readable(user, wanted)
        if isinstance(c, Refusal):
            return c
        if not allows(c.status, Transition.PICK):
            return _not_waiting()
        if queue_ref is None:
            queue_ids = (c.queue_id,)
    lost = (
        _not_waiting()
        if contact_id is not None
        else Refusal(StateConflict("queue_empty", "nobody is waiting"))
    )
    return PickWrite(queue_ids, user.id, user.display_name, now, contact_id, lost)


def pick_effects(
    picked: Contact, messages: Sequence[Message], user: User, conn_id: str | None
) -> Effects:
    """The picker gets the contact and its transcript (their other tabs too);
    the patient learns who picked them."""
    assigned = wire.StaffAssignedFrame(picked, tuple(messages))
    return Effects(
        reply=assigned,
        sends=(
            Send("contact", picked.id, wire.PatientAssignedFrame(picked.id, user.display_name)),
            Send("user", user.id, assigned, exclude=conn_id),
        ),
        waiting=(WaitingChange(picked, picked.unit_id),),
    )


# -- close ----------------------------------------------------------------------------


def decide_close(
    contact: Contact | None, outcome: str, now: float, *, by: User | None
) -> Refusal | CloseWrite:
    """Close with ``outcome``; ``by`` None is the patient leaving."""
    if contact is None or (by is not None and not access.can_read_contact(by, contact)):
        return _unknown_contact()
    if not allows(contact.status, Transition.CLOSE):
        return _already_closed()
    if by is not None and not access.can_act_on_contact(by, contact):
        return _assigned_elsewhere()
    return CloseWrite(contact, outcome, now, by.id if by else None, _already_closed())


def close_effects(write: CloseWrite, after: Contact, conn_id: str | None) -> Effects:
    """Every participant gets ``closed``: the patient, the assigned staff member
    and the one who closed it (if someone else)."""
    before = write.contact
    frame = wire.ClosedFrame(before.id, write.outcome)
    sends = [Send("contact", before.id, frame)]
    assignee, actor = before.assigned_user_id, write.actor_user_id
    if assignee is not None:
        sends.append(Send("user", assignee, frame, exclude=conn_id))
    if actor is not None and actor != assignee:
        sends.append(Send("user", actor, frame, exclude=conn_id))
    waiting = (
        (WaitingChange(after, after.unit_id),) if before.status == ContactStatus.QUEUED else ()
    )
    return Effects(reply=frame, sends=tuple(sends), waiting=waiting)


# -- transfer and requeue -------------------------------------------------------------


def decide_transfer(
    user: User,
    contact: Contact | None,
    mine: Sequence[Queue],
    queue_ref: str,
    note: str | None,
    now: float,
) -> Refusal | TransferWrite:
    """Into any queue of the user's units (``mine``); the contact keeps its place
    in time: it does not start waiting anew."""
    c = actionable(user, contact)
    if isinstance(c, Refusal):
        return c
    target = resolve_queue(queue_ref, mine, (c.unit_id,))
    if isinstance(target, Refusal):
        return target
    if not allows(c.status, Transition.TRANSFER):
        return _not_waiting("the contact is not in a queue")
    return TransferWrite(
        contact=c,
        queue_id=target,
        priority_tier=tier_for(c.level, red_flag=c.red_flag),
        priority_key=priority_key(c.level, c.queued_at or now),
        at=now,
        actor_user_id=user.id,
        note=note,
        lost=_closed(),
    )


def transfer_effects(write: TransferWrite, after: Contact, conn_id: str | None) -> Effects:
    before = write.contact
    frame = wire.TransferredFrame(before.id, write.queue_id)
    waiting = [WaitingChange(after, before.unit_id)]
    if after.unit_id != before.unit_id:
        waiting.append(WaitingChange(after, after.unit_id))
    return Effects(
        reply=frame,
        sends=(
            Send("contact", before.id, frame),
            Send("user", write.actor_user_id, frame, exclude=conn_id),
        ),
        waiting=tuple(waiting),
    )


def decide_requeue(contact: Contact, reason: str, now: float) -> Refusal | RequeueWrite:
    """Back to the front of its own queue (its staff member vanished, or the
    pick could not be audited)."""
    if not allows(contact.status, Transition.REQUEUE):
        return _not_waiting("the contact is not assigned")
    return RequeueWrite(
        contact, TIER_FRONT, priority_key(contact.level, contact.queued_at or now), now, reason
    )


def requeue_effects(write: RequeueWrite, after: Contact) -> Effects:
    before = write.contact
    return Effects(
        sends=(Send("contact", before.id, wire.TransferredFrame(before.id, before.queue_id)),),
        waiting=(WaitingChange(after, after.unit_id),),
    )


# -- staff's notes and overrides ---------------------------------------------------------


def decide_note(
    user: User, contact: Contact | None, body: str, now: float, conn_id: str | None
) -> Refusal | Plan:
    """An internal note: stored, shown to staff (the author's other tabs), never the patient."""
    c = actionable(user, contact)
    if isinstance(c, Refusal):
        return c
    frame = wire.NoteFrame(c.id, body, user.display_name, now)
    return Plan(
        writes=(EventWrite(c.id, "note", now, user.id, {"body": body}),),
        effects=Effects(reply=frame, sends=(Send("user", user.id, frame, exclude=conn_id),)),
    )


def decide_override(
    user: User, contact: Contact | None, level: str, reason: str, now: float
) -> Refusal | LevelWrite:
    c = actionable(user, contact)
    if isinstance(c, Refusal):
        return c
    return LevelWrite(
        contact=c,
        level=level,
        tags=tuple(c.tags),
        priority_key=priority_key(level, c.queued_at or now),
        at=now,
        actor_user_id=user.id,
        reason=reason,
        added_reasons=(),
        lost=_closed(),
    )


def override_effects(write: LevelWrite, after: Contact, user: User, conn_id: str | None) -> Effects:
    before = write.contact
    frame = wire.TriageOverrideFrame(
        before.id, write.level, before.level, tuple(after.tags), user.display_name
    )
    return Effects(
        reply=frame,
        sends=(Send("user", user.id, frame, exclude=conn_id),),
        waiting=_if_waiting(after),
    )


def _if_waiting(after: Contact) -> tuple[WaitingChange, ...]:
    return (WaitingChange(after, after.unit_id),) if after.status == ContactStatus.QUEUED else ()


# -- typing -----------------------------------------------------------------------------


def patient_typing(contact: Contact) -> Effects:
    """Relayed to the assigned staff member, if any."""
    if contact.status == ContactStatus.ASSIGNED and contact.assigned_user_id is not None:
        frame = wire.TypingFrame(contact.id, "patient")
        return Effects(sends=(Send("user", contact.assigned_user_id, frame),))
    return Effects()


def staff_typing(user: User, contact: Contact | None) -> Refusal | Effects:
    """Relayed to the patient while the contact is assigned."""
    c = actionable(user, contact)
    if isinstance(c, Refusal):
        return c
    if c.status == ContactStatus.ASSIGNED:
        frame = wire.TypingFrame(c.id, "staff", user.display_name)
        return Effects(sends=(Send("contact", c.id, frame),))
    return Effects()


# -- messages (the hot path: no reads, a handful of small objects) -------------------------


def patient_message(patient: Contact, client_id: str, body: str, now: float) -> NewMessage:
    return NewMessage(
        contact_id=patient.id,
        sender="patient",
        sender_key=f"p:{patient.id}",
        sender_name=patient.name,
        client_id=client_id,
        body=body,
        sent_at=now,
    )


def staff_message(user: User, contact_id: str, client_id: str, body: str, now: float) -> NewMessage:
    return NewMessage(
        contact_id=contact_id,
        sender="staff",
        sender_key=f"s:{user.id}",
        sender_name=user.display_name,
        client_id=client_id,
        body=body,
        sent_at=now,
        # Assignment is checked inside the write: no read on the hot path.
        require_assigned_user=user.id,
    )


def append_refusal(exc: Conflict | NotFound) -> Refusal:
    """What a refused append (:meth:`Storage.append_message`) answers."""
    if isinstance(exc, NotAssigned):
        return Refusal(StateConflict("not_assigned", "the contact is not assigned to you"))
    if isinstance(exc, Conflict):
        return _closed()
    return _unknown_contact()


def not_picked(user: User, contact: Contact | None) -> Refusal:
    """Why a staff message was refused as not assigned: the same answers as every
    other action (unknown_contact, contact_closed, not_assigned)."""
    c = actionable(user, contact)
    if isinstance(c, Refusal):
        return c
    return Refusal(Forbidden("not_assigned", "pick the contact before writing to it"))


def append_effects(
    result: AppendResult,
    status: ContactStatus | str | None,
    assigned_user_id: int | None,
    conn_id: str | None,
) -> Effects:
    """The ack to the sender; the message to every participant connection.
    Routed by the state at commit: a pick that committed before this message
    sees it in its own history read, one after it gets it live."""
    m = result.message
    ack = wire.AckFrame(m.client_id, m.contact_id, m.seq, result.duplicate)
    if result.duplicate:
        return Effects(reply=ack)
    frame = wire.MessageFrame(m)
    to_patient = Send("contact", m.contact_id, frame, exclude=conn_id)
    if assigned_user_id is not None and status == ContactStatus.ASSIGNED:
        return Effects(
            reply=ack, sends=(to_patient, Send("user", assigned_user_id, frame, exclude=conn_id))
        )
    return Effects(reply=ack, sends=(to_patient,))


# -- triage raises ---------------------------------------------------------------------


def may_raise(result: triage.TriageResult) -> bool:
    """Only a finding more urgent than 'standard' can change a contact's level
    (decided before the contact is read, so most messages cost no read)."""
    return more_urgent(result.level.value, triage.Level.STANDARD)


def decide_retriage(
    contact: Contact | None, result: triage.TriageResult, now: float
) -> Raise | None:
    """A patient message's finding raises the level if it is more urgent."""
    new_level = result.level.value
    if contact is None or contact.status == ContactStatus.CLOSED:
        return None
    if not may_raise(result) or not more_urgent(new_level, contact.level):
        return None
    events: tuple[EventWrite, ...] = ()
    raised = [r for r in result.reasons if r.model is not None]
    if raised:
        data = {"level": new_level, "model": raised[0].model, "probability": raised[0].probability}
        events = (EventWrite(contact.id, "model_raise", now, None, data),)
    return Raise(events, decide_raise(contact, result, now, reason="patient_message"))


def decide_raise(
    contact: Contact, result: triage.TriageResult, now: float, *, reason: str
) -> LevelWrite:
    level = result.level.value
    return LevelWrite(
        contact=contact,
        level=level,
        tags=tuple(sorted(set(contact.tags) | set(result.tags))),
        priority_key=priority_key(level, contact.queued_at or now),
        at=now,
        actor_user_id=None,
        reason=reason,
        added_reasons=tuple(r.to_dict() for r in result.reasons),
        lost=_closed(),
    )


def raise_effects(write: LevelWrite, after: Contact) -> Effects:
    """The patient is told with advice for the new level; the assigned staff
    member without."""
    before = write.contact
    advice = triage.advice_for(write.level, before.lang, tags=list(write.tags)).to_dict()
    patient = wire.TriageFrame(before.id, write.level, write.tags, write.added_reasons, advice)
    sends = [Send("contact", before.id, patient)]
    if after.assigned_user_id is not None:
        notice = wire.TriageFrame(before.id, write.level, write.tags, write.added_reasons)
        sends.append(Send("user", after.assigned_user_id, notice))
    return Effects(sends=tuple(sends), waiting=_if_waiting(after))


# -- follow-up questions -----------------------------------------------------------------


def followups_for(patient: Contact, result: triage.TriageResult) -> list[screening.Question]:
    """Questions of the symptom families a message names (none once it is an emergency)."""
    if result.level is triage.Level.EMERGENCY:
        return []
    return screening.followups(result, patient.age)


def decide_followups(
    patient: Contact,
    questions: Sequence[screening.Question],
    asked: Mapping[str, bool | None],
    now: float,
) -> Plan | None:
    """Ask the questions not asked before (each once per contact)."""
    fresh = [q for q in questions if q.id not in asked]
    if not fresh:
        return None
    frame = wire.FollowupFrame(patient.id, tuple(q.to_dict(patient.lang) for q in fresh))
    return Plan(
        writes=(
            EventWrite(patient.id, "followup_asked", now, None, {"ids": [q.id for q in fresh]}),
        ),
        effects=Effects(sends=(Send("contact", patient.id, frame),)),
    )


def decide_followup_answers(
    contact: Contact | None, answers: Mapping[str, bool], now: float
) -> Refusal | Answered:
    """Any yes raises the level to emergency."""
    unknown = screening.unknown_ids(answers)
    if unknown:
        return Refusal(InvalidInput("invalid_field", f"unknown question id: {unknown[0][:64]}"))
    if contact is None or contact.status == ContactStatus.CLOSED:
        return _closed()
    yes = screening.yes_answers(answers)
    event = EventWrite(contact.id, "followup", now, None, {"answers": dict(answers), "yes": yes})
    raise_: LevelWrite | None = None
    if yes and contact.level != triage.Level.EMERGENCY:
        current = triage.TriageResult(
            level=triage.Level(contact.level),
            tags=frozenset(contact.tags),
            reasons=(),
            advice=triage.advice_for(contact.level, contact.lang, tags=contact.tags),
            ruleset_version=triage.RULESET_VERSION,
        )
        result = screening.answered_yes(
            current, answers, contact.lang, prefix=screening.FOLLOWUP_RULE_PREFIX
        )
        raise_ = decide_raise(contact, result, now, reason="followup_answer")
    level = triage.Level.EMERGENCY.value if yes else contact.level
    return Answered(event, raise_, wire.FollowupAckFrame(contact.id, raise_ is not None, level))
