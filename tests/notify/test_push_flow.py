"""Notifications while away, end to end: the app (in memory) sends encrypted Web
Push messages and the SMS to a fake push service and SMS gateway on loopback."""

from __future__ import annotations

import asyncio
import base64
import io
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from starlette.testclient import TestClient

from chatserver import logs
from chatserver.app import create_app
from chatserver.hooks import ContactNotice
from chatserver.notify import Notifier
from chatserver.notify.service import QUEUE_LIMIT
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed, intake, login, receive_until, seed_directory
from tests.notify.fake_services import FakeServices
from tests.notify.keys import Browser

WS = {"origin": ORIGIN}
NAME = "Petra Patient"
COMPLAINT = "Jag har haft ont i halsen i fyra dagar och vill ha råd."
STAFF_WORDS = "Hej Petra, beskriv gärna febern"
PHONE = "070-123 45 67"


@pytest.fixture
def fake() -> Iterator[FakeServices]:
    with FakeServices() as f:
        yield f


@pytest.fixture
def settings(tmp_path: Path, fake: FakeServices) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        push_allowed_hosts=(fake.url,),
        sms_gateway_url=f"{fake.url}/sms",
        sms_gateway_user="elks-user",
        sms_gateway_password="elks-secret",  # type: ignore[arg-type]
        sms_gateway_from="Vardchatt",
    )


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure("debug", stream=stream)
    yield stream
    structlog.reset_defaults()


@pytest.fixture
def app_client(settings: Settings, seed: Seed, log_lines: io.StringIO) -> Iterator[TestClient]:
    with TestClient(create_app(settings), headers={"origin": ORIGIN}) as c:
        yield c


def idle(c: TestClient) -> None:
    """Wait until the notifier has handled every notice so far."""
    notifier = c.app.state.chat.extensions.get(Notifier)  # type: ignore[attr-defined]
    c.portal.call(notifier.idle)  # type: ignore[union-attr]


def subscribe(c: TestClient, token: str, endpoint: str, browser: Browser) -> Any:
    return c.post(
        "/api/push/subscriptions",
        json=browser.subscription(endpoint),
        headers={"authorization": f"Bearer {token}"},
    )


