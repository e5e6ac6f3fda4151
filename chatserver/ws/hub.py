"""Live connections of this process and delivery to them.

Every connection has a bounded outbox drained by a writer task of its own, so
one slow reader never blocks a broadcast: when its outbox is full it is closed
(and its memory freed) instead. Frames are encoded once per broadcast. The
writer task lives only while there is something to send: an idle socket (a
patient waiting in the queue) has no task, queue or event of its own.

The :class:`Hub` only knows local sockets. Cross-instance delivery goes
through a :class:`~chatserver.fanout.local.Fanout`, which calls :meth:`Hub.deliver`
on every instance.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from starlette.websockets import WebSocket, WebSocketState

from chatserver.logs import get_logger
from chatserver.metrics import Metrics
from chatserver.ws.gate import ContactGate, Outgoing, outgoing
from chatserver.ws.wire import ServerFrame, encoded

log = get_logger("chatserver.ws.hub")

# 256 frames: a reconnecting dashboard's burst of queue updates fits easily; a
# client that falls this far behind is not reading and is cut off.
OUTBOX_FRAMES = 256
# Connection caps (memory and file descriptors per credential): a nurse with a
# few tabs on two devices needs well under 16; a patient a phone and a tab or two.
MAX_CONNECTIONS_PER_USER = 16
MAX_CONNECTIONS_PER_CONTACT = 4

Role = Literal["patient", "staff"]
# "unit": every staff socket of a unit; "unit_clinical" only its nurses' and
# doctors', "unit_counts" only its managers' and admins' (queue counts, no rows).
TargetKind = Literal["contact", "user", "unit", "unit_clinical", "unit_counts", "session", "all"]

_ids = itertools.count(1)


@dataclass(eq=False, slots=True)
class Connection:
    ws: WebSocket
    role: Role
    instance_id: str
    id: str = ""
    contact_id: str | None = None
    user_id: int | None = None
    unit_ids: tuple[str, ...] = ()
    session_hash: str | None = None
    # Staff: a nurse or doctor (sees waiting contacts' rows, not only counts).
    clinical: bool = False
    token_hash: str | None = None
    # Frames to send, oldest first (None: stop). Drained by ``writer``, which
    # runs only while the outbox is not empty (see :meth:`_enqueue`); both
    # exist only while there is something to send.
    outbox: deque[str | None] | None = None
    writer: asyncio.Task[None] | None = None
    # Frames are sent only once the hub started the connection (tests build
    # connections that only queue).
    started: bool = False
    # Resolved when the writer has sent everything queued (or stopped): what
    # :meth:`writer_turn` waits for before the next frame is read.
    _drained: asyncio.Future[None] | None = None
    # The task sending the close frame (awaited on unregister, so the handler
    # never returns before the peer got its close code).
    closing: asyncio.Task[None] | None = None
    closed: bool = False
    close_code: int | None = None
    # While not None, frames are held back (until the welcome has been queued),
    # replayed by :meth:`release`.
    held: list[Outgoing] | None = None
    # Staff: frames of a contact wait for the frame that introduces it
    # (:mod:`chatserver.ws.gate`); None for patients (one contact each).
    gate: ContactGate | None = None
    _gate_timer: asyncio.TimerHandle | None = None

    def __post_init__(self) -> None:
        self.id = f"{self.instance_id}:{next(_ids)}"
        if self.role == "staff":
            self.gate = ContactGate()

    def push(self, text: str, seq: int | None = None) -> bool:
        """Queue a frame; False (and the connection is being closed) when full."""
        return self.put(Outgoing(text, seq))

    def put(self, out: Outgoing) -> bool:
        """Queue an outgoing frame, through the staff gate (see :meth:`push`)."""
        if self.closed:
            return False
        if self.held is not None:
            self.held.append(out)
            return True
        gate = self.gate
        if gate is None or (out.contact_id is None and out.kind != "welcome"):
            return self._enqueue(out.text)
        ok = True
        for ready in gate.admit(out, time.monotonic()):
            ok = self._enqueue(ready.text) and ok
        if gate.held() and self._gate_timer is None:
            self._schedule_gate()
        return ok

    def _enqueue(self, text: str) -> bool:
        if self.closed:
            return False
        outbox = self.outbox
        if outbox is None:
            outbox = self.outbox = deque()
        elif len(outbox) >= OUTBOX_FRAMES:
            self.close_soon(1008, "too slow")
            return False
        outbox.append(text)
        if self.writer is None and self.started:
            self.writer = asyncio.get_running_loop().create_task(_writer(self))
        return True

    def _schedule_gate(self) -> None:
        assert self.gate is not None
        deadline = self.gate.next_deadline()
        if deadline is None:
            return
        delay = max(0.0, deadline - time.monotonic())
        self._gate_timer = asyncio.get_running_loop().call_later(delay, self._gate_expired)

    def _gate_expired(self) -> None:
        """Frames held past :data:`~chatserver.ws.gate.HOLD_S` go out as they are."""
        self._gate_timer = None
        if self.gate is None or self.closed:
            return
        for out in self.gate.expire(time.monotonic()):
            self._enqueue(out.text)
        if self.gate.held():
            self._schedule_gate()

    def send(self, frame: ServerFrame) -> bool:
        """Queue a server frame (see :meth:`push`)."""
        text, seq = encoded(frame)
        return self.put(outgoing(frame, text, seq))

    def push_now(self, text: str) -> bool:
        """Queue a frame ahead of anything held (the welcome)."""
        return self.put_now(Outgoing(text))

    def put_now(self, out: Outgoing) -> bool:
        """Queue an outgoing frame ahead of anything held (the welcome)."""
        held, self.held = self.held, None
        try:
            return self.put(out)
        finally:
            self.held = held

    def hold(self) -> None:
        """Hold live frames back until :meth:`release` (welcome comes first)."""
        self.held = []

    def release(self, after_seq: int) -> None:
        """Queue held frames, skipping messages the welcome already carried
        (a patient's: one contact; staff pass 0, their gate drops repeats)."""
        held, self.held = self.held or [], None
        for out in held:
            if out.seq is None or out.seq > after_seq:
                self.put(out)

    async def writer_turn(self) -> None:
        """Wait until the writer has sent what is queued before the next frame is read.

        Under uvicorn's `websockets-sansio` the frames it has already read reach
        the app without a yield to the event loop, and its sends do not wait for
        the peer: without this a flood is handled back to back while its replies
        pile up unsent (dropped at the close, or overflowing the outbox), and a
        close frame waits behind seconds of them. Waiting here is the socket's
        back-pressure: a peer that does not read its replies is not read either
        (so the deadlines around the read still hold). Free when nothing is queued.
        """
        if self.writer is None:
            return
        if self._drained is None:
            self._drained = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._drained)

    def _writer_done(self) -> None:
        """The writer stopped (nothing left to send, or the socket failed)."""
        self.writer = None
        if not self.outbox:
            self.outbox = None
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def close_soon(self, code: int, reason: str = "") -> None:
        """Close after nothing else: drop pending frames and stop the writer."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        if self._gate_timer is not None:
            self._gate_timer.cancel()
            self._gate_timer = None
        # Free what a slow reader had piled up; a running writer stops.
        if self.writer is not None and self.outbox is not None:
            self.outbox.clear()  # (in place: the writer holds this deque)
            self.outbox.append(None)
        else:
            self.outbox = None
        self.closing = asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            if self.ws.application_state == WebSocketState.CONNECTED:
                await asyncio.wait_for(self.ws.close(code, reason), timeout=5)


async def _writer(conn: Connection) -> None:
    """Send what is queued, then stop (the next frame starts a new writer)."""
    ws = conn.ws
    outbox = conn.outbox
    assert outbox is not None  # (the writer is started by a frame queued)
    try:
        while outbox:
            text = outbox.popleft()
            if text is None:
                return
            await ws.send_text(text)
    except Exception:
        conn.closed = True
    finally:
        conn._writer_done()  # nothing more will be sent: no reader waits for it


class Hub:
    def __init__(self, metrics: Metrics, instance_id: str) -> None:
        self.metrics = metrics
        self.instance_id = instance_id
        # The open-connections gauge of each role, looked up once (not per socket).
        self._open_gauge = {r: metrics.connections.labels(r) for r in get_args(Role)}
        self._by_contact: dict[str, set[Connection]] = defaultdict(set)
        self._by_user: dict[int, set[Connection]] = defaultdict(set)
        self._by_unit: dict[str, set[Connection]] = defaultdict(set)
        self._by_session: dict[str, set[Connection]] = defaultdict(set)
        self._all: set[Connection] = set()
        # Open sockets per client address (patient and staff, before accept too).
        self._by_address: dict[str, int] = {}
        # The last frame delivered and its encoding: a message goes to its
        # patient's and its nurse's sockets in two calls, encoded once (frames
        # are immutable, so the identity check is enough).
        self._last_frame: ServerFrame | None = None
        self._last_out: Outgoing | None = None

    # -- registration ------------------------------------------------------
    def new_connection(self, ws: WebSocket, role: Role) -> Connection:
        conn = Connection(ws=ws, role=role, instance_id=self.instance_id, started=True)
        self._all.add(conn)
        self._open_gauge[role].inc()
        return conn

    def bind_patient(self, conn: Connection, contact_id: str) -> None:
        if conn.contact_id is not None:
            self._by_contact[conn.contact_id].discard(conn)
        conn.contact_id = contact_id
        self._by_contact[contact_id].add(conn)

    def bind_staff(
        self,
        conn: Connection,
        user_id: int,
        unit_ids: Iterable[str],
        session_hash: str,
        *,
        clinical: bool = True,
    ) -> None:
        conn.user_id = user_id
        conn.clinical = clinical
        conn.unit_ids = tuple(unit_ids)
        conn.session_hash = session_hash
        self._by_user[user_id].add(conn)
        self._by_session[session_hash].add(conn)
        for u in conn.unit_ids:
            self._by_unit[u].add(conn)

    async def unregister(self, conn: Connection) -> None:
        if conn not in self._all:
            return
        self._all.discard(conn)
        self._open_gauge[conn.role].dec()
        _discard(self._by_contact, conn.contact_id, conn)
        _discard(self._by_user, conn.user_id, conn)
        _discard(self._by_session, conn.session_hash, conn)
        for u in conn.unit_ids:
            _discard(self._by_unit, u, conn)
        if conn.closing is not None:
            with contextlib.suppress(Exception):
                await conn.closing
        if not conn.closed:
            conn.closed = True
            conn.outbox = None
        if conn.writer is not None:
            conn.writer.cancel()
            with contextlib.suppress(BaseException):
                await conn.writer

    def claim_address(self, address: str, cap: int) -> bool:
        """Count one more socket of a client address; False (nothing counted)
        when it already has ``cap`` open (0: no cap)."""
        open_now = self._by_address.get(address, 0)
        if cap and open_now >= cap:
            return False
        self._by_address[address] = open_now + 1
        return True

    def release_address(self, address: str) -> None:
        """One socket of the address closed (each :meth:`claim_address` once)."""
        left = self._by_address.get(address, 0) - 1
        if left > 0:
            self._by_address[address] = left
        else:
            self._by_address.pop(address, None)

    # -- queries -----------------------------------------------------------
    def patient_connections(self, contact_id: str) -> set[Connection]:
        return self._by_contact.get(contact_id, set())

    def user_connection_count(self, user_id: int) -> int:
        return len(self._by_user.get(user_id, ()))

    def contact_connection_count(self, contact_id: str) -> int:
        return len(self._by_contact.get(contact_id, ()))

    def user_connected(self, user_id: int) -> bool:
        return bool(self._by_user.get(user_id))

    def clinical_users(self, unit_id: str) -> set[int]:
        """Nurses and doctors with a socket here that sees ``unit_id``."""
        return {
            c.user_id
            for c in self._by_unit.get(unit_id, ())
            if c.clinical and c.user_id is not None
        }

    def staff_connections(self) -> list[Connection]:
        return [c for c in self._all if c.role == "staff"]

    def waiting_patients(self) -> list[str]:
        return [cid for cid, conns in self._by_contact.items() if conns]

    def count(self) -> int:
        return len(self._all)

    # -- delivery ----------------------------------------------------------
    def deliver(
        self,
        kind: TargetKind,
        key: str | int | None,
        frame: ServerFrame,
        exclude: str | None = None,
    ) -> int:
        """Send ``frame`` (encoded once) to every local connection of a target;
        returns how many."""
        if kind == "contact":
            conns: Iterable[Connection] = self._by_contact.get(str(key), ())
        elif kind == "user":
            conns = self._by_user.get(int(key or 0), ())
        elif kind == "unit":
            conns = self._by_unit.get(str(key), ())
        elif kind in ("unit_clinical", "unit_counts"):
            clinical = kind == "unit_clinical"
            conns = [c for c in self._by_unit.get(str(key), ()) if c.clinical is clinical]
            if not conns:
                return 0
        elif kind == "session":
            conns = self._by_session.get(str(key), ())
        else:
            conns = self._all
        if frame is self._last_frame and self._last_out is not None:
            out = self._last_out  # the same frame to another target (patient, then staff)
        else:
            text, seq = encoded(frame)
            out = outgoing(frame, text, seq)
            self._last_frame, self._last_out = frame, out
        sent = 0
        for c in list(conns):
            if c.id != exclude and c.put(out):
                sent += 1
        return sent

    def close_target(self, kind: TargetKind, key: str | int, code: int, reason: str) -> int:
        """Close every local connection of a target (e.g. an ended session)."""
        if kind == "session":
            conns = list(self._by_session.get(str(key), ()))
        elif kind == "user":
            conns = list(self._by_user.get(int(key), ()))
        elif kind == "contact":
            conns = list(self._by_contact.get(str(key), ()))
        else:
            conns = list(self._all)
        for c in conns:
            c.close_soon(code, reason)
        return len(conns)


def _discard(index: dict[Any, set[Connection]], key: Any, conn: Connection) -> None:
    if key is None:
        return
    s = index.get(key)
    if s is not None:
        s.discard(conn)
        if not s:
            del index[key]
