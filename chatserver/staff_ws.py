"""``/ws/staff``: a thin adapter between one staff socket and the services."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import structlog
from starlette.websockets import WebSocket

from chatserver import wire
from chatserver.audit.access_events import audit_staff_action, audit_staff_refusal
from chatserver.conversation import Staff
from chatserver.errors import CLOSE_NOT_AUTHENTICATED, CLOSE_POLICY, ChatError
from chatserver.hub import MAX_CONNECTIONS_PER_USER, Connection
from chatserver.logs import get_logger
from chatserver.origin import origin_allowed
from chatserver.patient_ws import receive_text
from chatserver.security.request_id import set_request_id
from chatserver.sessions import TOUCH_EVERY_S, ActiveSession
from chatserver.wire import contact_dict

if TYPE_CHECKING:
    from chatserver.app import AppState

log = get_logger("chatserver.ws.staff")


def user_dict(active: ActiveSession) -> dict[str, Any]:
    u = active.user
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "units": list(u.unit_ids),
    }


async def staff_endpoint(ws: WebSocket) -> None:
    state: AppState = ws.app.state.chat
    if not origin_allowed(
        ws.headers.get("origin"), ws.headers, state.settings.allowed_origins, state.settings.tls
    ):
        await ws.close(CLOSE_POLICY)  # before accept: uvicorn answers 403, no upgrade
        return
    active = await state.sessions.resolve(ws.cookies.get(state.sessions.cookie_name))
    await ws.accept()
    if active is None:
        await ws.close(CLOSE_NOT_AUTHENTICATED, "not authenticated")
        return
    if state.hub.user_connection_count(active.user.id) >= MAX_CONNECTIONS_PER_USER:
        await ws.close(CLOSE_POLICY, "too many connections")
        return
    conn = state.hub.new_connection(ws, "staff")
    structlog.contextvars.bind_contextvars(conn=conn.id, role="staff")
    log.info("ws_open", user_id=active.user.id)
    user = active.user
    state.hub.bind_staff(conn, user.id, user.unit_ids, active.session.id_hash)
    state.presence.staff_back(user.id)
    try:
        conn.push(wire.encode(await welcome(state, active)))
        await _serve(state, ws, conn, active)
    finally:
        log.info("ws_closed", user_id=user.id, close_code=conn.close_code)
        await state.hub.unregister(conn)
        state.presence.staff_gone(user.id)


async def welcome(state: AppState, active: ActiveSession) -> dict[str, Any]:
    user = active.user
    assigned = await state.storage.assigned_to(user.id)
    return {
        "type": "welcome",
        "user": user_dict(active),
        "queues": await state.queues.staff_view(user.unit_ids),
        "assigned": [contact_dict(c) for c in assigned],
        **state.welcome_extra("staff"),
    }


def _error(state: AppState, conn: Connection, exc: ChatError, **ctx: Any) -> None:
    state.metrics.errors.labels(exc.code).inc()
    conn.push(wire.encode(exc.ws_frame(**ctx)))


async def _serve(state: AppState, ws: WebSocket, conn: Connection, active: ActiveSession) -> None:
    staff = Staff(active.user, conn.id, active.session.id_hash)
    limiter = state.limits.frame_limiter()
    last_touch = state.clock()
    while True:
        text = await receive_text(ws)
        if text is None or conn.closed:
            return
        t0 = time.perf_counter()
        set_request_id()  # each frame is a request of its own in the audit log
        frame: Any = None
        try:
            if not limiter.allow():
                if limiter.abusive():
                    conn.close_soon(CLOSE_POLICY, "rate limit")
                    return
                raise ChatError("rate_limited", "too many frames, slow down")
            frame = wire.parse(text, wire.STAFF_TYPES)
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
                conn.push(wire.encode(reply))
            if isinstance(frame, wire.SendMessage):
                state.metrics.ack_latency.observe(time.perf_counter() - t0)
        except ChatError as exc:
            ctx = {"client_id": wire.client_id_of(text)}
            await audit_staff_refusal(state, staff.user, frame, exc.code)
            _error(state, conn, exc, **ctx)
        except Exception:
            log.exception("staff_frame_failed", conn=conn.id)
            _error(state, conn, ChatError("internal_error", "something went wrong; try again"))


async def _dispatch(state: AppState, staff: Staff, frame: Any) -> dict[str, Any] | None:
    conv = state.conversations
    if isinstance(frame, wire.SendMessage):
        if frame.contact_id is None:
            raise ChatError(
                "invalid_field", "contact_id is required", fields={"contact_id": "required"}
            )
        return await conv.staff_message(staff, frame.contact_id, frame.client_id, frame.body)
    if isinstance(frame, wire.Sync):
        if frame.contact_id is None:
            raise ChatError(
                "invalid_field", "contact_id is required", fields={"contact_id": "required"}
            )
        contact = await conv.readable_contact(staff, frame.contact_id)
        # Reading a transcript is an access: audited first, refused if it cannot be.
        await state.audit_event(
            None,
            staff.user,
            "sync",
            result="ok",
            unit_id=contact.unit_id,
            contact_id=contact.id,
            detail={"after_seq": frame.after_seq},
        )
        return await conv.history(frame.contact_id, frame.after_seq)
    if isinstance(frame, wire.Typing):
        if frame.contact_id is None:
            raise ChatError(
                "invalid_field", "contact_id is required", fields={"contact_id": "required"}
            )
        await conv.staff_typing(staff, frame.contact_id)
        return None
    if isinstance(frame, wire.Pick):
        return await conv.pick(staff, frame.queue, frame.contact_id)
    if isinstance(frame, wire.Close):
        return await conv.close(staff, frame.contact_id, frame.outcome)
    if isinstance(frame, wire.Transfer):
        return await conv.transfer(staff, frame.contact_id, frame.queue, frame.note)
    if isinstance(frame, wire.Note):
        return await conv.note(staff, frame.contact_id, frame.body)
    if isinstance(frame, wire.Override):
        return await conv.override(staff, frame.contact_id, frame.level, frame.reason)
    if isinstance(frame, wire.Hello):
        session = await state.sessions.resolve_hash(staff.session_hash)
        if session is None:
            raise ChatError("not_authenticated", "session ended")
        return await welcome(state, session)
    if isinstance(frame, wire.Ping):
        return {"type": "pong"}
    return None
