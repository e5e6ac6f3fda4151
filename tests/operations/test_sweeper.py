"""The sweeper on a controlled clock: escalation, staff gone, patient gone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.storage.base import Contact
from tests.helpers import ORIGIN, Seed, intake, receive_until
from tests.poll import wait_until

from .util import Clock, run, sign_in, state_of, sweep

WS = {"origin": ORIGIN}


def until(condition: Callable[[], bool]) -> None:
    """Wait for the app's event loop to process a disconnect (not for the clock)."""
    wait_until(condition, timeout=5, interval=0.01)


def frames_before_pong(ws: Any) -> list[dict[str, Any]]:
    """Everything the server pushed before answering a ping (proves absence)."""
    ws.send_json({"type": "ping"})
    frames = []
    while (frame := ws.receive_json())["type"] != "pong":
        frames.append(frame)
    return frames


def contact(client: TestClient, contact_id: str) -> Contact:
    c = run(client, state_of(client).storage.get_contact, contact_id)
    assert c is not None
    return c


def escalations_metric(client: TestClient, level: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f'chat_escalations_total{{level="{level}"}}'):
            return float(line.split()[-1])
    return 0.0


def make_urgent(client: TestClient, contact_id: str, at: float) -> None:
    run(
        client,
        state_of(client).storage.set_level,
        contact_id,
        level="urgent",
        tags=[],
        priority_key=None,
        at=at,
        actor_user_id=None,
        reason="test",
    )


