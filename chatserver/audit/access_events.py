"""Which staff WebSocket actions are audited, and how (called by ``staff_ws``).

Opening a contact is the access: ``pick`` (the transcript is handed out) and
``sync`` (history) are audited *before* the data leaves for this connection
(``sync`` in ``staff_ws`` itself, ``pick`` here, before the reply is queued;
a pick that cannot be audited puts the contact back at the front of its queue).
``close``, ``transfer``, ``override`` and ``note`` are audited after they took
effect. Messages relayed by the assigned staff member are not new accesses and
are not audited (keeps audit writes off the chat's hot path). Refused attempts
on a contact (another unit's, someone else's) are audited with the error code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chatserver import wire
from chatserver.audit.service import AuditUnavailableError
from chatserver.logs import get_logger
from chatserver.storage.base import User

if TYPE_CHECKING:
    from chatserver.app import AppState

log = get_logger("chatserver.audit")

_ACTIONS: dict[type[Any], str] = {
    wire.Pick: "pick",
    wire.Sync: "sync",
    wire.Close: "close",
    wire.Transfer: "transfer",
    wire.Override: "triage_override",
    wire.Note: "note",
}
# Refusals worth a security event: someone reaching for a contact not theirs.
_DENIALS = frozenset({"unknown_contact", "forbidden", "not_assigned", "unknown_queue"})


async def audit_staff_action(
    state: AppState, user: User, frame: Any, reply: dict[str, Any] | None
) -> None:
    """Record a successful staff action (raises when the audit cannot be written)."""
    action = _ACTIONS.get(type(frame))
    if action is None or action == "sync" or reply is None:
        return
    detail: dict[str, Any] = {}
    if isinstance(frame, wire.Pick):
        contact = reply.get("contact") or {}
        contact_id, unit_id = contact.get("contact_id"), contact.get("unit_id")
        detail["queue"] = contact.get("queue")
    else:
        contact_id, unit_id = frame.contact_id, None
        c = await state.storage.get_contact(frame.contact_id)
        unit_id = c.unit_id if c is not None else None
        if isinstance(frame, wire.Close):
            detail["outcome"] = frame.outcome
        elif isinstance(frame, wire.Transfer):
            detail["queue"] = frame.queue
        elif isinstance(frame, wire.Override):
            detail["level"] = frame.level
            detail["previous_level"] = reply.get("previous_level")
    try:
        await state.audit_event(
            None, user, action, result="ok", unit_id=unit_id, contact_id=contact_id, detail=detail
        )
    except AuditUnavailableError:
        if action == "pick" and contact_id is not None:
            # The transcript is not handed out; nor is the patient left assigned
            # to someone who cannot see them: back to the front of the queue.
            picked = await state.storage.get_contact(contact_id)
            if picked is not None:
                await state.conversations.requeue_front(picked, "audit_unavailable")
        raise


async def audit_staff_refusal(state: AppState, user: User, frame: Any, code: str) -> None:
    """Record a refused attempt on a contact; never raises (the error goes out anyway)."""
    action = _ACTIONS.get(type(frame))
    if action is None or code not in _DENIALS:
        return
    try:
        await state.audit_event(
            None, user, action, result=code, contact_id=getattr(frame, "contact_id", None)
        )
    except Exception:  # the refusal stands; the failure is logged
        log.error("audit_refusal_not_recorded", action=action)
