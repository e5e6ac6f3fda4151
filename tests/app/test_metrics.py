"""Prometheus metrics follow the service's state, with time from an injectable clock."""

from __future__ import annotations

from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed, intake, receive_until
from tests.poll import wait_until


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def sample(client: TestClient, name: str, labels: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f"{name}{{{labels}}}"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{labels}}} not exported")


def test_waiting_and_oldest_wait_gauges(settings: Settings, seed: Seed) -> None:
    """Waiting count and oldest wait per queue; the wait grows with the clock."""
    clock = Clock(1_800_000_000.0)
    app = create_app(settings, clock=clock)
    with TestClient(app, headers={"origin": ORIGIN}) as client:
        intake(client)
        clock.now += 30
        intake(client, name="Två")
        # The refresher applies changes in the background, and may be mid-way
        # through the second one when flush() finds nothing pending: wait for it.
        queues = app.state.chat.queues  # type: ignore[union-attr]

        def both_waiting() -> bool:
            client.portal.call(queues.flush)
            queues.update_gauges()
            return sample(client, "chat_waiting_contacts", 'queue="hc1:nurse"') == 2.0

        wait_until(both_waiting, timeout=10, message="the waiting gauge never reached 2")
        assert sample(client, "chat_oldest_wait_seconds", 'queue="hc1:nurse"') == 30.0
        clock.now += 600
        app.state.chat.queues.update_gauges()
        assert sample(client, "chat_oldest_wait_seconds", 'queue="hc1:nurse"') == 630.0


def test_message_and_connection_metrics(client: TestClient) -> None:
    """Open connections by role and stored messages by sender are counted."""
    contact = intake(client)
    with client.websocket_connect("/ws/patient", headers={"origin": ORIGIN}) as p:
        p.send_json({"type": "hello", "token": contact["patient_token"], "last_seq": 0})
        receive_until(p, "welcome")
        assert sample(client, "chat_open_connections", 'role="patient"') == 1.0
        p.send_json({"type": "message", "client_id": "m", "body": "hej"})
        # A push (the place in line) may come before the ack: the count is
        # there once the ack is.
        receive_until(p, "ack")
        assert sample(client, "chat_messages_total", 'sender="patient"') == 1.0
        p.send_json({"type": "nonsense"})
        receive_until(p, "error")
        assert sample(client, "chat_errors_total", 'code="unknown_type"') == 1.0
