"""Live answers match /openapi.json: a walk through the happy paths of the
HTTP API (the fuzzer mostly reaches the errors), each answer's status
documented and its body valid against the documented schema."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed, intake_body, login


class Checked:
    """Calls the app and validates each answer against the served document."""

    def __init__(self, client: TestClient, doc: dict[str, Any]) -> None:
        self.client = client
        self.doc = doc
        self.seen: list[tuple[str, str, int]] = []

    def __call__(
        self, method: str, template: str, url: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        response = self.client.request(method, url or template, **kwargs)
        op = self.doc["paths"][template][method.lower()]
        status = str(response.status_code)
        assert status in op["responses"], (method, url, status, response.text)
        documented = op["responses"][status].get("content", {})
        media = response.headers["content-type"].split(";")[0]
        assert media in documented, (method, url, media, list(documented))
        schema = documented[media].get("schema")
        body: dict[str, Any] = {}
        if media.endswith("json"):
            body = response.json()
            validator = jsonschema.Draft202012Validator(
                {**schema, "components": self.doc["components"]}
            )
            errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(body)]
            assert errors == [], (method, url, errors)
        self.seen.append((method, template, response.status_code))
        return body


@pytest.fixture
def app_client(settings: Settings, seed: Seed) -> Any:
    app = create_app(settings)
    with TestClient(app, headers={"origin": ORIGIN}) as client:
        yield client


def test_happy_paths_answer_as_documented(app_client: TestClient, seed: Seed) -> None:
    """Public, patient, staff, admin, audit and statistics answers fit their schemas."""
    client = app_client
    call = Checked(client, client.get("/openapi.json").json())
    call("GET", "/livez")
    call("GET", "/readyz")
    call("GET", "/api/units")
    call("GET", "/api/intake/questions", "/api/intake/questions?lang=en&age=40")
    call("GET", "/api/auth/methods")
    call("GET", "/api/banner")
    queued = call("POST", "/api/contacts", json=intake_body())
    emergency = call(
        "POST", "/api/contacts", json=intake_body(text="Mår dåligt", answers={"suicide_now": True})
    )
    assert emergency["status"] == "emergency"
    contact_id = queued["contact_id"]

    csrf = login(client, seed["admin1"])
    change = {"X-CSRF-Token": csrf}
    call("GET", "/api/staff/me")
    call("GET", "/api/staff/sessions")
    call("GET", "/api/admin/units")
    call("POST", "/api/admin/units", json={"id": "hc9", "name": "Nio"}, headers=change)
    unit = "/api/admin/units/{unit_id}"
    call("PATCH", unit, "/api/admin/units/hc9", json={"name": "Nio N"}, headers=change)
    hours = "/api/admin/units/{unit_id}/hours"
    call("GET", hours, "/api/admin/units/hc9/hours")
    week = {"weekly": {"mon": [["08:00", "12:00"]]}, "intake_stop_min": 15}
    call("PUT", hours, "/api/admin/units/hc9/hours", json=week, headers=change)
    call("DELETE", hours, "/api/admin/units/hc9/hours", headers=change)
    queue = call(
        "POST",
        "/api/admin/units/{unit_id}/queues",
        "/api/admin/units/hc9/queues",
        json={"competence": "doctor", "name": "Läkare"},
        headers=change,
    )
    call(
        "PATCH",
        "/api/admin/queues/{queue_id}",
        f"/api/admin/queues/{queue['id']}",
        json={"max_waiting": 5},
        headers=change,
    )
    canned = "/api/admin/units/{unit_id}/canned"
    call("GET", canned, "/api/admin/units/hc1/canned")
    row = call(
        "POST",
        canned,
        "/api/admin/units/hc1/canned",
        json={"title": "T", "body": "B"},
        headers=change,
    )
    call(
        "DELETE",
        canned + "/{canned_id}",
        f"/api/admin/units/hc1/canned/{row['id']}",
        headers=change,
    )
    banner = call(
        "POST",
        "/api/admin/banners",
        json={"severity": "info", "message_sv": "Hej", "message_en": "Hi"},
        headers=change,
    )
    call("GET", "/api/banner")
    call("GET", "/api/admin/banners")
    call(
        "POST",
        "/api/admin/banners/{banner_id}/end",
        f"/api/admin/banners/{banner['id']}/end",
        headers=change,
    )
    call(
        "PUT",
        "/api/admin/contacts/{contact_id}/legal-hold",
        f"/api/admin/contacts/{contact_id}/legal-hold",
        json={"hold": True, "reason": "tvist"},
        headers=change,
    )
    call("POST", "/api/admin/retention/run", headers=change)
    call("GET", "/api/admin/users")
    nurse2 = seed["nurse2"].id
    user = "/api/admin/users/{user_id}"
    call("PATCH", user, f"/api/admin/users/{nurse2}", json={"display_name": "N2"}, headers=change)
    call(
        "POST",
        user + "/reset-second-factor",
        f"/api/admin/users/{nurse2}/reset-second-factor",
        headers=change,
    )
    texts = "/api/admin/units/{unit_id}/closing-texts"
    call("GET", texts, "/api/admin/units/hc1/closing-texts")
    outcome = texts + "/{outcome}"
    call(
        "PUT",
        outcome,
        "/api/admin/units/hc1/closing-texts/resolved_in_chat",
        json={"sv": "Klart", "en": "Done"},
        headers=change,
    )
    call("DELETE", outcome, "/api/admin/units/hc1/closing-texts/resolved_in_chat", headers=change)
    call("GET", "/api/audit/events", "/api/audit/events?limit=5")
    call("GET", "/api/audit/events", "/api/audit/events?limit=5&format=csv")
    call("GET", "/api/audit/sample", "/api/audit/sample?n=3&seed=7")
    call("GET", "/api/audit/contacts/{contact_id}", f"/api/audit/contacts/{contact_id}")
    call("GET", "/api/audit/verify")
    period = "?from=2026-01-01&to=2026-12-31"
    call("GET", "/api/stats/units")
    call("GET", "/api/stats/channel-shift", "/api/stats/channel-shift" + period)
    call("GET", "/api/stats/operations", "/api/stats/operations" + period)
    call("GET", "/api/stats/triage-safety", "/api/stats/triage-safety" + period)
    call("GET", "/api/stats/tables", "/api/stats/tables" + period)
    call("GET", "/api/stats/now")
    call(
        "GET",
        "/api/stats/export/contacts.{fmt}",
        "/api/stats/export/contacts.json" + period,
    )
    call("GET", "/api/survey/summary", "/api/survey/summary?unit=hc1")
    call(
        "POST",
        "/api/stats/visits",
        json={"rows": [{"date": "2026-03-02", "unit_id": "hc1", "channel": "phone", "count": 3}]},
        headers=change,
    )
    call("POST", "/api/staff/logout", headers=change)

    csrf = login(client, seed["nurse1"])
    change = {"X-CSRF-Token": csrf}
    mine = "/api/units/{unit_id}/canned"
    row = call(
        "POST", mine, "/api/units/hc1/canned", json={"title": "a", "body": "b"}, headers=change
    )
    call("GET", mine, "/api/units/hc1/canned")
    call("DELETE", mine + "/{canned_id}", f"/api/units/hc1/canned/{row['id']}", headers=change)
    call(
        "GET",
        "/api/contacts/{contact_id}/identity",
        f"/api/contacts/{contact_id}/identity",
    )
    call("GET", "/api/contacts/{contact_id}/fhir", f"/api/contacts/{contact_id}/fhir")
    # The documented errors fit too.
    call("GET", "/api/units/{unit_id}/canned", "/api/units/hc2/canned")
    call("GET", "/api/admin/users")
    call("POST", "/api/staff/totp/enrol", headers=change)  # 409: already enrolled
    own = call("GET", "/api/staff/sessions")["sessions"][0]["id"]
    revoked = call(
        "DELETE", "/api/staff/sessions/{session_id}", f"/api/staff/sessions/{own}", headers=change
    )
    assert revoked == {"status": "revoked", "current": True}
    call("POST", "/api/staff/login", json={"username": "nobody", "password": "x"})
    call("GET", "/api/intake/questions", "/api/intake/questions?age=500")
    assert call.seen[-7:] == [
        ("GET", "/api/units/{unit_id}/canned", 404),
        ("GET", "/api/admin/users", 403),
        ("POST", "/api/staff/totp/enrol", 409),
        ("GET", "/api/staff/sessions", 200),
        ("DELETE", "/api/staff/sessions/{session_id}", 200),
        ("POST", "/api/staff/login", 401),
        ("GET", "/api/intake/questions", 422),
    ]
    assert ("POST", "/api/contacts", 200) in call.seen
    assert ("POST", "/api/contacts", 201) in call.seen
