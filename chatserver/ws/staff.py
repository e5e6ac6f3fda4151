"""``/ws/staff``: a thin adapter between one staff socket and the services."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, assert_never

import structlog
from starlette.websockets import WebSocket

from chatserver.access.credentials import pending_step
from chatserver.access.policy import is_clinical
from chatserver.access.sessions import TOUCH_EVERY_S, ActiveSession
from chatserver.audit.service import AuditUnavailableError
from chatserver.audit.staff_actions import (
    audit_staff_action,
    audit_staff_refusal,
    audit_welcome,
    welcome_identities,
)
from chatserver.core.handover import handovers
from chatserver.errors import (
    CLOSE_NOT_ALLOWED,
    CLOSE_NOT_AUTHENTICATED,
    CLOSE_POLICY,
    CLOSE_TRY_AGAIN,
    ChatError,
)
from chatserver.flow.handling import Staff
from chatserver.logs import get_logger
from chatserver.security.request_id import set_request_id
from chatserver.storage.base import Contact, StorageUnavailable
from chatserver.ws import wire
from chatserver.ws.admission import admit
from chatserver.ws.gate import Outgoing, outgoing
from chatserver.ws.hub import MAX_CONNECTIONS_PER_USER, Connection
from chatserver.ws.patient import receive_text
from chatserver.ws.unavailable import storage_unavailable

if TYPE_CHECKING:
    from chatserver.state import AppState

log = get_logger("chatserver.ws.staff")


async def staff_endpoint(ws: WebSocket) -> None:
    state: AppState = ws.app.state.chat
    await admit(state, ws, _staff_socket)


async def _staff_socket(state: AppState, ws: WebSocket) -> None:
    active = await state.sessions.resolve(ws.cookies.get(state.sessions.cookie_name))
    await ws.accept()
    if active is None:
        await ws.close(CLOSE_NOT_AUTHENTICATED, "not authenticated")
        return
    step = pending_step(
        active.user, require_otp=state.settings.require_otp, method=active.session.method
    )
    if step is not None:
        # The password change or TOTP enrolment comes first (access/credentials.py).
        await ws.close(CLOSE_NOT_ALLOWED, "account setup required")
        return
    if state.hub.user_connection_count(active.user.id) >= MAX_CONNECTIONS_PER_USER:
        await ws.close(CLOSE_POLICY, "too many connections")
        return
    conn = state.hub.new_connection(ws, "staff")
    structlog.contextvars.bind_contextvars(conn=conn.id, role="staff")
    log.info("ws_open", user_id=active.user.id)
    user = active.user
    # Live frames wait until the welcome is queued: it comes first, and it
    # introduces the assigned contacts their frames belong to (ws/gate.py).
    conn.hold()
    state.hub.bind_staff(
        conn, user.id, user.unit_ids, active.session.id_hash, clinical=is_clinical(user)
    )
    state.presence.staff_back(user.id)
    try:
        try:
            first = await welcome(state, active)
        except AuditUnavailableError:
            # Fail closed: no assigned contact's data without its audit event.
            conn.close_soon(CLOSE_TRY_AGAIN, "audit_unavailable")
            return
        conn.put_now(outgoing_of(first))
        conn.release(0)
        await _tell_away(state, conn, first.assigned)
        await _serve(state, ws, conn, active)
    finally:
        log.info("ws_closed", user_id=user.id, close_code=conn.close_code)
        await state.hub.unregister(conn)
        state.presence.staff_gone(user.id)


async def welcome(state: AppState, active: ActiveSession) -> wire.StaffWelcomeFrame:
    user = active.user
    assigned = await state.storage.assigned_to(user.id)
    # The assigned contacts' names and texts are re-sent: audited first.
    await audit_welcome(state, user, assigned)
    queues = await state.queues.staff_view(user.unit_ids)
    if is_clinical(user):  # the waiting rows' names and first words: a list access
        await state.queues.preview_audit.welcome(user, queues, state.clock())
    return wire.StaffWelcomeFrame(
        user=user,
        queues=queues,
        assigned=assigned,
        extra=state.welcome_extra("staff"),
        identities=await welcome_identities(state, user, assigned),
        # Notes, transfer notes and screen answers of the assigned contacts
        # (one read; audited with the welcome above).
        handovers=handovers(await state.storage.handover_events([c.id for c in assigned])),
    )


async def _tell_away(state: AppState, conn: Connection, contacts: Sequence[Contact]) -> None:
    """After a contact's introduction (pick, welcome): a ``presence`` frame for
    each whose patient has no open socket now, so the nurse sees it at once."""
    try:
        away = await state.presence.patients_away([c.id for c in contacts])
    except Exception:  # only the notice is lost; the contact is on its way
        log.exception("presence_lookup_failed")
        return
    for contact_id, since in away.items():
        conn.send(wire.PresenceFrame(contact_id, "disconnected", since))


def outgoing_of(frame: wire.ServerFrame) -> Outgoing:
    text, seq = wire.encoded(frame)
    return outgoing(frame, text, seq)


def _error(state: AppState, conn: Connection, exc: ChatError, client_id: str | None = None) -> None:
    state.metrics.errors.labels(exc.code).inc()
    conn.send(wire.ErrorFrame.of(exc, client_id=client_id))


async def _serve(state: AppState, ws: WebSocket, conn: Connection, active: ActiveSession) -> None:
    staff = Staff(active.user, conn.id, active.session.id_hash)
    limiter = state.limits.frame_limiter()
    last_touch = state.clock()
    while True:
        text = await receive_text(ws, conn)
        if text is None or conn.closed:
            return
        t0 = time.perf_counter()
        set_request_id()  # each frame is a request of its own in the audit log
        frame: wire.StaffFrame | None = None
        try:
            if not limiter.allow():
                if limiter.abusive():
                    conn.close_soon(CLOSE_POLICY, "rate limit")
                    return
                raise ChatError("rate_limited", "too many frames, slow down")
            frame = wire.parse_staff(text)
            now = state.clock()
            if not isinstance(frame, wire.Ping) and now - last_touch >= TOUCH_EVERY_S:
                # Work on the socket keeps the session from idling out; the
                # client's automatic keep-alive pings are not a person working.
                last_touch = now
                await state.sessions.touch(active.session.id_hash)
            reply = await _dispatch(state, staff, frame)
            # Audited before the reply (a picked transcript) leaves.
            await audit_staff_action(state, staff.user, frame, reply)
            if reply is not None:
                conn.send(reply)
            if isinstance(reply, wire.StaffAssignedFrame):
                await _tell_away(state, conn, [reply.contact])
            elif isinstance(reply, wire.StaffWelcomeFrame):
                await _tell_away(state, conn, reply.assigned)
            if isinstance(frame, wire.SendMessage):
                state.metrics.ack_latency.observe(time.perf_counter() - t0)
        except ChatError as exc:
            await audit_staff_refusal(state, staff.user, frame, exc.code)
            _error(state, conn, exc, client_id=wire.client_id_of(text))
        except StorageUnavailable as exc:  # nothing stored: the client sends it again
            contact_id = getattr(frame, "contact_id", None)
            storage_unavailable(state, conn, exc, wire.client_id_of(text), contact_id)
        except Exception:
            log.exception("staff_frame_failed", conn=conn.id)
            _error(state, conn, ChatError("internal_error", "something went wrong; try again"))


def _contact_id(contact_id: str | None) -> str:
    if contact_id is None:
        raise ChatError(
            "invalid_field", "contact_id is required", fields={"contact_id": "required"}
        )
    return contact_id


async def _dispatch(
    state: AppState, staff: Staff, frame: wire.StaffFrame
) -> wire.ServerFrame | None:
    conv = state.conversations
    match frame:
        case wire.SendMessage(contact_id=contact_id, client_id=client_id, body=body):
            return await conv.staff_message(
                staff, _contact_id(contact_id), client_id, body, photo_request=frame.photo_request
            )
        case wire.Sync(contact_id=contact_id, after_seq=after_seq):
            contact = await conv.readable_contact(staff, _contact_id(contact_id))
            # Reading a transcript is an access: audited first, refused if it cannot be.
            await state.audit_event(
                None,
                staff.user,
                "sync",
                result="ok",
                unit_id=contact.unit_id,
                contact_id=contact.id,
                detail={"after_seq": after_seq},
            )
            return await conv.history(contact.id, after_seq)
        case wire.Typing(contact_id=contact_id):
            await conv.staff_typing(staff, _contact_id(contact_id))
            return None
        case wire.Pick(queue=queue, contact_id=contact_id):
            return await conv.pick(staff, queue, contact_id)
        case wire.Close(contact_id=contact_id, outcome=outcome, last_seen_seq=seen):
            return await conv.close(staff, contact_id, outcome, seen)
        case wire.Transfer(contact_id=contact_id, queue=queue, note=note):
            return await conv.transfer(staff, contact_id, queue, note)
        case wire.Note(contact_id=contact_id, body=body):
            return await conv.note(staff, contact_id, body)
        case wire.Override(contact_id=contact_id, level=level, reason=reason):
            return await conv.override(staff, contact_id, level, reason)
        case wire.Hello():
            session = await state.sessions.resolve_hash(staff.session_hash)
            if session is None:
                raise ChatError("not_authenticated", "session ended")
            return await welcome(state, session)
        case wire.Ping():
            return wire.PONG
        case _:
            assert_never(frame)
