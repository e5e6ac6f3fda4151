"""The identified patient's side, against a real OIDC provider process: the
intake bound to the person, required identification, their contacts with a
fresh token, and their access log (PROTOCOL.md, "Patient and staff sign-in
with e-legitimation")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from chatserver.app import create_app
from chatserver.identity.personnummer import parse
from chatserver.identity.store import ContactIdentity, IdentityStore
from chatserver.settings import Settings
from chatserver.storage.plan import Plan, value
from tests.helpers import ORIGIN, Seed, intake, intake_body, login, receive_until
from tests.identity.conftest import PNR_CLAIM, Issuer, callback_path, oidc_settings
from tests.security.conftest import state_of

PNR = "198112189876"
OTHER_PNR = "198112789873"  # a samordningsnummer: another person
WS = {"origin": ORIGIN}


def _sign_in(c: TestClient, issuer: Issuer, sub: str) -> None:
    r = c.get("/auth/patient/login")
    assert r.status_code == 302, r.text
    done = c.get(callback_path(issuer.authorize(r.headers["location"], sub)))
    assert done.status_code == 303, done.text


def _error(r: Any) -> tuple[int, str]:
    return r.status_code, r.json()["error"]["code"]


def _identity_of(c: TestClient, contact_id: str) -> ContactIdentity | None:
    store = IdentityStore(state_of(c).storage)
    found: ContactIdentity | None = c.portal.call(store.identity_of, contact_id)  # type: ignore[union-attr]
    return found


def _contacts() -> Plan[int]:
    n = yield value("SELECT COUNT(*) FROM contacts")
    return int(n)


def _hello(ws: Any, token: str) -> dict[str, Any]:
    ws.send_json({"type": "hello", "token": token, "last_seq": 0})
    frame: dict[str, Any] = ws.receive_json()
    return frame


@pytest.fixture
def anna(patient_issuer: Issuer) -> str:
    patient_issuer.set_user("anna", {PNR_CLAIM: PNR, "name": "Anna Andersson"})
    return "anna"


@pytest.fixture
def bo(patient_issuer: Issuer) -> str:
    patient_issuer.set_user("bo", {PNR_CLAIM: OTHER_PNR, "name": "Bo Berg"})
    return "bo"


def test_intake_with_a_session_is_bound(
    oidc_client: TestClient, patient_issuer: Issuer, anna: str
) -> None:
    """A signed-in patient's intake is bound to them; an anonymous one is not."""
    c = oidc_client
    anonymous = intake(c)
    _sign_in(c, patient_issuer, anna)
    mine = intake(c)
    who = _identity_of(c, mine["contact_id"])
    assert who is not None
    # The provider names no e-legitimation: the method is unknown.
    assert (who.personnummer, who.name, who.method) == (parse(PNR), "Anna Andersson", "eid")
    assert _identity_of(c, anonymous["contact_id"]) is None


@pytest.fixture
def required_client(
    settings: Settings, seed: Seed, patient_issuer: Issuer, staff_issuer: Issuer
) -> Iterator[TestClient]:
    configured = oidc_settings(settings, patient_issuer.url, staff_issuer.url)
    app = create_app(configured.model_copy(update={"patient_identification": "required"}))
    with TestClient(app, headers={"origin": ORIGIN}, follow_redirects=False) as c:
        yield c


def test_required_identification_refuses_anonymous_intake(
    required_client: TestClient, patient_issuer: Issuer, anna: str
) -> None:
    """With identification required an anonymous intake is 401 and stores nothing."""
    c = required_client
    r = c.post("/api/contacts", json=intake_body())
    assert _error(r) == (401, "identification_required")
    assert c.portal.call(state_of(c).storage.read, _contacts()) == 0  # type: ignore[union-attr]
    _sign_in(c, patient_issuer, anna)
    bound = intake(c)
    assert _identity_of(c, bound["contact_id"]) is not None


