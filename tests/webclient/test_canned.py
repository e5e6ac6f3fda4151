"""Canned responses (snabbsvar) per unit: list, create, delete, access and CSRF."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from chatserver import canned
from tests.helpers import Seed, login


def test_create_list_delete(client: TestClient, seed: Seed) -> None:
    """A nurse adds a canned response, sees it listed, deletes it (then 404)."""
    csrf = login(client, seed["nurse1"])
    r = client.post(
        "/api/units/hc1/canned",
        json={"title": " Egenvård ", "body": "Vila och drick mycket."},
        headers={"x-csrf-token": csrf},
    )
    assert r.status_code == 201
    created = r.json()
    assert (created["unit_id"], created["title"], created["body"]) == (
        "hc1",
        "Egenvård",
        "Vila och drick mycket.",
    )
    listed = client.get("/api/units/hc1/canned").json()["canned"]
    assert [c["id"] for c in listed] == [created["id"]]
    r = client.delete(f"/api/units/hc1/canned/{created['id']}", headers={"x-csrf-token": csrf})
    assert r.status_code == 200
    assert r.json() == {"deleted": created["id"]}
    assert client.get("/api/units/hc1/canned").json() == {"canned": []}
    r = client.delete(f"/api/units/hc1/canned/{created['id']}", headers={"x-csrf-token": csrf})
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_canned"


def test_csrf_required_on_changes(client: TestClient, seed: Seed) -> None:
    """Create and delete without X-CSRF-Token are 403 csrf_failed."""
    login(client, seed["nurse1"])
    r = client.post("/api/units/hc1/canned", json={"title": "a", "body": "b"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"
    r = client.delete("/api/units/hc1/canned/1")
    assert r.status_code == 403


def test_other_unit_and_non_clinical_refused(client: TestClient, seed: Seed) -> None:
    """A nurse of hc1 cannot see hc2's; a manager sees none; signed out is 401."""
    assert client.get("/api/units/hc1/canned").status_code == 401
    login(client, seed["nurse1"])
    r = client.get("/api/units/hc2/canned")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_unit"
    login(client, seed["manager1"])
    assert client.get("/api/units/hc1/canned").status_code == 404


def test_invalid_fields(client: TestClient, seed: Seed) -> None:
    """Empty title, too-long title, missing body → 422 invalid_field naming the field."""
    csrf = login(client, seed["doctor1"])
    h = {"x-csrf-token": csrf}
    cases = [
        ({"title": " ", "body": "b"}, {"title": "1..80"}),
        ({"title": "t" * 81, "body": "b"}, {"title": "1..80"}),
        ({"title": "t"}, {"body": "1..4000"}),
    ]
    for payload, fields in cases:
        r = client.post("/api/units/hc1/canned", json=payload, headers=h)
        assert r.status_code == 422
        assert r.json()["error"]["fields"] == fields


def test_limit_per_unit(client: TestClient, seed: Seed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the per-unit limit a create is 409 canned_limit."""
    csrf = login(client, seed["nurse1"])
    h = {"x-csrf-token": csrf}
    monkeypatch.setattr(canned, "MAX_PER_UNIT", 2)
    for i in range(2):
        r = client.post("/api/units/hc1/canned", json={"title": f"t{i}", "body": "b"}, headers=h)
        assert r.status_code == 201
    r = client.post("/api/units/hc1/canned", json={"title": "t3", "body": "b"}, headers=h)
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "canned_limit"
