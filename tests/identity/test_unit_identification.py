"""Per-unit patient identification (migration 0012), the ``identification`` of
``GET /api/units``, ``GET /api/auth/methods``, and the e-legitimation carried
from the sign-in to the contact, against a real OIDC provider process."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from chatserver.app import create_app, open_storage
from chatserver.identity.patient_api import unit_identification
from chatserver.identity.store import ContactIdentity, IdentityStore
from chatserver.settings import Settings
from chatserver.storage.directory import set_unit_identification
from chatserver.storage.plan import Plan, value
from tests.helpers import ORIGIN, Seed, intake_body
from tests.identity.conftest import PNR_CLAIM, PUBLIC_URL, Issuer, callback_path, oidc_settings
from tests.security.conftest import state_of

PNR = "198112189876"


def _set(settings: Settings, unit_id: str, identification: str | None) -> None:
    """Set a unit's identification in the database, as the command line does."""

    async def run() -> None:
        storage = open_storage(settings)
        await storage.open()
        try:
            assert await storage.write(set_unit_identification(unit_id, identification))
        finally:
            await storage.close()

    asyncio.run(run())


def _client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings), headers={"origin": ORIGIN}, follow_redirects=False)


def _contacts() -> Plan[int]:
    n = yield value("SELECT COUNT(*) FROM contacts")
    return int(n)


def _count(c: TestClient) -> int:
    found: int = c.portal.call(state_of(c).storage.read, _contacts())  # type: ignore[union-attr]
    return found


def _post(c: TestClient, unit_id: str) -> tuple[int, Any]:
    r = c.post("/api/contacts", json=intake_body(unit_id=unit_id))
    return r.status_code, r.json()


def _modes(c: TestClient) -> dict[str, str]:
    r = c.get("/api/units")
    assert r.status_code == 200, r.text
    return {u["id"]: u["identification"] for u in r.json()}


def _sign_in(c: TestClient, issuer: Issuer, sub: str) -> None:
    r = c.get("/auth/patient/login")
    assert r.status_code == 302, r.text
    done = c.get(callback_path(issuer.authorize(r.headers["location"], sub)))
    assert done.status_code == 303, done.text


def _identity_of(c: TestClient, contact_id: str) -> ContactIdentity | None:
    store = IdentityStore(state_of(c).storage)
    found: ContactIdentity | None = c.portal.call(store.identity_of, contact_id)  # type: ignore[union-attr]
    return found


@pytest.fixture
def configured(settings: Settings, patient_issuer: Issuer, staff_issuer: Issuer) -> Settings:
    return oidc_settings(settings, patient_issuer.url, staff_issuer.url)


@pytest.mark.parametrize(
    ("unit_setting", "default", "mode"),
    [
        (None, "optional", "optional"),
        (None, "required", "required"),
        ("required", "optional", "required"),
        ("optional", "required", "optional"),
        ("optional", "optional", "optional"),
        ("required", "required", "required"),
    ],
)
def test_a_units_setting_overrides_the_global_one(
    unit_setting: str | None, default: str, mode: str
) -> None:
    assert unit_identification(unit_setting, default) == mode


def test_required_unit_refuses_anonymous_intake(
    configured: Settings, seed: Seed, patient_issuer: Issuer
) -> None:
    """Global optional, hc2 required: anonymous to hc2 is 401 and stores nothing,
    anonymous to hc1 is taken, a signed-in patient reaches hc2 and is bound."""
    _set(configured, "hc2", "required")
    patient_issuer.set_user("anna-u", {PNR_CLAIM: PNR, "name": "Anna Andersson"})
    with _client(configured) as c:
        assert _modes(c) == {"hc1": "optional", "hc2": "required"}
        status, body = _post(c, "hc2")
        assert (status, body["error"]["code"]) == (401, "identification_required")
        assert _count(c) == 0
        status, body = _post(c, "hc1")
        assert status == 201, body
        assert _identity_of(c, body["contact_id"]) is None
        _sign_in(c, patient_issuer, "anna-u")
        status, body = _post(c, "hc2")
        assert status == 201, body
        assert _identity_of(c, body["contact_id"]) is not None


def test_optional_unit_takes_anonymous_when_required_globally(
    configured: Settings, seed: Seed
) -> None:
    """Global required, hc2 optional: anonymous to hc2 is taken, to hc1 refused."""
    _set(configured, "hc2", "optional")
    with _client(configured.model_copy(update={"patient_identification": "required"})) as c:
        assert _modes(c) == {"hc1": "required", "hc2": "optional"}
        status, body = _post(c, "hc2")
        assert status == 201, body
        status, body = _post(c, "hc1")
        assert (status, body["error"]["code"]) == (401, "identification_required")
        assert _count(c) == 1


