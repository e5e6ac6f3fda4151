"""``/ws/patient``: a thin adapter between one patient socket and the services."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, assert_never

import structlog
from starlette.websockets import WebSocket

from chatserver.access.sessions import hash_secret
from chatserver.core.lifecycle import ContactStatus
from chatserver.core.patient_access import token_expired
from chatserver.core.retriage import asked_followups
from chatserver.errors import (
    CLOSE_HELLO_TIMEOUT,
    CLOSE_NOT_AUTHENTICATED,
    CLOSE_POLICY,
    ChatError,
    Forbidden,
    InvalidInput,
    StateConflict,
)
from chatserver.logs import get_logger
from chatserver.ratelimit import FrameLimiter
from chatserver.storage.base import Contact, ContactEvent, StorageUnavailable
from chatserver.storage.rejoin import PatientRejoin, patient_rejoin
from chatserver.ws import wire
from chatserver.ws.admission import admit
from chatserver.ws.hub import MAX_CONNECTIONS_PER_CONTACT, Connection
from chatserver.ws.unavailable import storage_unavailable
from triage import Level, screening

if TYPE_CHECKING:
    from chatserver.state import AppState

log = get_logger("chatserver.ws.patient")

# Refusals (`hello_required`, `rate_limited`, ...) a socket gets before its
# `hello`; later frames until the hello deadline are read and dropped unanswered.
# Bounds what a flood without `hello` has in flight to the client, so its 4408
# close frame is not stuck behind seconds of replies; a real client needs none.
PRE_HELLO_ANSWERS = 64


async def receive_text(ws: WebSocket, conn: Connection) -> str | None:
    """Next text frame; None when the peer is gone. Binary frames are decoded as UTF-8.

    The socket's writer gets its turn first (:meth:`Connection.writer_turn`)."""
    await conn.writer_turn()
    msg = await ws.receive()
    if msg["type"] == "websocket.disconnect":
        return None
    text = msg.get("text")
    if text is not None:
        return str(text)
    data = msg.get("bytes") or b""
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return "\x00invalid-utf8"


async def patient_endpoint(ws: WebSocket) -> None:
    state: AppState = ws.app.state.chat
    await admit(state, ws, _patient_socket)


async def _patient_socket(state: AppState, ws: WebSocket) -> None:
    await ws.accept()
    conn = state.hub.new_connection(ws, "patient")
    structlog.contextvars.bind_contextvars(conn=conn.id, role="patient")
    log.info("ws_open")
    # One frame limit for the socket's whole life, from its first frame.
    limiter = state.limits.frame_limiter()
    contact: Contact | None = None
    try:
        contact = await _await_hello(state, ws, conn, limiter)
        if contact is None:
            return
        contact = _kept(contact)
        await _serve(state, ws, conn, contact, limiter)
    finally:
        log.info("ws_closed", contact_id=conn.contact_id, close_code=conn.close_code)
        await state.hub.unregister(conn)
        if conn.contact_id is not None:
            state.presence.patient_gone(conn.contact_id)
            if not state.hub.contact_connection_count(conn.contact_id):
                state.limits.contact_messages.forget(conn.contact_id)
                # Closed is final: nobody is assigned to hear that they left (no read).
                if contact is None or contact.status != ContactStatus.CLOSED:
                    await _presence(state, conn.contact_id, connected=False)


def _kept(contact: Contact) -> Contact:
    """The contact as the socket keeps it for its whole life, read at ``hello``:
    what its frames need (id, name, age, lang, status, last_seq), without the
    intake's complaint and triage reasons (about 1 KiB per waiting patient).
    Everything that decides on the complaint or the level reads the contact
    afresh (a level raise, follow-up answers, a repeated hello)."""
    return dataclasses.replace(contact, text="", reasons=())


