"""What happens to a contact, decided without I/O: the life cycle's actions.

Pick, messages, typing, transfer, requeue, close, notes and overrides are
decided from the state as read and the request, around one conditional
storage write (triage raises and follow-up questions: :mod:`.retriage`)::

    decide_<action>(state, request, now) -> Refusal | <its write>
        The adapter performs the write. Storage answers None when the write's
        precondition went away meanwhile (picked by someone else, closed):
        the adapter then raises the write's ``lost`` refusal.
    <action>_effects(write, after, ...) -> Effects
        The reply to the acting connection, the frames to send to whom, and
        the waiting rooms that changed; built from the contact as committed.

The values are in :mod:`.effects`. :mod:`chatserver.flow.handling` loads the
state, calls these, carries out the writes through storage and dispatches the
effects. Nothing here awaits.

This module is imported by its own name, not re-exported by
:mod:`chatserver.core` (see there why).
"""

from __future__ import annotations

from collections.abc import Sequence

from chatserver.access import policy as access
from chatserver.core.effects import (
    CloseWrite,
    Effects,
    EventWrite,
    LevelWrite,
    PickWrite,
    Plan,
    Refusal,
    RequeueWrite,
    Send,
    TransferWrite,
    WaitingChange,
    contact_closed,
    unknown_contact,
)
from chatserver.core.handover import Handover
from chatserver.core.identification import VerifiedIdentity
from chatserver.core.lifecycle import ContactStatus, Transition, allows
from chatserver.core.waiting_room import priority_key, tier_for
from chatserver.errors import Forbidden, NotFoundError, StateConflict
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

# -- refusals ------------------------------------------------------------------------


def _already_closed() -> Refusal:
    return contact_closed("the contact is already closed")


def _assigned_elsewhere() -> Refusal:
    return Refusal(Forbidden("not_assigned", "the contact is assigned to someone else"))


def _not_waiting(message: str = "the contact is no longer waiting") -> Refusal:
    return Refusal(StateConflict("not_waiting", message))


# -- access ---------------------------------------------------------------------------


def readable(user: User, contact: Contact | None) -> Refusal | Contact:
    """The contact, if ``user`` may read it. "Does not exist" and "not yours" get
    the same answer: no probing other units."""
    if contact is None or not access.can_read_contact(user, contact):
        return unknown_contact()
    return contact


def actionable(user: User, contact: Contact | None) -> Refusal | Contact:
    """The contact, if ``user`` may act on it now (reply, transfer, note, override)."""
    c = readable(user, contact)
    if isinstance(c, Refusal):
        return c
    if c.status == ContactStatus.CLOSED:
        return contact_closed()
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
    picked: Contact,
    messages: Sequence[Message],
    user: User,
    conn_id: str | None,
    identity: VerifiedIdentity | None = None,
    handover: Handover | None = None,
) -> Effects:
    """The picker gets the contact and its transcript (their other tabs too),
    with who the patient is when identified and what travels with the contact
    (``handover``); the patient learns who picked them."""
    assigned = wire.StaffAssignedFrame(picked, tuple(messages), identity, handover)
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
    contact: Contact | None,
    outcome: str,
    now: float,
    *,
    by: User | None,
    last_seen_seq: int | None = None,
) -> Refusal | CloseWrite:
    """Close with ``outcome``; ``by`` None is the patient leaving. With
    ``last_seen_seq`` (staff), storage refuses while a newer patient message exists."""
    if contact is None or (by is not None and not access.can_read_contact(by, contact)):
        return unknown_contact()
    if not allows(contact.status, Transition.CLOSE):
        return _already_closed()
    if by is not None and not access.can_act_on_contact(by, contact):
        return _assigned_elsewhere()
    return CloseWrite(
        contact, outcome, now, by.id if by else None, _already_closed(), last_seen_seq
    )


def unseen_messages(
    contact_id: str, newest_seq: int, unseen: Sequence[Message], user: User
) -> tuple[Refusal, Effects]:
    """A close refused for patient messages newer than the closer's
    ``last_seen_seq``: the refusal, and those messages (a ``history`` from
    ``last_seen_seq`` on) to every connection of the closer, sent before it."""
    refusal = Refusal(
        StateConflict(
            "unseen_messages",
            "the patient wrote after the last message you saw; read it before closing",
            extra={"contact_id": contact_id, "newest_seq": newest_seq},
        )
    )
    history = wire.HistoryFrame(contact_id, tuple(unseen))
    return refusal, Effects(sends=(Send("user", user.id, history),))


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
        lost=contact_closed(),
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
    """Back into its own queue (its staff member vanished, or the pick could
    not be audited), in its level's place with its original arrival time: it
    goes before those of its level who arrived later, never before a more
    urgent level (the tier and key a transfer gives it too)."""
    if not allows(contact.status, Transition.REQUEUE):
        return _not_waiting("the contact is not assigned")
    return RequeueWrite(
        contact,
        tier_for(contact.level, red_flag=contact.red_flag),
        priority_key(contact.level, contact.queued_at or now),
        now,
        reason,
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
        lost=contact_closed(),
    )


def override_effects(write: LevelWrite, after: Contact, user: User, conn_id: str | None) -> Effects:
    before = write.contact
    frame = wire.TriageOverrideFrame(
        before.id, write.level, before.level, tuple(after.tags), user.display_name
    )
    return Effects(
        reply=frame,
        sends=(Send("user", user.id, frame, exclude=conn_id),),
        waiting=if_waiting(after),
    )


# -- the patient's presence ----------------------------------------------------------------


def patient_presence(contact: Contact | None, connected: bool, now: float) -> Effects:
    """The patient's last socket closed, or the first one opened: the assigned
    staff member sees it at once (nothing while waiting or closed)."""
    if (
        contact is None
        or contact.status != ContactStatus.ASSIGNED
        or contact.assigned_user_id is None
    ):
        return Effects()
    frame = wire.PresenceFrame(contact.id, "connected" if connected else "disconnected", now)
    return Effects(sends=(Send("user", contact.assigned_user_id, frame),))


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


def staff_message(
    user: User,
    contact_id: str,
    client_id: str,
    body: str,
    now: float,
    *,
    photo_request: bool = False,
) -> NewMessage:
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
        photo_request=photo_request,
    )


def append_refusal(exc: Conflict | NotFound) -> Refusal:
    """What a refused append (:meth:`Storage.append_message`) answers."""
    if isinstance(exc, NotAssigned):
        return Refusal(StateConflict("not_assigned", "the contact is not assigned to you"))
    if isinstance(exc, Conflict):
        return contact_closed()
    return unknown_contact()


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
    ack = wire.AckFrame(m.client_id, m.contact_id, m.seq, result.duplicate, m.sent_at)
    if result.duplicate:
        return Effects(reply=ack)
    frame = wire.MessageFrame(m)
    to_patient = Send("contact", m.contact_id, frame, exclude=conn_id)
    if assigned_user_id is not None and status == ContactStatus.ASSIGNED:
        return Effects(
            reply=ack, sends=(to_patient, Send("user", assigned_user_id, frame, exclude=conn_id))
        )
    return Effects(reply=ack, sends=(to_patient,))


def if_waiting(after: Contact) -> tuple[WaitingChange, ...]:
    """The waiting room changed when the contact is (still or again) queued."""
    return (WaitingChange(after, after.unit_id),) if after.status == ContactStatus.QUEUED else ()