def test_back_to_the_global_setting(configured: Settings, seed: Seed) -> None:
    """``default`` (NULL) follows CHATSERVER_PATIENT_IDENTIFICATION again."""
    _set(configured, "hc2", "required")
    _set(configured, "hc2", None)
    with _client(configured) as c:
        assert _modes(c) == {"hc1": "optional", "hc2": "optional"}
        assert _post(c, "hc2")[0] == 201


def test_unknown_unit_is_404_before_identification(configured: Settings, seed: Seed) -> None:
    with _client(configured.model_copy(update={"patient_identification": "required"})) as c:
        status, body = _post(c, "nowhere")
        assert (status, body["error"]["code"]) == (404, "unknown_unit")


def test_without_patient_issuer_units_say_none(client: TestClient) -> None:
    assert _modes(client) == {"hc1": "none", "hc2": "none"}


def test_required_unit_without_patient_issuer_does_not_start(
    settings: Settings, seed: Seed
) -> None:
    """No patient issuer and a unit that requires identification: no start."""
    _set(settings, "hc2", "required")
    with pytest.raises(ValueError, match="hc2 require patient identification"), _client(settings):
        pass


def test_required_unit_without_issuer_fails_closed(client: TestClient) -> None:
    """A unit set to required while the service runs without a patient issuer
    takes no anonymous intake (it is never opened up)."""
    storage = state_of(client).storage
    assert client.portal.call(storage.write, set_unit_identification("hc2", "required"))  # type: ignore[union-attr]
    status, body = _post(client, "hc2")
    assert (status, body["error"]["code"]) == (401, "identification_required")
    assert _count(client) == 0
    assert _post(client, "hc1")[0] == 201


def test_auth_methods(
    client: TestClient, oidc_client: TestClient, settings: Settings, patient_issuer: Issuer
) -> None:
    """Public, no-store, and present without any identity settings."""
    r = client.get("/api/auth/methods")
    assert (r.status_code, r.json()) == (200, {"patient": False, "staff": False})
    assert r.headers["cache-control"] == "no-store"
    r = oidc_client.get("/api/auth/methods")
    assert (r.status_code, r.json()) == (200, {"patient": True, "staff": True})
    patient_only = settings.model_copy(
        update={
            "public_url": PUBLIC_URL,
            "patient_oidc_issuer": patient_issuer.url,
            "patient_oidc_client_id": "chat-patient",
            "patient_oidc_client_secret": SecretStr("patient-secret"),
        }
    )
    with _client(patient_only) as c:
        assert c.get("/api/auth/methods").json() == {"patient": True, "staff": False}


@pytest.mark.parametrize(
    ("claims", "method"),
    [
        ({"identityscheme": "sebankid"}, "bankid"),
        ({"https://id.oidc.se/claim/authnProvider": "https://idp.frejaeid.com"}, "freja"),
        ({"acr": "urn:grn:authn:se:bankid:another-device"}, "bankid"),
        ({}, "eid"),
    ],
)
def test_method_reaches_the_contact(
    oidc_client: TestClient, patient_issuer: Issuer, claims: dict[str, Any], method: str
) -> None:
    """The e-legitimation the ID token names is the contact's identity method."""
    sub = f"m-{method}-{len(claims)}"
    patient_issuer.set_user(sub, {PNR_CLAIM: PNR, "name": "Anna Andersson", **claims})
    _sign_in(oidc_client, patient_issuer, sub)
    status, body = _post(oidc_client, "hc1")
    assert status == 201, body
    who = _identity_of(oidc_client, body["contact_id"])
    assert who is not None
    assert who.method == method


def test_refusal_still_gives_112_advice_for_a_red_flag(client: TestClient) -> None:
    """Asking for a sign-in never silences a red flag: the 401 carries the
    emergency triage and advice (from the words or from the screen's answers),
    a benign text only where else to turn, and nothing is stored either way."""
    storage = state_of(client).storage
    assert client.portal.call(storage.write, set_unit_identification("hc2", "required"))  # type: ignore[union-attr]
    urgent = intake_body(unit_id="hc2", text="Jag har kraftig tryckande bröstsmärta och svettas")
    r = client.post("/api/contacts", json=urgent)
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["code"] == "identification_required"
    assert err["triage"]["level"] == "emergency"
    assert err["triage"]["reasons"]
    assert "112" in str(err["advice"])
    assert [a["phone"] for a in err["alternatives"]] == ["112", "1177"]

    screened = client.get("/api/intake/questions?lang=sv&age=40").json()["questions"][0]["id"]
    r = client.post(
        "/api/contacts",
        json={**intake_body(unit_id="hc2"), "answers": {screened: True}},
    )
    assert r.json()["error"]["triage"]["level"] == "emergency"

    benign = client.post("/api/contacts", json=intake_body(unit_id="hc2")).json()["error"]
    assert "triage" not in benign
    assert "advice" not in benign
    assert benign["alternatives"]
    assert _count(client) == 0
