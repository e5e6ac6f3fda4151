"""Per-unit patient identification in the administration API: set on create,
changed and reset with PATCH, validated, refused without a patient issuer,
audited. (Re-collected on PostgreSQL by test_on_postgres.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.state import AppState
from tests.helpers import ORIGIN, Seed

from .util import Clock, sign_in


@pytest.fixture
def broker_client(
    settings: Settings, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> Iterator[TestClient]:
    """A patient issuer is configured (never contacted: no sign-in is started);
    audit events also go to ``audit_log`` (as ``app_client``)."""
    configured = settings.model_copy(
        update={
            "public_url": "http://testserver",
            "patient_oidc_issuer": "https://broker.example.se",
            "patient_oidc_client_id": "chat-patient",
            "patient_oidc_client_secret": SecretStr("patient-secret"),
        }
    )
    app = create_app(configured, clock=clock)
    state: AppState = app.state.chat
    original = state.audit_event

    async def recording(request: Any, user: Any, action: str, **kw: Any) -> None:
        audit_log.append({"action": action, "user": user.username if user else None, **kw})
        await original(request, user, action, **kw)

    state.audit_event = recording  # type: ignore[method-assign]
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        yield c


def _error(r: Any) -> tuple[int, str, Any]:
    body = r.json()["error"]
    return r.status_code, body["code"], body.get("fields")


def _public(c: TestClient, unit_id: str) -> str:
    (unit,) = c.get("/api/units", params={"unit": unit_id}).json()
    return str(unit["identification"])


def test_identification_through_the_admin_api(
    broker_client: TestClient, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> None:
    c = broker_client
    admin = sign_in(c, seed["admin1"], clock)
    r = c.post(
        "/api/admin/units",
        json={"id": "hc9", "name": "Nio", "identification": "required"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    assert r.json()["identification"] == "required"
    assert _public(c, "hc9") == "required"
    r = c.patch("/api/admin/units/hc9", json={"identification": "optional"}, headers=admin)
    assert (r.status_code, r.json()["identification"]) == (200, "optional")
    assert _public(c, "hc9") == "optional"
    # Absent: unchanged; null: back to CHATSERVER_PATIENT_IDENTIFICATION.
    r = c.patch("/api/admin/units/hc9", json={"name": "Nio B"}, headers=admin)
    assert r.json()["identification"] == "optional"
    r = c.patch("/api/admin/units/hc9", json={"identification": None}, headers=admin)
    assert (r.status_code, r.json()["identification"]) == (200, None)
    assert _public(c, "hc9") == "optional"
    r = c.patch("/api/admin/units/hc9", json={"identification": "maybe"}, headers=admin)
    assert _error(r)[:2] == (422, "invalid_field")
    updates = [e["detail"] for e in audit_log if e["action"] == "admin_unit_update"]
    assert updates == [{"identification": "optional"}, {"name": "Nio B"}, {"identification": None}]
    created = [e["detail"] for e in audit_log if e["action"] == "admin_unit_create"]
    assert created[0]["identification"] == "required"


def test_required_needs_a_patient_issuer(app_client: TestClient, seed: Seed, clock: Clock) -> None:
    """Without patient sign-in no patient could reach a required unit: 422."""
    admin = sign_in(app_client, seed["admin1"], clock)
    r = app_client.post(
        "/api/admin/units",
        json={"id": "hc9", "name": "Nio", "identification": "required"},
        headers=admin,
    )
    assert _error(r) == (
        422,
        "invalid_field",
        {"identification": "needs CHATSERVER_PATIENT_OIDC_ISSUER"},
    )
    r = app_client.patch("/api/admin/units/hc1", json={"identification": "required"}, headers=admin)
    assert _error(r)[:2] == (422, "invalid_field")
    r = app_client.patch("/api/admin/units/hc1", json={"identification": "optional"}, headers=admin)
    assert (r.status_code, r.json()["identification"]) == (200, "optional")
    assert _public(app_client, "hc1") == "none"
