"""The nurse sees who it is (issue 15 point 4): an identified contact's staff
frames carry ``identified``, the method, the personnummer and the age from it;
an anonymous one ``identified: false``; queue rows only ``identified``. Every
personnummer handed to staff is audited as ``personnummer_read``, and
``GET /api/contacts/{id}/identity`` follows the contact read rules."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
import structlog
from starlette.testclient import TestClient

from chatserver import logs
from chatserver.app import create_app
from chatserver.audit.service import AuditUnavailableError
from chatserver.identity.personnummer import parse
from chatserver.identity.store import IdentityStore
from chatserver.settings import Settings
from chatserver.storage.plan import Plan, all_rows
from tests.helpers import ORIGIN, Seed, intake, login, receive_until
from tests.identity.conftest import PNR_CLAIM, Issuer, callback_path
from tests.security.conftest import state_of

PNR = "198112189876"
NAME = "Anna Andersson"
WS = {"origin": ORIGIN}
METHODS = {"bankid", "freja", "eid"}


def _age_today() -> int:
    return parse(PNR).age_on(datetime.now(ZoneInfo("Europe/Stockholm")).date())


def _sign_in(c: TestClient, issuer: Issuer) -> None:
    issuer.set_user("anna", {PNR_CLAIM: PNR, "name": NAME})
    r = c.get("/auth/patient/login")
    assert r.status_code == 302, r.text
    done = c.get(callback_path(issuer.authorize(r.headers["location"], "anna")))
    assert done.status_code == 303, done.text


def _reads() -> Plan[list[tuple[Any, ...]]]:
    rows = yield all_rows(
        "SELECT action, result, actor_user_id, actor_username, unit_id, contact_id, detail"
        " FROM audit_events WHERE action = 'personnummer_read' ORDER BY seq"
    )
    return [tuple(r) for r in rows]


def _personnummer_reads(c: TestClient) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = c.portal.call(state_of(c).storage.read, _reads())  # type: ignore[union-attr]
    return [(*r[:6], json.loads(r[6]).get("via")) for r in found]


def _queue_rows(frame: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["contact_id"]: row for q in frame["queues"] for row in q["contacts"]}


@pytest.fixture
def two_contacts(oidc_client: TestClient, patient_issuer: Issuer) -> tuple[str, str]:
    """An anonymous contact, then one made by Anna signed in with e-legitimation."""
    anonymous = intake(oidc_client)["contact_id"]
    _sign_in(oidc_client, patient_issuer)
    identified = intake(oidc_client)["contact_id"]
    return identified, anonymous


def test_frames_show_who_it_is_and_reads_are_audited(
    oidc_client: TestClient, two_contacts: tuple[str, str], seed: Seed
) -> None:
    c = oidc_client
    identified, anonymous = two_contacts
    nurse = seed["nurse1"]
    login(c, nurse)
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        welcome = s.receive_json()
        rows = _queue_rows(welcome)
        assert rows[identified]["identified"] is True
        assert rows[anonymous]["identified"] is False
        # Queue rows: the flag only, no personnummer, no name change.
        assert PNR not in orjson.dumps(welcome["queues"]).decode()
        assert "personnummer" not in rows[identified]

        s.send_json({"type": "pick", "contact_id": identified})
        contact = receive_until(s, "assigned")["contact"]
        assert contact["identified"] is True
        assert contact["identity_method"] in METHODS
        assert contact["personnummer"] == PNR
        assert contact["age"] == _age_today()
        assert contact["reported_age"] == 40

        s.send_json({"type": "pick", "contact_id": anonymous})
        contact = receive_until(s, "assigned")["contact"]
        assert contact["identified"] is False
        assert "personnummer" not in contact
        assert contact["age"] == 40

    with c.websocket_connect("/ws/staff", headers=WS) as s:
        assigned = {x["contact_id"]: x for x in s.receive_json()["assigned"]}
    assert assigned[identified]["personnummer"] == PNR
    assert assigned[identified]["identified"] is True
    assert assigned[anonymous]["identified"] is False
    assert "personnummer" not in assigned[anonymous]

    # One event per personnummer handed out, none for the anonymous contact.
    assert _personnummer_reads(c) == [
        ("personnummer_read", "ok", nurse.id, "nurse1", "hc1", identified, "pick"),
        ("personnummer_read", "ok", nurse.id, "nurse1", "hc1", identified, "welcome"),
    ]


def test_a_queue_push_marks_an_identified_arrival_from_the_start(
    oidc_client: TestClient, patient_issuer: Issuer, seed: Seed
) -> None:
    """The intake is bound before it is announced: the first push already says so."""
    c = oidc_client
    login(c, seed["nurse1"])
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        s.receive_json()
        anonymous = intake(c)["contact_id"]
        while anonymous not in (rows := _queue_rows(receive_until(s, "queues"))):
            pass
        assert rows[anonymous]["identified"] is False
        _sign_in(c, patient_issuer)
        identified = intake(c)["contact_id"]
        while identified not in (rows := _queue_rows(push := receive_until(s, "queues"))):
            pass
        assert rows[identified]["identified"] is True
        assert PNR not in orjson.dumps(push).decode()
        assert NAME not in orjson.dumps(push).decode()


def test_identity_endpoint_follows_the_contact_read_rules(
    oidc_client: TestClient, two_contacts: tuple[str, str], seed: Seed
) -> None:
    c = oidc_client
    identified, anonymous = two_contacts
    path = f"/api/contacts/{identified}/identity"
    assert c.get(path).json()["error"]["code"] == "not_authenticated"

    login(c, seed["nurse_hc2"])  # another unit: as if it did not exist
    r = c.get(path)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_contact")
    login(c, seed["manager1"])  # no clinical role
    r = c.get(path)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")

    nurse = seed["nurse1"]
    login(c, nurse)
    r = c.get("/api/contacts/no-such-contact/identity")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_contact")
    r = c.get(f"/api/contacts/{anonymous}/identity")
    assert r.status_code == 200
    assert r.json() == {"identified": False}
    r = c.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body.pop("identity_method") in METHODS
    assert body == {"identified": True, "personnummer": PNR, "name": NAME, "age": _age_today()}

    reads = _personnummer_reads(c)
    assert reads[-1] == (
        "personnummer_read",
        "ok",
        nurse.id,
        "nurse1",
        "hc1",
        identified,
        "identity",
    )
    refused = [(r[1], r[3], r[5]) for r in reads if r[1] != "ok"]
    assert refused == [
        ("unknown_contact", "nurse_hc2", identified),
        ("forbidden", "manager1", identified),
        ("unknown_contact", "nurse1", "no-such-contact"),
    ]
    assert sum(1 for r in reads if r[1] == "ok") == 1  # the anonymous read hands out nothing


def test_a_read_that_cannot_be_audited_hands_out_nothing(
    oidc_client: TestClient, two_contacts: tuple[str, str], seed: Seed
) -> None:
    """Audit down: the welcome withholds the personnummer (still ``identified``),
    and the endpoint answers the audit error instead of the number."""
    c = oidc_client
    identified, _ = two_contacts
    login(c, seed["nurse1"])
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        s.receive_json()
        s.send_json({"type": "pick", "contact_id": identified})
        receive_until(s, "assigned")
    state = state_of(c)
    recorder = state.hooks.audit

    async def refuse_personnummer(*args: Any, **kwargs: Any) -> None:
        if args[2] == "personnummer_read":
            raise AuditUnavailableError("audit_unavailable", "the audit log cannot be written")
        await recorder(*args, **kwargs)

    state.hooks.audit = refuse_personnummer
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        (contact,) = s.receive_json()["assigned"]
    assert contact["identified"] is True
    assert contact["personnummer"] is None
    r = c.get(f"/api/contacts/{identified}/identity")
    assert r.status_code >= 500
    assert PNR not in r.text


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure("debug", stream=stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()


def test_no_personnummer_in_the_logs(
    captured: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    oidc_client: TestClient,
    two_contacts: tuple[str, str],
    seed: Seed,
) -> None:
    c = oidc_client
    identified, _ = two_contacts
    login(c, seed["nurse1"])
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        s.receive_json()
        s.send_json({"type": "pick", "contact_id": identified})
        assert receive_until(s, "assigned")["contact"]["personnummer"] == PNR
    assert c.get(f"/api/contacts/{identified}/identity").json()["personnummer"] == PNR
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        assert s.receive_json()["assigned"][0]["personnummer"] == PNR
    text = captured.getvalue() + caplog.text
    assert "personnummer_read" in text or "ws_open" in text  # the logs were captured
    for form in (PNR, PNR[2:], f"{PNR[:8]}-{PNR[8:]}", f"{PNR[2:8]}-{PNR[8:]}", NAME):
        assert form not in text
    details = [str(r[6]) for r in _personnummer_reads(c)]
    assert all(PNR not in d for d in details)


def test_without_identity_configured_every_contact_is_anonymous(
    settings: Settings, seed: Seed
) -> None:
    """No patient issuer: even a contact bound earlier shows ``identified: false``
    (nothing is read), and the endpoint answers the same."""
    with TestClient(create_app(settings), headers={"origin": ORIGIN}) as c:
        contact = intake(c)["contact_id"]
        store = IdentityStore(state_of(c).storage)
        c.portal.call(store.bind, contact, parse(PNR), NAME, "bankid", 0.0)  # type: ignore[union-attr]
        login(c, seed["nurse1"])
        with c.websocket_connect("/ws/staff", headers=WS) as s:
            assert _queue_rows(s.receive_json())[contact]["identified"] is False
            s.send_json({"type": "pick", "contact_id": contact})
            picked = receive_until(s, "assigned")["contact"]
        assert picked["identified"] is False
        assert "personnummer" not in picked
        assert c.get(f"/api/contacts/{contact}/identity").json() == {"identified": False}
        assert _personnummer_reads(c) == []
