"""Sign-in with e-legitimation end to end, against a real OIDC provider process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from chatserver.access.credentials import set_password_by_admin
from chatserver.access.passwords import hash_password
from chatserver.app import create_app
from chatserver.audit import AuditQuery, audit_log_of
from chatserver.identity.login_store import set_hsa_id
from chatserver.settings import Settings
from chatserver.storage.plan import Plan, value
from tests.helpers import ORIGIN, Seed, intake_body
from tests.identity.conftest import PNR_CLAIM, Issuer, callback_path, oidc_settings
from tests.security.conftest import state_of

# Valid numbers (Skatteverket's test series): a personnummer and a samordningsnummer.
PNR = "198112189876"
SAMORDNINGSNUMMER = "198112789873"
HSA_ID = "SE2321000016-1003"


def _start(c: TestClient, path: str) -> str:
    r = c.get(path)
    assert r.status_code == 302, r.text
    return r.headers["location"]


def _sign_in(c: TestClient, issuer: Issuer, side: str, sub: str, query: str = "") -> str:
    """Start at /auth/{side}/login, consent as ``sub``; the callback path to call."""
    return callback_path(issuer.authorize(_start(c, f"/auth/{side}/login{query}"), sub))


def _error(r: object) -> tuple[int, str]:
    status = r.status_code  # type: ignore[attr-defined]
    return status, r.json()["error"]["code"]  # type: ignore[attr-defined]


def _audits(c: TestClient) -> list[tuple[str | None, str, dict[str, object]]]:
    store = audit_log_of(state_of(c)).store
    found = c.portal.call(store.query, AuditQuery(action="oidc_sign_in"))  # type: ignore[union-attr]
    return [
        (e.actor_username, e.result, {k: v for k, v in e.detail.items() if k != "address"})
        for e in found
    ]


def _rows(table: str) -> Plan[int]:
    n = yield value(f"SELECT COUNT(*) FROM {table}")
    return int(n)


def _count(c: TestClient, table: str) -> int:
    return int(c.portal.call(state_of(c).storage.read, _rows(table)))  # type: ignore[union-attr]


def _bind_hsa(c: TestClient, username: str, hsa_id: str) -> None:
    c.portal.call(state_of(c).storage.write, set_hsa_id(username, hsa_id))  # type: ignore[union-attr]


@pytest.fixture
def patient(patient_issuer: Issuer) -> str:
    patient_issuer.set_user("anna", {PNR_CLAIM: PNR, "name": "Anna Andersson"})
    return "anna"


def test_patient_sign_in_then_me(
    oidc_client: TestClient, patient_issuer: Issuer, patient: str
) -> None:
    """A patient signs in and /api/patient/me names them; the cookie is HttpOnly and Lax."""
    c = oidc_client
    assert _error(c.get("/api/patient/me")) == (401, "not_authenticated")
    authorize = _start(c, "/auth/patient/login?return_to=/chat%3Funit%3Dhc1")
    params = parse_qs(urlsplit(authorize).query)
    assert params["code_challenge_method"] == ["S256"]
    assert {"state", "nonce", "code_challenge"} <= params.keys()
    assert params["redirect_uri"] == ["http://testserver/auth/patient/callback"]
    r = c.get(callback_path(patient_issuer.authorize(authorize, patient)))
    assert (r.status_code, r.headers["location"]) == (303, "/chat?unit=hc1")
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    me = c.get("/api/patient/me")
    assert (me.status_code, me.json()) == (
        200,
        {"identified": True, "name": "Anna Andersson", "personnummer": PNR},
    )
    assert _audits(c) == [(None, "ok", {"side": "patient", "method": "eid"})]


def test_samordningsnummer_signs_in(oidc_client: TestClient, patient_issuer: Issuer) -> None:
    """A samordningsnummer (day + 60) is a valid identity."""
    patient_issuer.set_user("sam", {PNR_CLAIM: SAMORDNINGSNUMMER, "name": "Sam Svensson"})
    r = oidc_client.get(_sign_in(oidc_client, patient_issuer, "patient", "sam"))
    assert r.status_code == 303
    assert oidc_client.get("/api/patient/me").json()["personnummer"] == SAMORDNINGSNUMMER


@pytest.mark.parametrize("pnr", ["198112189877", "19811218", None])
def test_invalid_personnummer_stores_nothing(
    oidc_client: TestClient, patient_issuer: Issuer, pnr: str | None
) -> None:
    """A wrong check digit, a short number or no claim: 401 invalid_personnummer, no session."""
    claims: dict[str, object] = {"name": "Bo Berg"}
    if pnr is not None:
        claims[PNR_CLAIM] = pnr
    patient_issuer.set_user("bo", claims)
    r = oidc_client.get(_sign_in(oidc_client, patient_issuer, "patient", "bo"))
    assert _error(r) == (401, "invalid_personnummer")
    assert _count(oidc_client, "patient_sessions") == 0
    assert _audits(oidc_client) == [(None, "invalid_personnummer", {"side": "patient"})]


def test_staff_siths_sign_in(oidc_client: TestClient, staff_issuer: Issuer, seed: Seed) -> None:
    """A SITHS sign-in whose HSA-id is an account's makes a staff session without TOTP."""
    c = oidc_client
    _bind_hsa(c, "nurse1", HSA_ID)
    staff_issuer.set_user("siths-1", {"employeeHsaId": HSA_ID, "name": "Nina Nurse"})
    r = c.get(_sign_in(c, staff_issuer, "staff", "siths-1", "?return_to=/staff"))
    assert (r.status_code, r.headers["location"]) == (303, "/staff")
    assert "SameSite=lax" in r.headers["set-cookie"]
    me = c.get("/api/staff/me")
    assert (me.status_code, me.json()["user"]["username"]) == (200, "nurse1")
    with c.websocket_connect("/ws/staff") as ws:
        assert ws.receive_json()["type"] == "welcome"
    assert _audits(c) == [("nurse1", "ok", {"side": "staff"})]


