"""Dashboards see the database's waiting room although the service keeps a copy.

The queue service applies this instance's own changes to its copy instead of
reloading (chatserver/flow/waiting.py). After every kind of change the pushed
``queues`` frame must equal the view loaded afresh from the database. The
clock is frozen, so no periodic reload hides a wrongly applied change.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.flow.waiting import QueueService
from chatserver.settings import Settings
from chatserver.state import AppState
from chatserver.storage.base import Queue, Unit
from chatserver.ws import wire
from tests.helpers import ORIGIN, Account, Seed, intake, login, password_hash, receive_until

WS = {"origin": ORIGIN}
STANDARD_TEXT = "Jag har haft ont i halsen i fyra dagar och vill ha råd."


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def two_queue_unit(client: TestClient, state: AppState) -> Account:
    """Unit hc3 with a nurse and a doctor queue, and a nurse signed in there."""

    async def add() -> Account:
        unit = Unit(id="hc3", name="Tre", always_open=True, rollout="live", created_at=time.time())
        await state.storage.add_unit(
            unit,
            [
                Queue(id="hc3:doctor", unit_id="hc3", competence="doctor", name="Läkare"),
                Queue(id="hc3:nurse", unit_id="hc3", competence="nurse", name="Sjuksköterska"),
            ],
        )
        user = await state.storage.add_user(
            username="nurse3",
            display_name="Tea Tre",
            role="nurse",
            password_hash=password_hash(),
            totp_secret=None,
            unit_ids=["hc3"],
            created_at=time.time(),
        )
        return Account("nurse3", "nurse", ("hc3",), None, user.id, "Tea Tre")

    account: Account = client.portal.call(add)  # type: ignore[union-attr]
    return account


def fresh_view(client: TestClient, state: AppState) -> list[dict[str, Any]]:
    """The ``queues`` list as a newly started instance would load it."""
    fresh = QueueService(state.storage, state.hub, state.metrics, state.clock)

    async def view() -> list[dict[str, Any]]:
        return wire.queues_list(await fresh.staff_view(["hc3"]))

    result: list[dict[str, Any]] = client.portal.call(view)  # type: ignore[union-attr]
    return result


def matches_database(s: Any, client: TestClient, state: AppState) -> list[dict[str, Any]]:
    """The next ``queues`` push equals the database's view; returns it."""
    pushed: list[dict[str, Any]] = receive_until(s, "queues")["queues"]
    assert pushed == fresh_view(client, state)
    return pushed


