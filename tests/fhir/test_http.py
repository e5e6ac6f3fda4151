"""``GET /api/contacts/{contact_id}/fhir`` over a real ``chatserver serve``
process with real WebSocket clients: a whole conversation comes out as a valid
FHIR R4 Bundle, the export is audited, other units' staff get 403, unknown
contacts 404; an identified patient carries the personnummer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app, open_storage
from chatserver.audit.service import AuditUnavailableError
from chatserver.fhir.mapping import HSA_ID_SYSTEM, PERSONNUMMER_SYSTEM
from chatserver.identity.login_store import set_hsa_id
from chatserver.identity.personnummer import parse
from chatserver.identity.store import IdentityStore
from chatserver.settings import Settings
from tests.fhir.validate import assert_bundle_resolves
from tests.helpers import ORIGIN, Seed, intake, login
from tests.identity.conftest import oidc_settings
from tests.live import LiveServer
from tests.realserver.client import (
    http_intake,
    login_cookie,
    open_patient,
    open_staff,
    recv_json,
    recv_until,
    send_json,
)

HSA = "SE2321000016-1003"
PNR = "198112189876"


async def _set_hsa(settings: Settings) -> None:
    storage = open_storage(settings)
    await storage.open()
    try:
        await storage.write(set_hsa_id("nurse1", HSA))
    finally:
        await storage.close()


@pytest.fixture
def live(settings: Settings, seed: Seed) -> Iterator[LiveServer]:
    asyncio.run(_set_hsa(settings))
    with LiveServer(settings.data_dir) as srv:
        yield srv


def _get(srv: LiveServer, path: str, cookie: str) -> httpx.Response:
    return httpx.get(f"{srv.url}{path}", headers={"cookie": cookie}, timeout=10)


def _resources(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


async def _conversation(srv: LiveServer, cookie: str) -> str:
    """Intake, pick, a message each way, close; the contact id."""
    contact = http_intake(srv)
    patient = await open_patient(srv)
    await send_json(patient, {"type": "hello", "token": contact["patient_token"], "last_seq": 0})
    await recv_until(patient, "welcome")
    staff = await open_staff(srv, cookie)
    assert (await recv_json(staff))["type"] == "welcome"
    await send_json(staff, {"type": "pick"})
    cid: str = (await recv_until(staff, "assigned"))["contact"]["contact_id"]
    await send_json(patient, {"type": "message", "client_id": "p1", "body": "Hej, ont i halsen"})
    await recv_until(patient, "ack")
    await send_json(
        staff, {"type": "message", "contact_id": cid, "client_id": "s1", "body": "Hej!"}
    )
    await recv_until(staff, "ack")
    await send_json(staff, {"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"})
    await recv_until(patient, "closed")
    await patient.close()
    await staff.close()
    return cid


async def test_conversation_exports_as_a_valid_bundle(live: LiveServer, seed: Seed) -> None:
    """The closed contact: Patient, unit, the nurse with her HSA-id, a finished
    VR Encounter and the two messages in order; audited as fhir_export."""
    nurse = login_cookie(live, seed["nurse1"])
    cid = await _conversation(live, nurse)
    r = _get(live, f"/api/contacts/{cid}/fhir", nurse)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/fhir+json"
    assert r.headers["cache-control"] == "no-store"
    bundle = r.json()
    assert_bundle_resolves(bundle)
    (patient,) = _resources(bundle, "Patient")
    assert patient["name"] == [{"use": "usual", "text": "Petra Patient"}]
    assert "identifier" not in patient
    (nina,) = _resources(bundle, "Practitioner")
    assert nina["identifier"] == [{"system": HSA_ID_SYSTEM, "value": HSA}]
    (enc,) = _resources(bundle, "Encounter")
    assert (enc["status"], enc["class"]["code"]) == ("finished", "VR")
    assert enc["extension"][0]["valueCoding"]["code"] == "resolved_in_chat"
    comms = _resources(bundle, "Communication")
    assert [c["payload"][0]["contentString"] for c in comms] == ["Hej, ont i halsen", "Hej!"]
    assert bundle == _get(live, f"/api/contacts/{cid}/fhir", nurse).json() | {
        "timestamp": bundle["timestamp"]
    }

    admin = login_cookie(live, seed["admin1"])
    events = _get(live, "/api/audit/events?action=fhir_export", admin).json()["events"]
    assert [(e["actor_username"], e["contact_id"], e["result"], e["detail"]) for e in events] == [
        ("nurse1", cid, "ok", {"address": "127.0.0.1", "via": "http", "identified": False}),
        ("nurse1", cid, "ok", {"address": "127.0.0.1", "via": "http", "identified": False}),
    ]


async def test_refusals_are_audited(live: LiveServer, seed: Seed) -> None:
    """Another unit's nurse: 403; a manager: 403; unknown contact: 404; signed out: 401."""
    cid = http_intake(live)["contact_id"]
    other = login_cookie(live, seed["nurse_hc2"])
    r = _get(live, f"/api/contacts/{cid}/fhir", other)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    manager = login_cookie(live, seed["manager1"])
    r = _get(live, f"/api/contacts/{cid}/fhir", manager)
    assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
    nurse = login_cookie(live, seed["nurse1"])
    r = _get(live, "/api/contacts/nope/fhir", nurse)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_contact")
    r = _get(live, f"/api/contacts/{'x' * 500}/fhir", nurse)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_contact")
    r = httpx.get(f"{live.url}/api/contacts/{cid}/fhir", timeout=10)
    assert r.status_code == 401
    admin = login_cookie(live, seed["admin1"])
    events = _get(live, "/api/audit/events?action=fhir_export", admin).json()["events"]
    assert [(e["actor_username"], e["contact_id"], e["result"]) for e in events] == [
        ("nurse_hc2", cid, "forbidden"),
        ("manager1", cid, "forbidden"),
        ("nurse1", "nope", "unknown_contact"),
        ("nurse1", "x" * 64, "unknown_contact"),
    ]