def test_urgent_contact_escalates_once_after_its_target(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """An urgent contact waiting 15 min alerts the unit's staff (not other units), once."""
    start = clock()
    cid = intake(app_client)["contact_id"]
    make_urgent(app_client, cid, start)
    sign_in(app_client, seed["nurse1"], clock)
    with app_client.websocket_connect("/ws/staff", headers=WS) as hc1:
        receive_until(hc1, "welcome")
        sign_in(app_client, seed["nurse_hc2"], clock)
        with app_client.websocket_connect("/ws/staff", headers=WS) as hc2:
            receive_until(hc2, "welcome")
            sweep(app_client, clock.advance(899))
            assert [f["type"] for f in frames_before_pong(hc1)] == []
            sweep(app_client, clock.advance(1))
            frame = receive_until(hc1, "escalation")
            assert frame == {
                "type": "escalation",
                "contact_id": cid,
                "unit_id": "hc1",
                "queue_id": "hc1:nurse",
                "level": "urgent",
                "red_flag": False,
                "waited_s": 900,
                "target_s": 900,
            }
            sweep(app_client, clock.advance(60))
            assert "escalation" not in [f["type"] for f in frames_before_pong(hc1)]
            assert "escalation" not in [f["type"] for f in frames_before_pong(hc2)]
    assert escalations_metric(app_client, "urgent") == 1.0
    events = run(app_client, state_of(app_client).storage.events, cid)
    assert [(e.kind, dict(e.data)) for e in events if e.kind == "escalation"] == [
        ("escalation", {"level": "urgent", "waited_s": 900, "target_s": 900})
    ]


def test_red_flag_escalates_after_five_minutes(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """An acknowledged emergency (red flag) escalates at its own, shorter target."""
    first = intake(app_client, text="Jag har bröstsmärta och svårt att andas.")
    assert first["status"] == "emergency"
    queued = intake(app_client, contact_id=first["contact_id"], acknowledge_emergency=True)
    assert queued["status"] == "queued"
    sweep(app_client, clock.advance(299))
    assert escalations_metric(app_client, "red_flag") == 0.0
    sweep(app_client, clock.advance(1))
    assert escalations_metric(app_client, "red_flag") == 1.0


def test_standard_contact_never_escalates(app_client: TestClient, clock: Clock) -> None:
    """Standard and non-urgent contacts have no escalation target."""
    intake(app_client)
    sweep(app_client, clock.advance(6 * 3600))
    assert escalations_metric(app_client, "standard") == 0.0


def test_escalation_survives_a_restart_without_repeating(
    app_client: TestClient, clock: Clock
) -> None:
    """A fresh sweeper (as after a restart) reads the escalation event and stays quiet."""
    from chatserver.admin import Sweeper, of  # noqa: PLC0415

    cid = intake(app_client)["contact_id"]
    make_urgent(app_client, cid, clock())
    sweep(app_client, clock.advance(900))
    state = state_of(app_client)
    fresh = Sweeper(state, of(state))
    run(app_client, fresh.sweep_once, clock.advance(60))
    assert escalations_metric(app_client, "urgent") == 1.0


def test_contact_of_vanished_staff_returns_to_its_place(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """All of a nurse's sockets gone for 2 min: the picked contact is queued again
    in its level's place with its arrival time (issue 17: not ahead of the
    others), behind the same-level contact that arrived before it."""
    other = intake(app_client)["contact_id"]
    clock.advance(1)  # arrives after `other`: the order below is by arrival
    token = intake(app_client)["patient_token"]
    sign_in(app_client, seed["nurse1"], clock)
    with app_client.websocket_connect("/ws/patient", headers=WS) as patient:
        patient.send_json({"type": "hello", "token": token, "last_seq": 0})
        cid = receive_until(patient, "welcome")["contact_id"]
        with app_client.websocket_connect("/ws/staff", headers=WS) as staff:
            receive_until(staff, "welcome")
            staff.send_json({"type": "pick", "contact_id": cid})
            assert receive_until(staff, "assigned")["contact"]["contact_id"] == cid
        gone = state_of(app_client).presence.staff_gone_longer_than
        until(lambda: seed["nurse1"].id in gone(0))
        sweep(app_client, clock.advance(119))
        assert contact(app_client, cid).status == "assigned"
        sweep(app_client, clock.advance(1))
        assert receive_until(patient, "transferred") == {
            "type": "transferred",
            "contact_id": cid,
            "queue": "hc1:nurse",
        }
    back = contact(app_client, cid)
    assert (back.status, back.assigned_user_id, back.priority_tier) == ("queued", None, 1)
    waiting = run(app_client, state_of(app_client).storage.waiting, ["hc1:nurse"])
    assert [c.id for c in waiting] == [other, cid]


def test_staff_back_in_time_keeps_the_contact(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """A nurse who reconnects within the limit keeps the contact."""
    cid = intake(app_client)["contact_id"]
    sign_in(app_client, seed["nurse1"], clock)
    with app_client.websocket_connect("/ws/staff", headers=WS) as staff:
        receive_until(staff, "welcome")
        staff.send_json({"type": "pick", "contact_id": cid})
        receive_until(staff, "assigned")
    gone = state_of(app_client).presence.staff_gone_longer_than
    until(lambda: seed["nurse1"].id in gone(0))
    clock.advance(60)
    with app_client.websocket_connect("/ws/staff", headers=WS) as staff:
        receive_until(staff, "welcome")
        sweep(app_client, clock.advance(600))
        assert contact(app_client, cid).status == "assigned"


def test_waiting_patient_gone_is_closed_as_patient_left(
    app_client: TestClient, clock: Clock
) -> None:
    """A waiting patient gone 15 min is closed as patient_left; one who returns is kept."""
    gone = intake(app_client)
    back = intake(app_client)
    for who in (gone, back):
        with app_client.websocket_connect("/ws/patient", headers=WS) as ws:
            ws.send_json({"type": "hello", "token": who["patient_token"], "last_seq": 0})
            receive_until(ws, "welcome")
    presence = state_of(app_client).presence
    until(lambda: not presence.patient_connected(back["contact_id"]))
    until(lambda: not presence.patient_connected(gone["contact_id"]))
    clock.advance(600)
    with app_client.websocket_connect("/ws/patient", headers=WS) as ws:
        ws.send_json({"type": "hello", "token": back["patient_token"], "last_seq": 0})
        receive_until(ws, "welcome")
        sweep(app_client, clock.advance(299))
        assert contact(app_client, gone["contact_id"]).status == "queued"
        sweep(app_client, clock.advance(1))
        closed = contact(app_client, gone["contact_id"])
        assert (closed.status, closed.outcome) == ("closed", "patient_left")
        sweep(app_client, clock.advance(3600))
        assert contact(app_client, back["contact_id"]).status == "queued"


def test_contacts_of_staff_who_never_return_after_restart_are_requeued(
    settings: Settings, seed: Seed, clock: Clock
) -> None:
    """After a restart, a contact held by a nurse who never reconnects is requeued."""
    with TestClient(create_app(settings, clock=clock), headers=WS) as first:
        cid = intake(first)["contact_id"]
        sign_in(first, seed["nurse1"], clock)
        with first.websocket_connect("/ws/staff", headers=WS) as staff:
            receive_until(staff, "welcome")
            staff.send_json({"type": "pick", "contact_id": cid})
            receive_until(staff, "assigned")
    with TestClient(create_app(settings, clock=clock), headers=WS) as second:
        sweep(second, clock.advance(119))  # the grace time starts at the restart
        assert contact(second, cid).status == "assigned"
        sweep(second, clock.advance(1))
        assert contact(second, cid).status == "queued"


def test_standard_escalation_when_configured(settings: Settings, seed: Seed, clock: Clock) -> None:
    """CHATSERVER_ESCALATION_STANDARD_S > 0 makes standard contacts escalate too."""
    configured = settings.model_copy(update={"escalation_standard_s": 3600})
    with TestClient(create_app(configured, clock=clock), headers=WS) as client:
        intake(client)
        sweep(client, clock.advance(3599))
        assert escalations_metric(client, "standard") == 0.0
        sweep(client, clock.advance(1))
        assert escalations_metric(client, "standard") == 1.0
