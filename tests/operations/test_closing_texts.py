"""Closing texts per unit and outcome: the admin API (defaults, own texts,
validation, audit) and the patient's read of their closed chat's text."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from chatserver.admin.closing_texts import DEFAULTS, MAX_TEXT
from chatserver.core.lifecycle import OUTCOME_ORDER
from tests.helpers import Seed, intake

from .util import Clock, run, sign_in, state_of

BASE = "/api/admin/units/hc1/closing-texts"


def close(client: TestClient, contact_id: str, outcome: str, clock: Clock) -> None:
    state = state_of(client)
    run(
        client,
        state.storage.close_contact,
        contact_id,
        outcome=outcome,
        at=clock(),
        actor_user_id=None,
    )


def test_every_outcome_has_a_default_in_both_languages() -> None:
    """The built-in texts cover exactly the contract's outcomes, each in Swedish and English."""
    assert sorted(DEFAULTS) == sorted(OUTCOME_ORDER)
    for outcome, (sv, en) in DEFAULTS.items():
        assert sv != en, outcome
        assert 0 < len(sv) <= MAX_TEXT, outcome
        assert 0 < len(en) <= MAX_TEXT, outcome


def test_unit_lists_defaults_until_it_writes_its_own(
    app_client: TestClient, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> None:
    """GET lists every outcome (defaults); PUT sets the unit's own text, DELETE restores the
    default; both changes are audited with the outcome only."""
    admin = sign_in(app_client, seed["admin1"], clock)
    r = app_client.get(BASE)
    assert r.status_code == 200
    texts = r.json()["texts"]
    assert [t["outcome"] for t in texts] == list(OUTCOME_ORDER)
    assert texts[1] == {
        "outcome": "physical_visit_booked",
        "sv": DEFAULTS["physical_visit_booked"][0],
        "en": DEFAULTS["physical_visit_booked"][1],
        "custom": False,
        "default_sv": DEFAULTS["physical_visit_booked"][0],
        "default_en": DEFAULTS["physical_visit_booked"][1],
    }
    own = {"sv": " Besök på Storgatan 1, plan 2. ", "en": "Visit at Storgatan 1, floor 2."}
    r = app_client.put(f"{BASE}/physical_visit_booked", json=own, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["sv"], r.json()["en"], r.json()["custom"]) == (
        "Besök på Storgatan 1, plan 2.",
        "Visit at Storgatan 1, floor 2.",
        True,
    )
    listed = {t["outcome"]: t for t in app_client.get(BASE).json()["texts"]}
    assert listed["physical_visit_booked"]["custom"] is True
    assert listed["resolved_in_chat"]["custom"] is False
    other = app_client.get("/api/admin/units/hc2/closing-texts").json()["texts"]
    assert not any(t["custom"] for t in other)
    r = app_client.delete(f"{BASE}/physical_visit_booked", headers=admin)
    assert (r.status_code, r.json()["custom"], r.json()["sv"]) == (
        200,
        False,
        DEFAULTS["physical_visit_booked"][0],
    )
    app_client.delete(f"{BASE}/physical_visit_booked", headers=admin)
    events = [
        (e["action"], e["unit_id"], e["detail"])
        for e in audit_log
        if e["action"].startswith("admin_closing_text")
    ]
    assert events == [
        ("admin_closing_text_set", "hc1", {"outcome": "physical_visit_booked"}),
        (
            "admin_closing_text_default",
            "hc1",
            {"outcome": "physical_visit_booked", "changed": True},
        ),
        (
            "admin_closing_text_default",
            "hc1",
            {"outcome": "physical_visit_booked", "changed": False},
        ),
    ]


def test_bad_closing_text_input_is_a_clear_error(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """Unknown unit or outcome: 404; empty, too long, missing or extra fields,
    control characters: 422 naming the field; a non-admin: 403; no CSRF: 403."""
    admin = sign_in(app_client, seed["admin1"], clock)
    ok = {"sv": "Hej", "en": "Hi"}

    def code(r: Any) -> tuple[int, str]:
        return r.status_code, r.json()["error"]["code"]

    assert code(app_client.get("/api/admin/units/nope/closing-texts")) == (404, "unknown_unit")
    assert code(app_client.put(f"{BASE}/nope", json=ok, headers=admin)) == (404, "unknown_outcome")
    assert code(app_client.delete(f"{BASE}/nope", headers=admin)) == (404, "unknown_outcome")
    assert code(app_client.put(f"{BASE}/phone_callback", json=ok)) == (403, "csrf_failed")
    for body, field in (
        ({"sv": "", "en": "Hi"}, "sv"),
        ({"sv": "Hej", "en": "x" * (MAX_TEXT + 1)}, "en"),
        ({"sv": "Hej"}, "en"),
        ({"sv": "Hej", "en": "Hi", "extra": 1}, "extra"),
        ({"sv": "Hej\x07", "en": "Hi"}, "sv"),
        ({"sv": 5, "en": "Hi"}, "sv"),
    ):
        r = app_client.put(f"{BASE}/phone_callback", json=body, headers=admin)
        assert (r.status_code, list(r.json()["error"]["fields"])) == (422, [field]), body
    r = app_client.put(f"{BASE}/phone_callback", content=b"[]", headers=admin)
    assert code(r) == (422, "invalid_body")
    app_client.post("/api/staff/logout", headers=admin)
    sign_in(app_client, seed["manager1"], clock)
    assert code(app_client.get(BASE)) == (403, "forbidden")


def test_patient_reads_the_text_of_their_closed_chat(
    app_client: TestClient, seed: Seed, clock: Clock
) -> None:
    """With their token the patient gets the outcome and the unit's text (own or default)
    in both languages; not while the chat is open; never without a valid token."""
    admin = sign_in(app_client, seed["admin1"], clock)
    own = {"sv": "Vi ringer dig inom två timmar.", "en": "We call you within two hours."}
    assert app_client.put(f"{BASE}/phone_callback", json=own, headers=admin).status_code == 200
    first, second = intake(app_client), intake(app_client)
    bearer = {"authorization": f"Bearer {first['patient_token']}"}
    r = app_client.get("/api/contacts/closing", headers=bearer)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "contact_open")
    close(app_client, first["contact_id"], "phone_callback", clock)
    close(app_client, second["contact_id"], "resolved_in_chat", clock)
    r = app_client.get("/api/contacts/closing", headers=bearer)
    assert r.json() == {
        "contact_id": first["contact_id"],
        "outcome": "phone_callback",
        "texts": {"sv": own["sv"], "en": own["en"]},
    }
    r = app_client.get(
        "/api/contacts/closing", headers={"authorization": f"Bearer {second['patient_token']}"}
    )
    sv, en = DEFAULTS["resolved_in_chat"]
    assert r.json()["texts"] == {"sv": sv, "en": en}
    for headers in (
        {},
        {"authorization": "Bearer wrong"},
        {"authorization": "Bearer " + "x" * 300},
    ):
        r = app_client.get("/api/contacts/closing", headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (401, "not_authenticated")
    clock.advance(state_of(app_client).settings.patient_token_after_close_s + 1)
    r = app_client.get("/api/contacts/closing", headers=bearer)
    assert r.status_code == 401