async def _presence(
    state: AppState, contact_id: str, *, connected: bool, contact: Contact | None = None
) -> None:
    """The assigned nurse sees the patient come and go (``presence``); gone
    only when no instance has a socket of theirs either. A failure here
    (storage down, Redis unreachable) only costs that notice."""
    try:
        since = None
        if not connected:
            away = await state.presence.patients_away([contact_id])
            if contact_id not in away:  # still connected elsewhere (or unknowable)
                return
            since = away[contact_id]
        await state.conversations.patient_presence(contact_id, connected, contact, since)
    except Exception:
        log.exception("presence_notice_failed", contact_id=contact_id)


def _flooding(
    state: AppState, conn: Connection, limiter: FrameLimiter, *, answer: bool = True
) -> bool | None:
    """Apply the frame limit: False = go on, True = refused (answered unless not
    ``answer``), None = closed for sustained flooding."""
    if limiter.allow():
        return False
    if limiter.abusive():
        conn.close_soon(CLOSE_POLICY, "rate limit")
        return None
    if answer:
        _error(state, conn, ChatError("rate_limited", "too many frames, slow down"))
    return True


async def _await_hello(
    state: AppState, ws: WebSocket, conn: Connection, limiter: FrameLimiter
) -> Contact | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + state.settings.hello_timeout_s
    answers = PRE_HELLO_ANSWERS
    while True:
        # Checked at every frame, not only while none is waiting: a socket that
        # keeps sending anything but a valid hello is closed on time too.
        if loop.time() >= deadline:
            conn.close_soon(CLOSE_HELLO_TIMEOUT, "no hello in time")
            return None
        try:
            async with asyncio.timeout_at(deadline):
                text = await receive_text(ws, conn)
        except TimeoutError:
            conn.close_soon(CLOSE_HELLO_TIMEOUT, "no hello in time")
            return None
        if text is None or conn.closed:
            return None
        refused = _flooding(state, conn, limiter, answer=answers > 0)
        if refused is None:
            return None
        if refused:
            answers -= 1
            continue
        try:
            frame = wire.parse_patient(text)
            if not isinstance(frame, wire.Hello):
                raise StateConflict("hello_required", "send hello first")
        except ChatError as exc:
            if answers > 0:
                answers -= 1
                _error(state, conn, exc)
            continue
        try:
            contact = await _welcome(state, conn, frame)
        except StorageUnavailable as exc:  # PostgreSQL restarting: hello again later
            storage_unavailable(state, conn, exc, wire.client_id_of(text), None)
            continue
        if contact is None:
            conn.close_soon(CLOSE_NOT_AUTHENTICATED, "unknown token")
        return contact


async def _welcome(state: AppState, conn: Connection, hello: wire.Hello) -> Contact | None:
    if not hello.token:
        return None
    token_hash = hash_secret(hello.token)
    contact = await state.storage.get_contact_by_token_hash(token_hash)
    if contact is None:
        return None
    # A closed chat's token works only for a while after the close (then 4401).
    if token_expired(contact, state.clock(), state.settings.patient_token_after_close_s):
        return None
    # (A re-sent hello on a bound connection does not count twice.)
    if (
        conn.contact_id != contact.id
        and state.hub.contact_connection_count(contact.id) >= MAX_CONNECTIONS_PER_CONTACT
    ):
        conn.close_soon(CLOSE_POLICY, "too many connections")
        return None
    conn.hold()
    rebound = conn.contact_id == contact.id
    state.hub.bind_patient(conn, contact.id)
    if not rebound:  # one connection counts once (closing it counts it gone once)
        state.presence.patient_back(contact.id)
    # Read after binding: a message committed in between is either in this
    # history or held live, never lost (duplicates are dropped by seq). One
    # read for the contact, its history, its place and its follow-ups.
    view = await state.storage.read(patient_rejoin(contact.id, hello.last_seq))
    if view is None:  # erased since the lookup (retention): what the lookup saw
        view = PatientRejoin(contact, [], None, [])
    contact, msgs = view.contact, view.messages
    welcome = wire.PatientWelcomeFrame(
        contact=contact,
        queue=await state.queues.place_at(contact, view.queue_position),
        messages=msgs,
        # Messages may commit between the contact and messages statements
        # (PostgreSQL, no shared snapshot): never report less.
        last_seq=max(contact.last_seq, msgs[-1].seq if msgs else 0),
        followup=_open_followups(contact, view.followup_events),
        extra=state.welcome_extra("patient"),
    )
    conn.token_hash = token_hash
    conn.push_now(wire.encode(welcome))
    conn.release(max([hello.last_seq, *(m.seq for m in msgs)]))
    if not rebound and state.hub.contact_connection_count(contact.id) == 1:
        await _presence(state, contact.id, connected=True, contact=contact)
    return contact


