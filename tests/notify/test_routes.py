"""``GET /api/push/key``, ``POST /api/push/subscriptions`` and the intake's ``phone``:
who may subscribe, and every refusal with its documented code."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.notify.subscription import b64url_decode, b64url_encode
from chatserver.notify.vapid import KEY_FILE, load_vapid
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed, intake, intake_body, login
from tests.notify.keys import Browser

ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc:APA91b"


def count(settings: Settings, table: str) -> int:
    conn = sqlite3.connect(settings.sqlite_path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def post(c: TestClient, body: Any, **headers: str) -> Any:
    return c.post("/api/push/subscriptions", json=body, headers=headers)


def test_public_key_is_the_stored_p256_key(client: TestClient, settings: Settings) -> None:
    """The key is an uncompressed P-256 point, kept 0600 in the data dir, stable."""
    key = client.get("/api/push/key").json()["public_key"]
    raw = b64url_decode(key)
    assert (len(raw), raw[0]) == (65, 4)
    path = settings.data_dir / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_vapid(settings.data_dir, None, "mailto:x@example.se").public_key == key


def test_configured_key_wins(tmp_path: Path) -> None:
    """CHATSERVER_VAPID_PRIVATE_KEY is used as given; no file is written."""
    scalar = b64url_encode((12345).to_bytes(32, "big"))
    one = load_vapid(tmp_path, SecretStr(scalar), "mailto:x@example.se")
    two = load_vapid(tmp_path, SecretStr(scalar), "mailto:x@example.se")
    assert one.public_key == two.public_key
    assert not (tmp_path / KEY_FILE).exists()
    with pytest.raises(ValueError, match="CHATSERVER_VAPID_PRIVATE_KEY"):
        load_vapid(tmp_path, SecretStr("c2hvcnQ"), "mailto:x@example.se")


def test_a_key_file_of_another_kind_stops_the_start(tmp_path: Path) -> None:
    """A vapid.key that is not a P-256 key is refused with its path."""
    from cryptography.hazmat.primitives import serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

    other = ec.generate_private_key(ec.SECP384R1())
    (tmp_path / KEY_FILE).write_bytes(
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(ValueError, match="P-256"):
        load_vapid(tmp_path, None, "mailto:x@example.se")


def test_patient_subscribes_with_the_bearer_token(client: TestClient, settings: Settings) -> None:
    """The token binds the subscription to that contact; the same endpoint again replaces it."""
    token = intake(client)["patient_token"]
    body = Browser().subscription(ENDPOINT)
    assert post(client, body, authorization=f"Bearer {token}").status_code == 201
    assert post(client, body, authorization=f"Bearer {token}").status_code == 201
    assert count(settings, "push_subscriptions") == 1


def test_a_patient_keeps_at_most_five_browsers(client: TestClient, settings: Settings) -> None:
    """The sixth subscription of one contact pushes out the oldest."""
    token = intake(client)["patient_token"]
    for n in range(7):
        body = Browser().subscription(f"{ENDPOINT}-{n}")
        assert post(client, body, authorization=f"Bearer {token}").status_code == 201
    assert count(settings, "push_subscriptions") == 5


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "not_authenticated"),  # no token: a staff request, without a session
        ({"authorization": "Bearer wrong-token"}, 401, "not_authenticated"),
        ({"authorization": "Basic abc"}, 401, "not_authenticated"),
        ({"authorization": "Bearer "}, 401, "not_authenticated"),
        ({"authorization": "Bearer " + "x" * 300}, 401, "not_authenticated"),
    ],
)
def test_who_may_not_subscribe(
    client: TestClient, headers: dict[str, str], status: int, code: str
) -> None:
    """Without a valid patient token or a staff session, nothing is stored."""
    r = post(client, Browser().subscription(ENDPOINT), **headers)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code)


def test_staff_needs_the_csrf_token(client: TestClient, seed: Seed, settings: Settings) -> None:
    """A signed-in staff member without X-CSRF-Token is 403 csrf_failed."""
    csrf = login(client, seed["nurse1"])
    r = post(client, Browser().subscription(ENDPOINT))
    assert (r.status_code, r.json()["error"]["code"]) == (403, "csrf_failed")
    assert (
        post(client, Browser().subscription(ENDPOINT), **{"x-csrf-token": csrf}).status_code == 201
    )
    assert count(settings, "push_subscriptions") == 1


def test_closed_contact_cannot_subscribe(client: TestClient, seed: Seed) -> None:
    """After the close the token still reads the chat but subscribes no browser."""
    token = intake(client)["patient_token"]
    login(client, seed["nurse1"])
    with client.websocket_connect("/ws/staff", headers={"origin": ORIGIN}) as s:
        s.receive_json()
        s.send_json({"type": "pick"})
        while (frame := s.receive_json())["type"] != "assigned":
            pass
        cid = frame["contact"]["contact_id"]
        s.send_json({"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"})
        while s.receive_json()["type"] != "closed":
            pass
    r = post(client, Browser().subscription(ENDPOINT), authorization=f"Bearer {token}")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "contact_closed")


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/x",
        "https://127.0.0.1/x",
        "https://fcm.googleapis.com@169.254.169.254/x",
        "https://metadata.google.internal/computeMetadata/v1/",
    ],
)
def test_endpoint_outside_the_allowlist_is_refused(
    client: TestClient, settings: Settings, endpoint: str
) -> None:
    """The SSRF guard answers 422 push_endpoint_not_allowed and stores nothing."""
    token = intake(client)["patient_token"]
    r = post(client, Browser().subscription(endpoint), authorization=f"Bearer {token}")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "push_endpoint_not_allowed"
    assert count(settings, "push_subscriptions") == 0


def test_malformed_subscription_names_the_fields(client: TestClient) -> None:
    """Missing keys are 422 invalid_field with fields; a non-JSON body is 422 too."""
    token = intake(client)["patient_token"]
    r = post(client, {"endpoint": ENDPOINT}, authorization=f"Bearer {token}")
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {
        "keys": "object with p256dh and auth",
        "keys.p256dh": "base64url string",
        "keys.auth": "base64url string",
    }
    r = client.post(
        "/api/push/subscriptions",
        content=b"not json",
        headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
    )
    assert r.status_code == 422


def test_without_sms_gateway_the_phone_is_ignored(client: TestClient, settings: Settings) -> None:
    """SMS off: /api/units says so, and a phone (even a bad one) is not stored."""
    units = client.get("/api/units").json()
    assert {u["id"]: u["sms"] for u in units} == {"hc1": False, "hc2": False}
    assert client.post("/api/contacts", json=intake_body(phone="not a number")).status_code == 201
    assert count(settings, "contact_phones") == 0


@pytest.fixture
def sms_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", sms_gateway_url="http://127.0.0.1:9/sms")


def test_with_sms_gateway_a_bad_phone_is_refused(sms_settings: Settings) -> None:
    """SMS on: /api/units says so; a landline is 422 naming phone, nothing stored."""
    import asyncio  # noqa: PLC0415

    from tests.helpers import seed_directory  # noqa: PLC0415

    asyncio.run(seed_directory(sms_settings))
    with TestClient(create_app(sms_settings), headers={"origin": ORIGIN}) as c:
        assert {u["sms"] for u in c.get("/api/units").json()} == {True}
        r = c.post("/api/contacts", json=intake_body(phone="08-123 456 78"))
        assert r.status_code == 422
        assert r.json()["error"]["fields"] == {"phone": "Swedish mobile number, e.g. 070-123 45 67"}
        assert count(sms_settings, "contacts") == 0
        assert c.post("/api/contacts", json=intake_body(phone="")).status_code == 201
        assert count(sms_settings, "contact_phones") == 0


def test_service_worker_is_served_at_the_root(client: TestClient) -> None:
    """/sw.js is JavaScript from the site's root (its scope covers / and /staff)."""
    r = client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert "notificationclick" in r.text