def test_identified_patient_carries_the_personnummer(settings: Settings, seed: Seed) -> None:
    """A contact bound to a verified person: the Patient has the personnummer
    identifier and the verified name; the export is audited as identified and
    the number's delivery as personnummer_read; unauditable, nothing leaves."""
    app = create_app(oidc_settings(settings, "http://127.0.0.1:9/p", "http://127.0.0.1:9/s"))
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        cid = intake(c)["contact_id"]
        state = app.state.chat
        assert c.portal is not None
        bound = c.portal.call(
            IdentityStore(state.storage).bind, cid, parse(PNR), "Anna Andersson", "bankid", 0.0
        )
        assert bound is True
        login(c, seed["doctor1"])
        r = c.get(f"/api/contacts/{cid}/fhir")
        assert r.status_code == 200, r.text
        bundle = r.json()
        assert_bundle_resolves(bundle)
        (patient,) = _resources(bundle, "Patient")
        assert patient["identifier"] == [{"system": PERSONNUMMER_SYSTEM, "value": PNR}]
        assert patient["name"] == [{"use": "official", "text": "Anna Andersson"}]
        (enc,) = _resources(bundle, "Encounter")
        assert (enc["status"], "participant" in enc) == ("triaged", False)
        assert _resources(bundle, "Communication") == []
        state = app.state.chat
        recorder = state.hooks.audit

        async def refuse_personnummer(*args: Any, **kwargs: Any) -> None:
            if args[2] == "personnummer_read":
                raise AuditUnavailableError("audit_unavailable", "the audit log cannot be written")
            await recorder(*args, **kwargs)

        state.hooks.audit = refuse_personnummer
        r = c.get(f"/api/contacts/{cid}/fhir")
        assert (r.status_code, r.json()["error"]["code"]) == (503, "audit_unavailable")
        assert PNR not in r.text
        state.hooks.audit = recorder
        login(c, seed["admin1"])
        events = c.get(f"/api/audit/events?contact={cid}").json()["events"]
        got = [(e["action"], e["actor_username"], e["detail"].get("via")) for e in events]
        assert got == [
            ("fhir_export", "doctor1", "http"),
            ("personnummer_read", "doctor1", "fhir"),
            ("fhir_export", "doctor1", "http"),
        ]
        assert [e["detail"].get("identified") for e in events[::2]] == [True, True]