def answer_and_push(
    s: Any, client: TestClient, state: AppState, type_: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The answer of type ``type_`` and the ``queues`` push, in either order; the
    push equals the database's view."""
    answer: dict[str, Any] | None = None
    pushed: list[dict[str, Any]] | None = None
    for _ in range(10):
        frame: dict[str, Any] = s.receive_json()
        if frame["type"] == type_:
            answer = frame
        elif frame["type"] == "queues":
            assert pushed is None, "one push per change"
            pushed = frame["queues"]
        if answer is not None and pushed is not None:
            assert pushed == fresh_view(client, state)
            return answer, pushed
    raise AssertionError(f"no {type_!r} answer and queues push within 10 frames")


def ids(view: list[dict[str, Any]], queue_id: str) -> list[str]:
    return [c["contact_id"] for q in view if q["id"] == queue_id for c in q["contacts"]]


def test_every_change_keeps_the_dashboard_equal_to_the_database(
    settings: Settings, seed: Seed
) -> None:
    """Intake, level change, pick, transfer, requeue, close and patient triage:
    each push equals a fresh load, in the expected order."""
    settings = settings.model_copy(update={"require_otp": False})
    clock = Clock(time.time())
    app = create_app(settings, clock=clock)
    state: AppState = app.state.chat
    with TestClient(app, headers={"origin": ORIGIN}) as client:
        nurse = two_queue_unit(client, state)
        login(client, nurse)
        with client.websocket_connect("/ws/staff", headers=WS) as s:
            assert s.receive_json()["type"] == "welcome"
            clock.now += 1
            a = intake(client, unit_id="hc3", name="A")["contact_id"]
            matches_database(s, client, state)
            clock.now += 1
            b = intake(client, unit_id="hc3", name="B")["contact_id"]
            matches_database(s, client, state)
            clock.now += 1
            c = intake(client, unit_id="hc3", name="C")["contact_id"]
            view = matches_database(s, client, state)
            assert ids(view, "hc3:nurse") == [a, b, c]

            s.send_json({"type": "override", "contact_id": c, "level": "urgent", "reason": "x"})
            answer, view = answer_and_push(s, client, state, "triage")
            assert answer["level"] == "urgent"
            assert ids(view, "hc3:nurse") == [c, a, b]

            s.send_json({"type": "pick", "queue": "hc3:nurse"})
            answer, view = answer_and_push(s, client, state, "assigned")
            assert answer["contact"]["contact_id"] == c
            assert ids(view, "hc3:nurse") == [a, b]

            s.send_json({"type": "transfer", "contact_id": c, "queue": "hc3:doctor"})
            answer, view = answer_and_push(s, client, state, "transferred")
            assert answer["queue"] == "hc3:doctor"
            assert (ids(view, "hc3:doctor"), ids(view, "hc3:nurse")) == ([c], [a, b])

            s.send_json({"type": "pick", "contact_id": b})
            answer, view = answer_and_push(s, client, state, "assigned")
            assert answer["contact"]["contact_id"] == b
            assert ids(view, "hc3:nurse") == [a]

            async def requeue() -> None:
                contact = await state.storage.get_contact(b)
                assert contact is not None
                await state.conversations.requeue_front(contact, "staff_disconnected")

            client.portal.call(requeue)  # type: ignore[union-attr]
            view = matches_database(s, client, state)
            # Back in its level's place with its arrival time: after a, who came first.
            assert ids(view, "hc3:nurse") == [a, b]

            s.send_json({"type": "close", "contact_id": a, "outcome": "patient_left"})
            answer, view = answer_and_push(s, client, state, "closed")
            assert answer["contact_id"] == a
            assert ids(view, "hc3:nurse") == [b]

            clock.now += 1
            token = intake(client, unit_id="hc3", name="D", text=STANDARD_TEXT)["patient_token"]
            matches_database(s, client, state)
            with client.websocket_connect("/ws/patient", headers=WS) as p:
                p.send_json({"type": "hello", "token": token, "last_seq": 0})
                assert p.receive_json()["type"] == "welcome"
                p.send_json(
                    {
                        "type": "message",
                        "client_id": "m1",
                        "body": "Jag har ont i ena vaden och den är svullen",
                    }
                )
                assert receive_until(p, "ack")["seq"] == 1
                assert receive_until(p, "triage")["level"] == "urgent"
                view = matches_database(s, client, state)
                assert view[1]["levels"] == {"urgent": 1, "standard": 1}


def test_changes_from_elsewhere_reload_and_a_wrong_copy_is_corrected(
    settings: Settings, seed: Seed
) -> None:
    """An unannounced change (another instance, an admin) reloads the unit; the
    periodic check pushes only when the copy disagrees with the database."""
    settings = settings.model_copy(update={"require_otp": False})
    clock = Clock(time.time())
    app = create_app(settings, clock=clock)
    state: AppState = app.state.chat
    with TestClient(app, headers={"origin": ORIGIN}) as client:
        nurse = two_queue_unit(client, state)
        login(client, nurse)
        with client.websocket_connect("/ws/staff", headers=WS) as s:
            assert s.receive_json()["type"] == "welcome"
            clock.now += 1
            a = intake(client, unit_id="hc3", name="A")["contact_id"]
            matches_database(s, client, state)
            clock.now += 1
            b = intake(client, unit_id="hc3", name="B")["contact_id"]
            matches_database(s, client, state)

            async def close_behind_its_back(contact_id: str) -> None:
                closed = await state.storage.close_contact(
                    contact_id, outcome="patient_left", at=state.clock(), actor_user_id=None
                )
                assert closed is not None

            # Another instance's change arrives as a bare notice: reload.
            client.portal.call(close_behind_its_back, a)  # type: ignore[union-attr]
            client.portal.call(state.fanout.queue_changed, "hc3")  # type: ignore[union-attr]
            view = matches_database(s, client, state)
            assert ids(view, "hc3:nurse") == [b]

            # A copy kept from announcements that matches: the check stays silent,
            # so the next push is the next change's.
            clock.now += 1
            c = intake(client, unit_id="hc3", name="C")["contact_id"]
            matches_database(s, client, state)
            client.portal.call(verify_now, state)  # type: ignore[union-attr]
            clock.now += 1
            d = intake(client, unit_id="hc3", name="D")["contact_id"]
            view = matches_database(s, client, state)
            assert ids(view, "hc3:nurse") == [b, c, d]

            # A change nobody announced: the check finds and pushes it.
            client.portal.call(close_behind_its_back, c)  # type: ignore[union-attr]
            client.portal.call(verify_now, state)  # type: ignore[union-attr]
            view = matches_database(s, client, state)
            assert ids(view, "hc3:nurse") == [b, d]


async def verify_now(state: AppState) -> None:
    state.queues.verify_soon()
    await state.queues.flush()
