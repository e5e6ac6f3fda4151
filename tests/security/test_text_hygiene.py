"""Text hygiene (issue 20, point 9): control characters refused, bidi overrides
removed, something visible required, in every text people type."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from chatserver.survey import parse_answer
from chatserver.text_hygiene import UnsafeText, checked, clean
from tests.helpers import ORIGIN, Seed, intake_body, login, receive_until
from tests.security.conftest import state_of

WS = {"origin": ORIGIN}
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
RLO = "\u202e"


@pytest.mark.parametrize(
    ("text", "multiline", "expected"),
    [
        ("Petra", False, "Petra"),
        ("rad ett\n\trad två", True, "rad ett\n\trad två"),
        ("a\r\nb\rc", True, "a\nb\nc"),
        (f"fil{RLO}txt.exe", False, "filtxt.exe"),
        ("\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202dok", False, "ok"),
        ("مرحبا", False, "مرحبا"),
        ("Åsa 😀", False, "Åsa 😀"),
    ],
)
def test_clean_keeps_or_fixes(text: str, multiline: bool, expected: str) -> None:
    assert clean(text, multiline=multiline) == expected


@pytest.mark.parametrize(
    ("text", "multiline", "reason"),
    [
        ("a\x00b", True, "contains a control character"),
        ("a\x1bb", True, "contains a control character"),
        ("a\x7f", True, "contains a control character"),
        ("a\x85", True, "contains a control character"),
        ("a\nb", False, "contains a control character"),
        ("a\tb", False, "contains a control character"),
        (ZERO_WIDTH, False, "has no visible character"),
        (" \n\t ", True, "has no visible character"),
        ("\u3164\u2800", False, "has no visible character"),
        (RLO, False, "has no visible character"),
        ("\u0301", False, "has no visible character"),
    ],
)
def test_clean_refuses(text: str, multiline: bool, reason: str) -> None:
    with pytest.raises(UnsafeText) as refused:
        clean(text, multiline=multiline)
    assert refused.value.reason == reason
    with pytest.raises(Exception) as http:  # noqa: PT011 - the InvalidInput
        checked(text, "name", multiline=multiline)
    assert getattr(http.value, "fields", None) == {"name": reason}


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", ZERO_WIDTH), ("name", "Pe\x00tra"), ("text", "   \n  "), ("text", "ont\x07")],
)
def test_intake_refuses(client: TestClient, field: str, value: str) -> None:
    r = client.post("/api/contacts", json=intake_body(**{field: value}))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_field"
    assert field in error["fields"]


def test_intake_strips_bidi_overrides(client: TestClient) -> None:
    r = client.post("/api/contacts", json=intake_body(name=f"Petra{RLO} Patient"))
    assert r.status_code == 201
    contact = client.portal.call(state_of(client).storage.get_contact, r.json()["contact_id"])  # type: ignore[union-attr]
    assert contact is not None
    assert contact.name == "Petra Patient"


def _patient_sends(client: TestClient, body: str) -> dict[str, Any]:
    r = client.post("/api/contacts", json=intake_body())
    with client.websocket_connect("/ws/patient", headers=WS) as p:
        p.send_json({"type": "hello", "token": r.json()["patient_token"], "last_seq": 0})
        receive_until(p, "welcome")
        p.send_json({"type": "message", "client_id": "c1", "body": body})
        for _ in range(20):
            frame: dict[str, Any] = p.receive_json()
            if frame["type"] in ("ack", "error"):
                return frame
    raise AssertionError("no answer")


@pytest.mark.parametrize("body", ["   ", "\n\t", ZERO_WIDTH, "hej\x00", "hej\x1b[2J"])
def test_socket_message_refused(client: TestClient, body: str) -> None:
    error = _patient_sends(client, body)
    assert (error["type"], error["code"], error["client_id"]) == ("error", "invalid_message", "c1")
    assert "body" in error["fields"]


def test_socket_message_with_lines_and_bidi(client: TestClient) -> None:
    assert _patient_sends(client, f"rad ett\n\trad{RLO} två")["type"] == "ack"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "note", "body": ZERO_WIDTH},
        {"type": "transfer", "queue": "nurse", "note": "flytt\x00"},
        {"type": "override", "level": "urgent", "reason": " "},
    ],
)
def test_staff_texts_refused(client: TestClient, seed: Seed, frame: dict[str, Any]) -> None:
    contact_id = client.post("/api/contacts", json=intake_body()).json()["contact_id"]
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff", headers=WS) as ws:
        receive_until(ws, "welcome")
        ws.send_json({**frame, "contact_id": contact_id})
        answer = ws.receive_json()
        while answer["type"] not in ("error", "note", "transferred", "triage"):
            answer = ws.receive_json()
        assert answer.get("code") == "invalid_message"


def test_canned_reply_refused(client: TestClient, seed: Seed) -> None:
    csrf = {"x-csrf-token": login(client, seed["nurse1"])}
    for body in ({"title": ZERO_WIDTH, "body": "b"}, {"title": "t", "body": "b\x00"}):
        r = client.post("/api/units/hc1/canned", json=body, headers=csrf)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_field")


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/admin/users", {"display_name": ZERO_WIDTH}, "display_name"),
        ("/api/admin/banners", {"message_sv": "stängt\x00"}, "message_sv"),
        ("/api/admin/banners", {"message_sv": "ok", "message_en": " "}, "message_en"),
        ("/api/admin/units", {"name": RLO}, "name"),
    ],
)
def test_admin_texts_refused(
    client: TestClient, seed: Seed, url: str, body: dict[str, Any], field: str
) -> None:
    csrf = {"x-csrf-token": login(client, seed["admin1"])}
    full = {
        "/api/admin/users": {
            "username": "ny",
            "role": "nurse",
            "units": ["hc1"],
            "password": "a long and unusual passphrase 42",
        },
        "/api/admin/banners": {"severity": "info"},
        "/api/admin/units": {"id": "hc9"},
    }[url]
    r = client.post(url, json={**full, **body}, headers=csrf)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_field")
    assert field in r.json()["error"]["fields"]


def test_survey_comment() -> None:
    assert parse_answer({"rating": 4, "comment": f"bra{RLO}!"}) == (4, "bra!")
    assert parse_answer({"rating": 4, "comment": "  "}) == (4, None)
    for bad in ("bra\x00", ZERO_WIDTH):
        with pytest.raises(Exception) as refused:  # noqa: PT011 - the InvalidInput
            parse_answer({"rating": 4, "comment": bad})
        assert getattr(refused.value, "fields", None) is not None