def test_unknown_hsa_id_is_refused(oidc_client: TestClient, staff_issuer: Issuer) -> None:
    """A SITHS identity that no account has: 403 unknown_account, audited, no session."""
    c = oidc_client
    staff_issuer.set_user("siths-2", {"employeeHsaId": "SE2321000016-9999"})
    r = c.get(_sign_in(c, staff_issuer, "staff", "siths-2"))
    assert _error(r) == (403, "unknown_account")
    assert c.get("/api/staff/me").status_code == 401
    assert _audits(c) == [
        (None, "unknown_account", {"side": "staff", "hsa_id": "SE2321000016-9999"})
    ]


def test_replayed_state_is_refused(
    oidc_client: TestClient, patient_issuer: Issuer, patient: str
) -> None:
    """The callback URL used twice: the second gets 401 invalid_state and no session."""
    c = oidc_client
    callback = _sign_in(c, patient_issuer, "patient", patient)
    assert c.get(callback).status_code == 303
    c.cookies.clear()
    assert _error(c.get(callback)) == (401, "invalid_state")
    assert _count(c, "patient_sessions") == 1
    assert c.get("/api/patient/me").status_code == 401


def test_replayed_code_is_refused(
    oidc_client: TestClient, patient_issuer: Issuer, patient: str
) -> None:
    """A used code with a fresh state: the provider refuses it, 401 sign_in_failed."""
    c = oidc_client
    first = _sign_in(c, patient_issuer, "patient", patient)
    assert c.get(first).status_code == 303
    c.cookies.clear()
    used_code = parse_qs(urlsplit(first).query)["code"][0]
    fresh_state = parse_qs(urlsplit(_start(c, "/auth/patient/login")).query)["state"][0]
    r = c.get("/auth/patient/callback", params={"state": fresh_state, "code": used_code})
    assert _error(r) == (401, "sign_in_failed")
    assert _count(c, "patient_sessions") == 1
    assert _count(c, "oidc_pending") == 0


def test_issuer_mix_up_is_refused(
    oidc_client: TestClient, staff_issuer: Issuer, seed: Seed
) -> None:
    """A staff sign-in's answer delivered to the patient callback: 401 invalid_state."""
    c = oidc_client
    staff_issuer.set_user("siths-3", {"employeeHsaId": HSA_ID})
    callback = _sign_in(c, staff_issuer, "staff", "siths-3")
    r = c.get(callback.replace("/auth/staff/callback", "/auth/patient/callback"))
    assert _error(r) == (401, "invalid_state")
    assert _count(c, "patient_sessions") == 0


def test_provider_error_is_refused(oidc_client: TestClient) -> None:
    """The provider says access_denied: 401 sign_in_failed, audited with the reason."""
    c = oidc_client
    state = parse_qs(urlsplit(_start(c, "/auth/patient/login")).query)["state"][0]
    r = c.get("/auth/patient/callback", params={"state": state, "error": "access_denied"})
    assert _error(r) == (401, "sign_in_failed")
    assert _audits(c) == [
        (None, "sign_in_failed", {"side": "patient", "reason": "provider: access_denied"})
    ]


@pytest.mark.parametrize(
    "return_to",
    ["//evil.example", "/\\evil.example", "https://evil.example/", "\\\\evil", "evil", "/%0a"],
)
def test_open_redirect_is_refused(oidc_client: TestClient, return_to: str) -> None:
    """return_to other than a same-origin path: 422 before anything is stored."""
    r = oidc_client.get("/auth/patient/login", params={"return_to": return_to})
    if return_to == "/%0a":  # percent-encoded stays a harmless path
        assert r.status_code == 302
        return
    assert _error(r) == (422, "invalid_field")
    assert _count(oidc_client, "oidc_pending") == 0


