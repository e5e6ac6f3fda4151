"""The staff connection's contact gate (chatserver/ws/gate.py): no frame of a
contact before the frame that introduces it, whatever order frames arrive in
(on another instance they come through Redis, as :class:`wire.Relayed`)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import orjson
import pytest
from starlette.websockets import WebSocket

from chatserver.core.lifecycle import ContactStatus as S
from chatserver.metrics import Metrics
from chatserver.storage.base import Contact, Message
from chatserver.ws import gate as gate_module
from chatserver.ws import wire
from chatserver.ws.gate import ContactGate, Outgoing, outgoing
from chatserver.ws.hub import Connection, Hub
from tests.core.builders import NURSE
from tests.core.builders import contact as make_contact

T0 = 1_800_000_000.0


def message(seq: int, contact_id: str = "c1") -> Message:
    return Message(contact_id, seq, "patient", "Petra", f"p-{seq}", f"body {seq}", T0 + seq)


def contact(contact_id: str = "c1") -> Contact:
    return make_contact(S.ASSIGNED, id=contact_id)


def frame_out(frame: wire.ServerFrame) -> Outgoing:
    text, seq = wire.encoded(frame)
    return outgoing(frame, text, seq)


def relayed(frame: wire.ServerFrame) -> wire.Relayed:
    """The frame as another instance publishes it through Redis."""
    return wire.Relayed(orjson.loads(orjson.dumps(wire.to_dict(frame))))


def staff_connection(hub: Hub, user_id: int = 7) -> Connection:
    conn = Connection(ws=cast(WebSocket, None), role="staff", instance_id="t")
    hub.bind_staff(conn, user_id, ("hc1",), f"session-{user_id}")
    return conn


def sent(conn: Connection) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while conn.outbox:
        text = conn.outbox.popleft()
        assert text is not None
        out.append(orjson.loads(text))
    return out


def summary(frames: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    return [(f["type"], f.get("seq")) for f in frames]


@pytest.mark.parametrize("over_redis", [False, True])
async def test_a_message_before_assigned_waits_and_follows_it(over_redis: bool) -> None:
    """The race of a pick: messages 3 and 4 arrive before the assigned frame whose
    transcript holds 1..3; the nurse gets assigned, then 4 only."""
    hub = Hub(Metrics(), "t")
    conn = staff_connection(hub)

    def deliver(frame: wire.ServerFrame) -> None:
        hub.deliver("user", 7, relayed(frame) if over_redis else frame)

    deliver(wire.MessageFrame(message(3)))
    deliver(wire.TypingFrame("c1", "patient"))
    deliver(wire.MessageFrame(message(4)))
    deliver(wire.MessageFrame(message(9, "other")))  # a contact never introduced
    assert sent(conn) == []
    deliver(wire.StaffAssignedFrame(contact(), (message(1), message(2), message(3))))
    frames = sent(conn)
    assert summary(frames) == [("assigned", None), ("typing", None), ("message", 4)]
    # Late live copies of what the transcript carried are dropped, newer ones pass.
    deliver(wire.MessageFrame(message(2)))
    deliver(wire.MessageFrame(message(5)))
    assert summary(sent(conn)) == [("message", 5)]


async def test_the_welcome_introduces_its_contacts() -> None:
    hub = Hub(Metrics(), "t")
    conn = staff_connection(hub)
    conn.hold()
    hub.deliver("user", 7, wire.MessageFrame(message(6)))
    welcome = frame_out(wire.StaffWelcomeFrame(NURSE, (), (contact(),)))
    assert welcome.contacts == ("c1",)
    conn.put_now(welcome)
    conn.release(0)
    assert summary(sent(conn)) == [("welcome", None), ("message", 6)]


async def test_transferred_ends_the_introduction_closed_does_not() -> None:
    hub = Hub(Metrics(), "t")
    conn = staff_connection(hub)
    hub.deliver("user", 7, wire.StaffAssignedFrame(contact(), ()))
    hub.deliver("user", 7, wire.TransferredFrame("c1", "hc1:doctor"))
    assert summary(sent(conn)) == [("assigned", None), ("transferred", None)]
    # Picked again later: its frames wait for the new assigned frame again.
    hub.deliver("user", 7, wire.MessageFrame(message(3)))
    assert sent(conn) == []
    hub.deliver("user", 7, wire.StaffAssignedFrame(contact(), (message(1), message(2))))
    assert summary(sent(conn)) == [("assigned", None), ("message", 3)]
    # A live copy that crosses the closed frame (from another instance) still passes.
    hub.deliver("user", 7, wire.ClosedFrame("c1", "resolved_in_chat"))
    hub.deliver("user", 7, relayed(wire.MessageFrame(message(4))))
    assert summary(sent(conn)) == [("closed", None), ("message", 4)]


async def test_a_held_closed_follows_the_assigned_frame() -> None:
    """The patient leaves right after the pick, and the closed frame arrives first."""
    hub = Hub(Metrics(), "t")
    conn = staff_connection(hub)
    hub.deliver("user", 7, relayed(wire.ClosedFrame("c1", "patient_left")))
    hub.deliver("user", 7, relayed(wire.StaffAssignedFrame(contact(), (message(1),))))
    assert summary(sent(conn)) == [("assigned", None), ("closed", None)]


async def test_frames_nothing_introduces_go_out_after_the_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A pick whose assigned frame never comes (it failed after its write): the
    held frames go out as they are after HOLD_S, not never."""
    monkeypatch.setattr(gate_module, "HOLD_S", 0.05)
    hub = Hub(Metrics(), "t")
    conn = staff_connection(hub)
    hub.deliver("user", 7, wire.MessageFrame(message(1)))
    assert sent(conn) == []
    await asyncio.sleep(0.2)  # past the (shortened) hold: the elapsed time is the point
    assert summary(sent(conn)) == [("message", 1)]