def _open_followups(
    contact: Contact, events: Sequence[ContactEvent]
) -> list[Mapping[str, Any]] | None:
    """Follow-up questions asked of a waiting patient and not answered yet (else None).

    None once the contact is closed or already at emergency: the questions are moot.
    """
    if contact.status == ContactStatus.CLOSED or contact.level == Level.EMERGENCY:
        return None
    open_ids = [qid for qid, answer in asked_followups(events).items() if answer is None]
    if not open_ids:
        return None
    questions = [screening.CATALOGUE[qid] for qid in open_ids if qid in screening.CATALOGUE]
    return [q.to_dict(contact.lang) for q in questions]


def _error(state: AppState, conn: Connection, exc: ChatError, client_id: str | None = None) -> None:
    state.metrics.errors.labels(exc.code).inc()
    conn.send(wire.ErrorFrame.of(exc, client_id=client_id))


async def _serve(
    state: AppState, ws: WebSocket, conn: Connection, contact: Contact, limiter: FrameLimiter
) -> None:
    conv = state.conversations
    contact_id = contact.id
    volume = state.limits.contact_messages
    volume.seen(contact_id, contact.last_seq)
    while True:
        text = await receive_text(ws, conn)
        if text is None or conn.closed:
            return
        t0 = time.perf_counter()
        acked = False  # a failure after the ack must not make the client resend
        try:
            if not limiter.allow():
                if limiter.abusive():
                    conn.close_soon(CLOSE_POLICY, "rate limit")
                    return
                raise ChatError("rate_limited", "too many frames, slow down")
            frame = wire.parse_patient(text)
            match frame:
                case wire.SendMessage(client_id=client_id, body=body):
                    refusal = volume.refusal(contact_id)  # rate and total, all sockets
                    if refusal is not None:
                        raise refusal
                    ack = await conv.patient_message(contact, client_id, body, conn.id)
                    volume.seen(contact_id, ack.seq)
                    conn.send(ack)
                    acked = True
                    state.metrics.ack_latency.observe(time.perf_counter() - t0)
                    if not ack.duplicate:
                        conv.reassessments.submit(contact, body)
                case wire.Sync(contact_id=asked_for, after_seq=after_seq):
                    if asked_for not in (None, contact_id):
                        raise Forbidden("forbidden", "not your contact")
                    conn.send(await conv.history(contact_id, after_seq))
                case wire.Typing():
                    await conv.patient_typing(contact_id)
                case wire.FollowupAnswers(answers=answers):
                    conn.send(await conv.followup_answers(contact, dict(answers)))
                case wire.Leave():
                    await conv.patient_leave(contact_id)
                case wire.Hello(token=token):
                    if not token or hash_secret(token) != conn.token_hash:
                        raise InvalidInput("invalid_field", "hello must use this chat's token")
                    if await _welcome(state, conn, frame) is None:  # the token expired
                        conn.close_soon(CLOSE_NOT_AUTHENTICATED, "token expired")
                        return
                case wire.Ping():
                    conn.send(wire.PONG)
                case _:
                    assert_never(frame)
        except ChatError as exc:
            _error(state, conn, exc, client_id=wire.client_id_of(text))
        except StorageUnavailable as exc:
            cid = None if acked else wire.client_id_of(text)
            storage_unavailable(state, conn, exc, cid, contact_id)
        except Exception:
            log.exception("patient_frame_failed", conn=conn.id)
            _error(state, conn, ChatError("internal_error", "something went wrong; try again"))
