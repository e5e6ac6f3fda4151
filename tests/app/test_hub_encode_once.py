"""A frame delivered to several targets (a message: its patient, then its nurse)
is encoded once."""

from __future__ import annotations

from typing import cast

import orjson
import pytest
from starlette.websockets import WebSocket

from chatserver.core.lifecycle import ContactStatus as S
from chatserver.metrics import Metrics
from chatserver.storage.base import Message
from chatserver.ws import hub as hub_module
from chatserver.ws import wire
from chatserver.ws.hub import Connection, Hub
from tests.core.builders import contact as make_contact


async def test_one_frame_to_two_targets_is_encoded_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hub = Hub(Metrics(), "t")
    patient = Connection(ws=cast(WebSocket, None), role="patient", instance_id="t")
    nurse = Connection(ws=cast(WebSocket, None), role="staff", instance_id="t")
    c = make_contact(S.ASSIGNED, id="c1")
    hub.bind_patient(patient, c.id)
    hub.bind_staff(nurse, 7, (c.unit_id,), "s7")
    calls: list[wire.ServerFrame] = []
    real = wire.encoded

    def counting(frame: wire.ServerFrame) -> tuple[str, int | None]:
        calls.append(frame)
        return real(frame)

    monkeypatch.setattr(hub_module, "encoded", counting)
    msg = Message(c.id, 1, "patient", "Pat", "m1", "Hej", 1.0)
    frame = wire.MessageFrame(msg)
    assert hub.deliver("contact", c.id, frame) == 1
    assert hub.deliver("user", 7, frame) == 1
    assert len(calls) == 1
    other = wire.MessageFrame(Message(c.id, 2, "patient", "Pat", "m2", "Och?", 2.0))
    assert hub.deliver("contact", c.id, other) == 1
    assert len(calls) == 2
    sent = [orjson.loads(t) for t in patient.outbox or () if t is not None]
    assert [f["seq"] for f in sent] == [1, 2]
    # (The nurse's copy waits in her contact gate until the contact is introduced.)
    assert nurse.gate is not None
    assert nurse.gate.held() == 1