def test_the_gate_holds_a_bounded_number_of_frames() -> None:
    gate = ContactGate()
    released: list[Outgoing] = []
    for i in range(gate_module.HOLD_FRAMES + 1):
        released += gate.admit(frame_out(wire.MessageFrame(message(i + 1, f"c{i % 3}"))), 0.0)
    assert released  # the oldest hold went out as it was
    assert gate.held() + len(released) == gate_module.HOLD_FRAMES + 1
    assert gate.held() <= gate_module.HOLD_FRAMES


def test_frames_of_no_contact_and_other_types_pass() -> None:
    """Not held: frames of no contact, answers, and echoes of a staff member's own
    actions on a waiting contact (a note, an override, a transfer) to their other tabs."""
    gate = ContactGate()
    frames: list[wire.ServerFrame] = [
        wire.PONG,
        wire.EscalationFrame("c9", "hc1", "hc1:nurse", "urgent", False, 10, 5),
        wire.HistoryFrame("c9", (message(1, "c9"),)),
        wire.AckFrame("s-1", "c9", 1),
        wire.NoteFrame("c9", "ring tillbaka", "Nina Nurse", T0),
        wire.TriageOverrideFrame("c9", "urgent", "standard", ("ent",), "Nina Nurse"),
        wire.TransferredFrame("c9", "hc1:doctor"),
    ]
    for frame in [*frames, *(relayed(f) for f in frames)]:
        out = frame_out(frame)
        assert gate.admit(out, 0.0) == [out], frame
    assert gate.held() == 0


async def test_patient_connections_have_no_gate() -> None:
    hub = Hub(Metrics(), "t")
    conn = Connection(ws=cast(WebSocket, None), role="patient", instance_id="t")
    hub.bind_patient(conn, "c1")
    hub.deliver("contact", "c1", wire.MessageFrame(message(1)))
    assert summary(sent(conn)) == [("message", 1)]