@pytest.fixture
def late_client(
    settings: Settings, seed: Seed, patient_issuer: Issuer, staff_issuer: Issuer
) -> Iterator[TestClient]:
    """The relying party's clock two hours ahead of the provider's."""
    app = create_app(
        oidc_settings(settings, patient_issuer.url, staff_issuer.url),
        clock=lambda: time.time() + 7200,
    )
    with TestClient(app, headers={"origin": ORIGIN}, follow_redirects=False) as c:
        yield c


def test_expired_id_token_is_refused(
    late_client: TestClient, patient_issuer: Issuer, patient: str
) -> None:
    """An ID token whose exp passed (beyond the skew): 401 invalid_id_token, nothing stored."""
    c = late_client
    r = c.get(_sign_in(c, patient_issuer, "patient", patient))
    assert _error(r) == (401, "invalid_id_token")
    assert _count(c, "patient_sessions") == 0
    [(_, result, detail)] = _audits(c)
    assert (result, detail["reason"]) == (
        "invalid_id_token",
        "claims: expired_token: The token is expired",
    )


def test_provider_unreachable(settings: Settings, seed: Seed) -> None:
    """The broker down: 503 identity_unavailable; anonymous intake still works."""
    app = create_app(oidc_settings(settings, "http://127.0.0.1:9", "http://127.0.0.1:9"))
    with TestClient(app, headers={"origin": ORIGIN}, follow_redirects=False) as c:
        r = c.get("/auth/patient/login")
        assert _error(r) == (503, "identity_unavailable")
        assert _error(c.get("/auth/staff/login")) == (503, "identity_unavailable")
        assert c.post("/api/contacts", json=intake_body()).status_code == 201
        assert _audits(c) == [
            (None, "identity_unavailable", {"side": "patient", "step": "login"}),
            (None, "identity_unavailable", {"side": "staff", "step": "login"}),
        ]


def test_not_configured(client: TestClient) -> None:
    """Without the settings the sign-in routes answer 404 and /api/patient/me 401."""
    assert _error(client.get("/auth/patient/login")) == (404, "not_found")
    assert _error(client.get("/auth/staff/callback")) == (404, "not_found")
    assert _error(client.get("/api/patient/me")) == (401, "not_authenticated")


def test_no_secret_in_logs(
    oidc_client: TestClient,
    patient_issuer: Issuer,
    patient: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A sign-in writes neither the personnummer nor a code or state to the logs."""
    callback = _sign_in(oidc_client, patient_issuer, "patient", patient)
    assert oidc_client.get(callback).status_code == 303
    out = capsys.readouterr()
    query = parse_qs(urlsplit(callback).query)
    for secret in (PNR, query["code"][0], query["state"][0]):
        assert secret not in out.out + out.err


def test_sign_in_starts_are_limited(oidc_client: TestClient) -> None:
    """More than 30 sign-ins started a minute from one address: 429 rate_limited."""
    for _ in range(30):
        assert oidc_client.get("/auth/patient/login").status_code == 302
    assert _error(oidc_client.get("/auth/staff/login")) == (429, "rate_limited")
    assert _count(oidc_client, "oidc_pending") == 30


def test_siths_session_is_not_held_for_credential_steps(
    oidc_client: TestClient, staff_issuer: Issuer, seed: Seed
) -> None:
    """An account an admin made or reset must change its password and enrol TOTP
    at a password sign-in; after SITHS nothing is asked (the card is the strong
    authentication): the session works at once, HTTP and socket, and says so."""
    c = oidc_client
    _bind_hsa(c, "nurse1", HSA_ID)
    uid = c.portal.call(state_of(c).storage.get_user_by_username, "nurse1").id  # type: ignore[union-attr]
    assert c.portal.call(  # type: ignore[union-attr]
        state_of(c).storage.write, set_password_by_admin(uid, hash_password("Tillfälligt-lösen-42"))
    )
    staff_issuer.set_user("siths-2", {"employeeHsaId": HSA_ID, "name": "Nina Nurse"})
    r = c.get(_sign_in(c, staff_issuer, "staff", "siths-2", "?return_to=/staff"))
    assert r.status_code == 303
    me = c.get("/api/staff/me").json()
    assert (me["must_change_password"], me["must_enrol_totp"]) == (False, False)
    assert c.get("/api/staff/sessions").status_code == 200
    with c.websocket_connect("/ws/staff") as ws:
        assert ws.receive_json()["type"] == "welcome"