def test_vapid_token_claims_and_reuse(tmp_path: Path) -> None:
    """The token is ES256 over aud (the endpoint's origin), exp (12 h) and sub;
    it is reused for an hour per push service, then signed anew."""
    from joserfc import jwt  # noqa: PLC0415
    from joserfc.jwk import ECKey  # noqa: PLC0415

    key = load_vapid(tmp_path, None, "mailto:drift@example.se")
    first = key.authorization("https://fcm.googleapis.com/fcm/send/a", 1_000_000.0)
    assert key.authorization("https://fcm.googleapis.com/fcm/send/b", 1_000_100.0) == first
    other = key.authorization("https://web.push.apple.com/x", 1_000_100.0)
    assert other != first
    later = key.authorization("https://fcm.googleapis.com/fcm/send/a", 1_003_700.0)
    assert later != first
    token, k = first.removeprefix("vapid t=").split(", k=")
    assert k == key.public_key
    public = ECKey.import_key({"kty": "EC", "crv": "P-256", **_xy(b64url_decode(key.public_key))})
    claims = jwt.decode(token, public).claims
    assert claims == {
        "aud": "https://fcm.googleapis.com",
        "exp": 1_000_000 + 12 * 3600,
        "sub": "mailto:drift@example.se",
    }


def _xy(point: bytes) -> dict[str, str]:
    return {"x": b64url_encode(point[1:33]), "y": b64url_encode(point[33:])}


def test_empty_configured_key_means_the_file(tmp_path: Path) -> None:
    """An empty CHATSERVER_VAPID_PRIVATE_KEY (compose's ${VAR:-}) uses the key file."""
    key = load_vapid(tmp_path, SecretStr("  "), "mailto:x@example.se")
    assert (tmp_path / KEY_FILE).exists()
    assert load_vapid(tmp_path, None, "mailto:x@example.se").public_key == key.public_key


def test_phone_is_in_the_intake_schema(client: TestClient) -> None:
    """The OpenAPI document describes the optional phone of the intake."""
    doc = client.get("/openapi.json").json()
    schema = doc["paths"]["/api/contacts"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    if "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert "phone" in schema["properties"]
    r = client.post("/api/contacts", json=intake_body(phone=12345))
    assert (r.status_code, list(r.json()["error"]["fields"])) == (422, ["phone"])
