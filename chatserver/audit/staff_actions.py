"""Which staff WebSocket actions are audited, and how (called by :mod:`chatserver.ws.staff`).

Opening a contact is the access: ``pick`` (the transcript is handed out) and
``sync`` (history) are audited *before* the data leaves for this connection
(``sync`` in :mod:`chatserver.ws.staff` itself, ``pick`` here, before the reply is queued;
a pick that cannot be audited puts the contact back in its queue, in its level's place).
``close``, ``transfer``, ``override`` and ``note`` are audited after they took
effect. Messages relayed by the assigned staff member are not new accesses and
are not audited (keeps audit writes off the chat's hot path). Refused attempts
on a contact (another unit's, someone else's), ``message`` and ``typing``
included, are audited with the error code.

The staff ``welcome`` re-sends the assigned contacts' data: one ``welcome`` event
per contact before it leaves (:func:`audit_welcome`).

A personnummer handed to staff is an access of its own: one ``personnummer_read``
event per contact (``detail.via``: ``pick`` after the pick's own event, before
the reply; ``welcome`` for each identified contact of the staff ``welcome``, whose
personnummer is withheld when the event cannot be written).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, assert_never

from starlette.requests import Request

from chatserver.audit.service import AuditUnavailableError
from chatserver.core.identification import PERSONNUMMER_READ, ReadVia, VerifiedIdentity
from chatserver.logs import get_logger
from chatserver.storage.base import Contact, User
from chatserver.ws import wire

if TYPE_CHECKING:
    from chatserver.state import AppState

log = get_logger("chatserver.audit")

# Refusals worth a security event: someone reaching for a contact not theirs.
# Refusals worth a line in the audit log. ``unseen_messages`` (a close refused
# for a newer patient message) records that the close was tried and that the
# messages after ``last_seen_seq`` went to the (assigned) staff member.
_DENIALS = frozenset(
    {"unknown_contact", "forbidden", "not_assigned", "unknown_queue", "unseen_messages"}
)
# Audited only when refused: ``sync`` is audited by the socket before the
# history leaves; a relayed message or typing is no new access (the pick was).
_NOT_AUDITED_WHEN_OK = frozenset({"sync", "message", "typing"})


def action_of(frame: wire.StaffFrame) -> str | None:
    """The audit action of a staff frame; None for frames that are not audited."""
    match frame:
        case wire.Pick():
            return "pick"
        case wire.Sync():
            return "sync"
        case wire.Close():
            return "close"
        case wire.Transfer():
            return "transfer"
        case wire.Override():
            return "triage_override"
        case wire.Note():
            return "note"
        case wire.SendMessage():
            return "message"
        case wire.Typing():
            return "typing"
        case wire.Hello() | wire.Ping():
            return None
        case _:
            assert_never(frame)


async def audit_staff_action(
    state: AppState, user: User, frame: wire.StaffFrame, reply: wire.ServerFrame | None
) -> None:
    """Record a successful staff action (raises when the audit cannot be written)."""
    action = action_of(frame)
    if action is None or action in _NOT_AUDITED_WHEN_OK or reply is None:
        return
    detail: dict[str, Any] = {}
    contact_id: str | None = None
    unit_id: str | None = None
    match frame:
        case wire.Pick():
            if isinstance(reply, wire.StaffAssignedFrame):
                contact_id, unit_id = reply.contact.id, reply.contact.unit_id
                detail["queue"] = reply.contact.queue_id
            else:
                detail["queue"] = None
        case wire.Close() | wire.Transfer() | wire.Override() | wire.Note():
            contact_id = frame.contact_id
            c = await state.storage.get_contact(frame.contact_id)
            unit_id = c.unit_id if c is not None else None
            if isinstance(frame, wire.Close):
                detail["outcome"] = frame.outcome
            elif isinstance(frame, wire.Transfer):
                detail["queue"] = frame.queue
            elif isinstance(frame, wire.Override):
                detail["level"] = frame.level
                detail["previous_level"] = (
                    reply.previous_level if isinstance(reply, wire.TriageOverrideFrame) else None
                )
        case _:
            return
    try:
        await state.audit_event(
            None, user, action, result="ok", unit_id=unit_id, contact_id=contact_id, detail=detail
        )
        if isinstance(reply, wire.StaffAssignedFrame) and _carries_personnummer(reply.identity):
            await audit_personnummer_read(state, None, user, reply.contact, "pick")
    except AuditUnavailableError:
        if action == "pick" and contact_id is not None:
            # The transcript is not handed out; nor is the patient left assigned
            # to someone who cannot see them: back to the front of the queue.
            picked = await state.storage.get_contact(contact_id)
            if picked is not None:
                await state.conversations.requeue_front(picked, "audit_unavailable")
        raise


def _carries_personnummer(identity: VerifiedIdentity | None) -> bool:
    return identity is not None and identity.personnummer is not None


async def audit_personnummer_read(
    state: AppState, request: Request | None, user: User, contact: Contact, via: ReadVia
) -> None:
    """Record that ``user`` was handed the personnummer of ``contact`` (raises
    :class:`AuditUnavailableError` when it cannot: the number is then not handed out)."""
    await state.audit_event(
        request,
        user,
        PERSONNUMMER_READ,
        result="ok",
        unit_id=contact.unit_id,
        contact_id=contact.id,
        detail={"via": via},
    )


async def audit_welcome(state: AppState, user: User, assigned: Sequence[Contact]) -> None:
    """The staff ``welcome`` re-sends each assigned contact's name, text and
    triage: one ``welcome`` event per contact before it leaves (raises
    :class:`AuditUnavailableError` when one cannot be written: no welcome).
    An identified contact's personnummer is a further ``personnummer_read``
    (:func:`welcome_identities`), as after a ``pick``."""
    for c in assigned:
        await state.audit_event(
            None, user, "welcome", result="ok", unit_id=c.unit_id, contact_id=c.id
        )


async def welcome_identities(
    state: AppState, user: User, assigned: Sequence[Contact]
) -> Mapping[str, VerifiedIdentity]:
    """Who the identified contacts of a staff ``welcome`` are (one lookup), each
    personnummer audited before it leaves, or withheld when it cannot be."""
    if not assigned:
        return {}
    found = await state.hooks.identities.verified([c.id for c in assigned])
    out: dict[str, VerifiedIdentity] = {}
    for c in assigned:
        identity = found.get(c.id)
        if identity is None:
            continue
        try:
            await audit_personnummer_read(state, None, user, c, "welcome")
        except AuditUnavailableError:
            log.error("personnummer_withheld", contact_id=c.id)
            identity = identity.withheld()
        out[c.id] = identity
    return out


async def audit_staff_refusal(
    state: AppState, user: User, frame: wire.StaffFrame | None, code: str
) -> None:
    """Record a refused attempt on a contact; never raises (the error goes out anyway)."""
    action = action_of(frame) if frame is not None else None
    if action is None or code not in _DENIALS:
        return
    try:
        await state.audit_event(
            None, user, action, result=code, contact_id=getattr(frame, "contact_id", None)
        )
    except Exception:  # the refusal stands; the failure is logged
        log.error("audit_refusal_not_recorded", action=action)