def rows(settings: Settings, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(settings.sqlite_path)
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def test_patient_away_is_told_of_pick_message_and_close(
    app_client: TestClient,
    seed: Seed,
    fake: FakeServices,
    settings: Settings,
    log_lines: io.StringIO,
) -> None:
    """Pick, message and close each reach the away patient's browser, encrypted,
    with no text or name; the SMS goes at the pick; both are gone after close."""
    c = app_client
    contact = intake(c, phone=PHONE)
    token = contact["patient_token"]
    browser = Browser()
    endpoint = f"{fake.url}/push/patient-1"
    r = subscribe(c, token, endpoint, browser)
    assert (r.status_code, r.json()) == (201, {"status": "subscribed"})
    assert rows(settings, "SELECT phone FROM contact_phones") == [("+46701234567",)]

    login(c, seed["nurse1"])
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        receive_until(s, "welcome")
        s.send_json({"type": "pick"})
        cid = receive_until(s, "assigned")["contact"]["contact_id"]
        s.send_json({"type": "message", "client_id": "s-1", "body": STAFF_WORDS, "contact_id": cid})
        receive_until(s, "ack")
        idle(c)
        s.send_json({"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"})
        receive_until(s, "closed")
    idle(c)

    pushes = fake.at("/push/patient-1")
    assert [browser.decrypt(p.body) for p in pushes] == [
        b'{"type":"picked","url":"/"}',
        b'{"type":"message","url":"/"}',
        b'{"type":"closed","url":"/"}',
    ]
    first = pushes[0].headers
    assert (first["content-encoding"], first["ttl"], first["urgency"]) == (
        "aes128gcm",
        "3600",
        "normal",
    )
    assert first["authorization"].startswith("vapid t=")
    key = c.get("/api/push/key").json()["public_key"]
    assert first["authorization"].endswith(f", k={key}")

    (sms,) = fake.at("/sms")
    assert (
        sms.headers["authorization"]
        == "Basic " + base64.b64encode(b"elks-user:elks-secret").decode()
    )
    form = dict(pair.split("=", 1) for pair in sms.body.decode().split("&"))
    assert (form["from"], form["to"]) == ("Vardchatt", "%2B46701234567")
    for secret in ("Petra", "halsen", "feber"):
        assert secret not in sms.body.decode()

    metrics = c.get("/metrics").text
    for line in (
        'chat_notifications_total{channel="push",kind="picked",result="delivered"} 1.0',
        'chat_notifications_total{channel="push",kind="message",result="delivered"} 1.0',
        'chat_notifications_total{channel="push",kind="closed",result="delivered"} 1.0',
        'chat_notifications_total{channel="sms",kind="picked",result="delivered"} 1.0',
    ):
        assert line in metrics
    # Closed: the number and the subscription are deleted.
    assert rows(settings, "SELECT * FROM contact_phones") == []
    assert rows(settings, "SELECT * FROM push_subscriptions") == []
    # Nothing that identifies the patient or the browser went into the log.
    text = log_lines.getvalue()
    assert '"event": "push_sent"' in text or '"push_sent"' in text
    for secret in (endpoint, "patient-1", "+46701234567", "701234567", token, NAME, STAFF_WORDS):
        assert secret not in text


def test_patient_with_an_open_socket_gets_no_push(
    app_client: TestClient, seed: Seed, fake: FakeServices
) -> None:
    """A patient looking at the chat is not notified of the pick or a message."""
    c = app_client
    contact = intake(c)
    assert (
        subscribe(c, contact["patient_token"], f"{fake.url}/push/here", Browser()).status_code
        == 201
    )
    login(c, seed["nurse1"])
    with (
        c.websocket_connect("/ws/patient", headers=WS) as p,
        c.websocket_connect("/ws/staff", headers=WS) as s,
    ):
        p.send_json({"type": "hello", "token": contact["patient_token"], "last_seq": 0})
        receive_until(p, "welcome")
        receive_until(s, "welcome")
        s.send_json({"type": "pick"})
        cid = receive_until(s, "assigned")["contact"]["contact_id"]
        s.send_json({"type": "message", "client_id": "s-1", "body": "Hej", "contact_id": cid})
        receive_until(s, "ack")
        receive_until(p, "message")
        idle(c)
    assert fake.at("/push/here") == []
    assert fake.at("/sms") == []


def test_gone_subscription_is_deleted(
    app_client: TestClient, seed: Seed, fake: FakeServices, settings: Settings
) -> None:
    """A 410 from the push service deletes the subscription; others stay."""
    c = app_client
    contact = intake(c)
    fake.status["/push/old"] = 410
    subscribe(c, contact["patient_token"], f"{fake.url}/push/old", Browser())
    subscribe(c, contact["patient_token"], f"{fake.url}/push/new", Browser())
    login(c, seed["nurse1"])
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        receive_until(s, "welcome")
        s.send_json({"type": "pick"})
        receive_until(s, "assigned")
        idle(c)
    assert (len(fake.at("/push/old")), len(fake.at("/push/new"))) == (1, 1)
    assert 'kind="picked",result="gone"} 1.0' in c.get("/metrics").text
    assert rows(settings, "SELECT endpoint FROM push_subscriptions") == [(f"{fake.url}/push/new",)]


def test_staff_away_are_told_of_a_red_flag_arrival(
    app_client: TestClient, seed: Seed, fake: FakeServices, settings: Settings
) -> None:
    """An urgent contact reaches the unit's staff without a socket, only them."""
    c = app_client
    csrf = login(c, seed["nurse1"])
    nurse = Browser()
    r = c.post(
        "/api/push/subscriptions",
        json=nurse.subscription(f"{fake.url}/push/nurse1"),
        headers={"x-csrf-token": csrf},
    )
    assert r.status_code == 201, r.text
    cookies = dict(c.cookies)
    c.cookies.clear()
    # A standard contact: nobody is told.
    intake(c)
    idle(c)
    assert fake.at("/push/nurse1") == []
    # Chest pressure and breathlessness: a red flag (acknowledged emergency or urgent).
    text = "Jag har tryck över bröstet och andfåddhet sedan en timme."
    urgent = intake(c, age=70, text=text)
    if urgent["status"] == "emergency":
        intake(c, contact_id=urgent["contact_id"], acknowledge_emergency=True, age=70, text=text)
    idle(c)
    (push,) = fake.at("/push/nurse1")
    assert orjson.loads(nurse.decrypt(push.body)) == {"type": "red_flag", "url": "/staff"}
    assert push.headers["urgency"] == "high"
    # Signed out: the subscription goes with the session.
    c.cookies.update(cookies)
    assert c.post("/api/staff/logout", headers={"x-csrf-token": csrf}).status_code == 200
    assert rows(settings, "SELECT * FROM push_subscriptions") == []


def test_staff_with_an_open_socket_or_another_unit_are_not_told(
    app_client: TestClient, seed: Seed, fake: FakeServices
) -> None:
    """A nurse with the dashboard open, and one of another unit, get nothing."""
    c = app_client
    csrf = login(c, seed["nurse1"])
    c.post(
        "/api/push/subscriptions",
        json=Browser().subscription(f"{fake.url}/push/nurse1"),
        headers={"x-csrf-token": csrf},
    )
    text = "Jag har tryck över bröstet och andfåddhet sedan en timme."
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        receive_until(s, "welcome")
        first = intake(c, age=70, text=text, acknowledge_emergency=True)
        assert (first["status"], first["triage"]["level"]) == ("queued", "emergency")
        idle(c)
    assert fake.at("/push/nurse1") == []
    intake(c, unit_id="hc2", age=70, text=text, acknowledge_emergency=True)
    idle(c)
    assert fake.at("/push/nurse1") == []


def test_failures_are_logged_without_endpoint_or_number(
    app_client: TestClient, seed: Seed, fake: FakeServices, log_lines: io.StringIO
) -> None:
    """A 500 from the push service and the gateway: warnings with the status only;
    the subscription stays (only 404/410 delete it)."""
    c = app_client
    fake.status["/push/busy"] = 500
    fake.status["/sms"] = 503
    contact = intake(c, phone="+46 73 123 45 67")
    subscribe(c, contact["patient_token"], f"{fake.url}/push/busy", Browser())
    login(c, seed["nurse1"])
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        receive_until(s, "welcome")
        s.send_json({"type": "pick"})
        receive_until(s, "assigned")
        idle(c)
    lines = [orjson.loads(line) for line in log_lines.getvalue().splitlines()]
    failed = {
        line["event"]: line for line in lines if line["event"] in ("push_failed", "sms_failed")
    }
    assert (failed["push_failed"]["status"], failed["push_failed"]["kind"]) == (500, "picked")
    assert failed["push_failed"]["subscription_deleted"] is False
    assert failed["sms_failed"]["status"] == 503
    text = log_lines.getvalue()
    for secret in ("/push/busy", "731234567", contact["patient_token"]):
        assert secret not in text


def test_a_full_queue_drops_the_notice(settings: Settings) -> None:
    """Past QUEUE_LIMIT waiting notices, a new one is dropped (the flow never waits)."""
    notifier = create_app(settings).state.chat.extensions.get(Notifier)
    # Built, not started: no worker takes notices off the queue.
    for _ in range(QUEUE_LIMIT + 3):
        notifier(ContactNotice("message", "c1", "hc1"))
    assert notifier.queue.qsize() == QUEUE_LIMIT


def test_unreachable_push_service_and_gateway(tmp_path: Path, log_lines: io.StringIO) -> None:
    """A refused connection is logged by its error name; the notice is done."""
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens on loopback
    settings = Settings(
        data_dir=tmp_path / "data",
        push_allowed_hosts=(closed,),
        sms_gateway_url=f"{closed}/sms",
        push_timeout_s=2,
    )
    seed = asyncio.run(seed_directory(settings))
    with TestClient(create_app(settings), headers={"origin": ORIGIN}) as c:
        contact = intake(c, phone="0701234567")
        assert (
            subscribe(c, contact["patient_token"], f"{closed}/push/x", Browser()).status_code == 201
        )
        login(c, seed["nurse1"])
        with c.websocket_connect("/ws/staff", headers=WS) as s:
            receive_until(s, "welcome")
            s.send_json({"type": "pick"})
            receive_until(s, "assigned")
            idle(c)
    lines = [orjson.loads(line) for line in log_lines.getvalue().splitlines()]
    failed = {line["event"]: line for line in lines if line["event"].endswith("_failed")}
    assert (failed["push_failed"]["status"], failed["push_failed"]["error"]) == (
        None,
        "ConnectError",
    )
    assert (failed["sms_failed"]["status"], failed["sms_failed"]["error"]) == (None, "ConnectError")


def test_expired_staff_session_gets_no_push_and_loses_its_subscription(
    settings: Settings, seed: Seed, fake: FakeServices
) -> None:
    """After the idle timeout the session is gone, and its subscription with it."""
    offset = [0.0]
    app = create_app(settings, clock=lambda: time.time() + offset[0])
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        csrf = login(c, seed["nurse1"])
        r = c.post(
            "/api/push/subscriptions",
            json=Browser().subscription(f"{fake.url}/push/n"),
            headers={"x-csrf-token": csrf},
        )
        assert r.status_code == 201
        c.cookies.clear()
        offset[0] = settings.session_idle_timeout_s + 60.0
        arrival = intake(c, age=70, text="Jag har tryck över bröstet.", acknowledge_emergency=True)
        assert arrival["triage"]["level"] == "emergency"  # a red flag: staff would be told
        idle(c)
    assert fake.at("/push/n") == []
    assert rows(settings, "SELECT * FROM push_subscriptions") == []