def test_required_without_patient_issuer_does_not_start(settings: Settings) -> None:
    """``required`` without a patient issuer stops the service at start."""
    with pytest.raises(ValueError, match="PATIENT_IDENTIFICATION"):
        create_app(settings.model_copy(update={"patient_identification": "required"}))


def test_no_session_is_401(oidc_client: TestClient) -> None:
    assert _error(oidc_client.get("/api/patient/contacts")) == (401, "not_authenticated")
    assert _error(oidc_client.get("/api/patient/access-log")) == (401, "not_authenticated")


def test_contacts_newest_first_with_a_fresh_token(
    oidc_client: TestClient, patient_issuer: Issuer, anna: str, bo: str, seed: Seed
) -> None:
    """The list is the person's own, newest first; the fresh token resumes the
    chat and the old one is refused; a closed contact gets no token."""
    c = oidc_client
    _sign_in(c, patient_issuer, bo)
    intake(c)  # Bo's: not in Anna's list
    _sign_in(c, patient_issuer, anna)
    first = intake(c)
    time.sleep(0.01)
    second = intake(c)
    r = c.get("/api/patient/contacts")
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    listed = r.json()["contacts"]
    assert [x["contact_id"] for x in listed] == [second["contact_id"], first["contact_id"]]
    assert [x["status"] for x in listed] == ["queued", "queued"]
    assert all(x["created_at"].endswith("Z") for x in listed)
    fresh = listed[1]["patient_token"]
    assert fresh != first["patient_token"]

    with c.websocket_connect("/ws/patient", headers=WS) as p:
        welcome = _hello(p, fresh)
        assert welcome["type"] == "welcome"
        assert welcome["contact_id"] == first["contact_id"]
    with (
        c.websocket_connect("/ws/patient", headers=WS) as old,
        pytest.raises(WebSocketDisconnect) as refused,
    ):
        _hello(old, first["patient_token"])
    assert refused.value.code == 4401

    # Closed by a nurse: listed, but no token any more.
    login(c, seed["nurse1"])
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        s.receive_json()
        s.send_json({"type": "pick", "contact_id": second["contact_id"]})
        receive_until(s, "assigned")
        s.send_json(
            {"type": "close", "contact_id": second["contact_id"], "outcome": "resolved_in_chat"}
        )
        receive_until(s, "closed")
    again = c.get("/api/patient/contacts").json()["contacts"]
    assert again[0]["status"] == "closed"
    assert "patient_token" not in again[0]
    assert "patient_token" in again[1]


def test_access_log_shows_staff_not_the_patient(
    oidc_client: TestClient, patient_issuer: Issuer, anna: str, seed: Seed
) -> None:
    """A nurse's pick of the patient's contact is in their access log; the
    patient's own actions (intake, message, listing) are not."""
    c = oidc_client
    _sign_in(c, patient_issuer, anna)
    contact = intake(c)
    assert c.get("/api/patient/access-log").json() == {"entries": []}
    with c.websocket_connect("/ws/patient", headers=WS) as p:
        assert _hello(p, contact["patient_token"])["type"] == "welcome"
        p.send_json({"type": "message", "client_id": "p-1", "body": "Hej"})
        receive_until(p, "ack")
    assert c.get("/api/patient/contacts").status_code == 200
    login(c, seed["nurse1"])
    with c.websocket_connect("/ws/staff", headers=WS) as s:
        s.receive_json()
        s.send_json({"type": "pick", "contact_id": contact["contact_id"]})
        receive_until(s, "assigned")
    r = c.get("/api/patient/access-log")
    assert r.status_code == 200, r.text
    entries = r.json()["entries"]
    assert entries, entries
    assert {e["name"] for e in entries} == {"Nina Nurse"}
    assert {e["contact_id"] for e in entries} == {contact["contact_id"]}
    pick = [e for e in entries if e["action"] == "pick"]
    assert len(pick) == 1
    assert (pick[0]["role"], pick[0]["unit_id"]) == ("nurse", "hc1")
    assert pick[0]["at"].endswith(("Z", "+00:00"))
