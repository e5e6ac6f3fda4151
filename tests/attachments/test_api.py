"""The photo routes in memory: upload, delivery as a message, read back, every refusal."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.attachments import images
from tests.attachments.util import (
    WS,
    attachment_count,
    audit_rows,
    chat,
    message_rows,
    upload,
)
from tests.helpers import ORIGIN, Seed, intake, login, receive_until

LIMIT = 256 * 1024


@pytest.fixture
def small_settings(tmp_path: Any) -> Settings:
    """A 256 KiB photo limit, so the too-large case needs no big body."""
    return Settings(data_dir=tmp_path / "data", attachment_max_bytes=LIMIT)


@pytest.fixture
def api(small_settings: Settings, seed: Seed) -> Iterator[TestClient]:
    with TestClient(create_app(small_settings), headers={"origin": ORIGIN}) as c:
        yield c


@pytest.fixture
def seed(small_settings: Settings) -> Seed:  # the seeded directory in small_settings' dir
    import asyncio  # noqa: PLC0415

    from tests.helpers import seed_directory  # noqa: PLC0415

    return asyncio.run(seed_directory(small_settings))


def test_patient_photo_reaches_patient_and_nurse(api: TestClient, seed: Seed) -> None:
    """A patient's photo takes the next seq and reaches both sides as a message with attachment."""
    with chat(api, seed["nurse1"]) as (cid, token, _, patient, staff):
        r = upload(api, cid, images.jpeg(gps=True), token=token, caption="Utslaget")
        assert r.status_code == 201, r.text
        body = r.json()
        att = body["attachment"]
        assert set(body) == {"contact_id", "seq", "attachment"}
        assert (body["contact_id"], body["seq"]) == (cid, 1)
        assert set(att) == {"id", "content_type", "width", "height", "bytes"}
        assert (att["content_type"], att["width"], att["height"]) == ("image/jpeg", 640, 480)
        for ws in (patient, staff):
            frame = receive_until(ws, "message")
            assert frame["seq"] == 1
            assert frame["sender"] == "patient"
            assert frame["body"] == "Utslaget"
            assert frame["attachment"] == att
            assert "photo_request" not in frame
        # The next text message takes the next seq.
        patient.send_json({"type": "message", "client_id": "t1", "body": "Det kliar."})
        assert receive_until(patient, "ack")["seq"] == 2
        # History carries the attachment too.
        patient.send_json({"type": "sync", "after_seq": 0})
        history = receive_until(patient, "history")["messages"]
        assert [m.get("attachment") for m in history] == [att, None]


def test_duplicate_client_id_answers_the_original(api: TestClient, seed: Seed) -> None:
    """The same client_id again: 200, the same body with duplicate true, nothing new stored."""
    with chat(api, seed["nurse1"]) as (cid, token, _, _p, _s):
        first = upload(api, cid, images.jpeg(), token=token)
        again = upload(api, cid, images.png(), token=token)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == {**first.json(), "duplicate": True}
        assert attachment_count(api.app.state.chat.settings) == 1  # type: ignore[attr-defined]


def test_client_id_of_a_text_message_refused(api: TestClient, seed: Seed) -> None:
    """A client_id already used for a text message is not answered with that message."""
    with chat(api, seed["nurse1"]) as (cid, token, _, patient, _s):
        patient.send_json({"type": "message", "client_id": "same", "body": "Hej"})
        receive_until(patient, "ack")
        r = upload(api, cid, images.jpeg(), token=token, client_id="same")
        assert r.status_code == 422
        assert r.json()["error"]["fields"] == {"client_id": "already used"}


def test_read_back_with_headers_and_thumb(api: TestClient, seed: Seed) -> None:
    """GET returns the re-encoded bytes with no-store, nosniff, inline; ?size=thumb ≤ 320 px."""
    with chat(api, seed["nurse1"]) as (cid, token, _, _p, _s):
        att = upload(api, cid, images.jpeg((1600, 1200), gps=True), token=token).json()[
            "attachment"
        ]
        auth = {"authorization": f"Bearer {token}"}
        full = api.get(f"/api/attachments/{att['id']}", headers=auth)
        assert full.status_code == 200
        assert full.headers["content-type"] == "image/jpeg"
        assert full.headers["cache-control"] == "no-store"
        assert full.headers["x-content-type-options"] == "nosniff"
        assert full.headers["content-disposition"] == "inline"
        assert len(full.content) == att["bytes"]
        im = Image.open(io.BytesIO(full.content))
        assert im.size == (1600, 1200)
        assert dict(im.getexif()) == {}
        assert 0xE1 not in images.markers(full.content)
        thumb = api.get(f"/api/attachments/{att['id']}?size=thumb", headers=auth)
        assert thumb.status_code == 200
        assert Image.open(io.BytesIO(thumb.content)).size == (320, 240)
        bad = api.get(f"/api/attachments/{att['id']}?size=huge", headers=auth)
        assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_field")
        missing = api.get("/api/attachments/no-such-photo", headers=auth)
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
        long_id = api.get("/api/attachments/" + "x" * 65, headers=auth)
        assert long_id.status_code == 404


def test_staff_view_is_audited_and_scoped(api: TestClient, seed: Seed) -> None:
    """A nurse's read is audited (attachment_view); another unit's nurse: 404, audited denied."""
    with chat(api, seed["nurse1"]) as (cid, token, _, _p, _s):
        att = upload(api, cid, images.jpeg(), token=token).json()["attachment"]
        r = api.get(f"/api/attachments/{att['id']}")
        assert r.status_code == 200
        assert r.content[:3] == b"\xff\xd8\xff"
    login(api, seed["nurse_hc2"])
    other = api.get(f"/api/attachments/{att['id']}")
    assert (other.status_code, other.json()["error"]["code"]) == (404, "not_found")
    settings: Settings = api.app.state.chat.settings  # type: ignore[attr-defined]
    rows = audit_rows(settings.sqlite_path, "attachment_view")
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("nurse1", "hc1", cid, "ok"),
        ("nurse_hc2", None, None, "denied"),
    ]
    assert json.loads(rows[0][4]) == {
        "address": "testclient",
        "attachment_id": att["id"],
        "size": "full",
    }


def test_staff_upload_needs_csrf_and_assignment(api: TestClient, seed: Seed) -> None:
    """Staff upload with CSRF → 201 and the patient gets it; without CSRF 403; not assigned 403."""
    with chat(api, seed["nurse1"]) as (cid, _, csrf, patient, _s):
        no_csrf = upload(api, cid, images.jpeg(), client_id="s-0")
        assert (no_csrf.status_code, no_csrf.json()["error"]["code"]) == (403, "csrf_failed")
        r = upload(api, cid, images.png(alpha=True), csrf=csrf, client_id="s-1")
        assert r.status_code == 201, r.text
        frame = receive_until(patient, "message")
        assert (frame["sender"], frame["body"]) == ("staff", "")
        assert frame["attachment"]["content_type"] == "image/png"
    csrf2 = login(api, seed["nurse2"])
    r = upload(api, cid, images.jpeg(), csrf=csrf2, client_id="s-2")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "not_assigned")
    csrf3 = login(api, seed["nurse_hc2"])
    r = upload(api, cid, images.jpeg(), csrf=csrf3, client_id="s-3")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_contact")


def test_photo_request_stored_and_delivered(api: TestClient, seed: Seed) -> None:
    """A staff message with photo_request true reaches the patient (live and in history) with it."""
    with chat(api, seed["nurse1"]) as (cid, _, _c, patient, staff):
        staff.send_json(
            {
                "type": "message",
                "contact_id": cid,
                "client_id": "req-1",
                "body": "Kan du skicka en bild på utslaget?",
                "photo_request": True,
            }
        )
        receive_until(staff, "ack")
        live = receive_until(patient, "message")
        assert live["photo_request"] is True
        patient.send_json({"type": "sync", "after_seq": 0})
        history = receive_until(patient, "history")["messages"]
        assert history[0]["photo_request"] is True
        # A patient cannot ask for a photo: the field is ignored.
        patient.send_json(
            {"type": "message", "client_id": "p-1", "body": "ok", "photo_request": True}
        )
        receive_until(patient, "ack")
        assert "photo_request" not in receive_until(staff, "message")
    assert [r[4] for r in message_rows(api.app.state.chat.settings, cid)] == [1, 0]  # type: ignore[attr-defined]


BAD_UPLOADS: list[tuple[str, dict[str, Any], int, str]] = [
    ("too_large", {"data": b"\xff\xd8\xff" + b"\x00" * (LIMIT + 1)}, 413, "too_large"),
    ("text_renamed_jpg", {"data": images.TEXT}, 415, "unsupported_type"),
    (
        "svg",
        {"data": images.SVG, "filename": "a.jpg", "declared": "image/jpeg"},
        415,
        "unsupported_type",
    ),
    ("gif", {"data": images.other("GIF")}, 415, "unsupported_type"),
    ("truncated_jpeg", {"data": images.jpeg()[:2000]}, 422, "invalid_image"),
    ("png_bomb", {"data": images.png_bomb()}, 422, "invalid_image"),
    ("missing_file", {"data": None}, 422, "invalid_field"),
    ("missing_client_id", {"data": images.jpeg(), "client_id": None}, 422, "invalid_field"),
    ("long_client_id", {"data": images.jpeg(), "client_id": "x" * 65}, 422, "invalid_field"),
    ("unsafe_caption", {"data": images.jpeg(), "caption": "a\x07b"}, 422, "invalid_field"),
    ("long_caption", {"data": images.jpeg(), "caption": "a" * 4001}, 422, "invalid_field"),
]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [case[1:] for case in BAD_UPLOADS],
    ids=[case[0] for case in BAD_UPLOADS],
)
def test_bad_upload_refused_nothing_stored_socket_usable(
    api: TestClient, seed: Seed, kwargs: dict[str, Any], status: int, code: str
) -> None:
    """Each bad upload gets its documented code, stores nothing, and the patient chat goes on."""
    with chat(api, seed["nurse1"]) as (cid, token, _, patient, _s):
        r = upload(api, cid, token=token, **kwargs)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
        settings: Settings = api.app.state.chat.settings  # type: ignore[attr-defined]
        assert message_rows(settings, cid) == []
        assert attachment_count(settings) == 0
        patient.send_json({"type": "message", "client_id": "after", "body": "Är ni kvar?"})
        assert receive_until(patient, "ack")["seq"] == 1


def test_polyglot_stored_without_the_zip(api: TestClient, seed: Seed) -> None:
    """A JPEG with a ZIP appended is accepted and stored without it."""
    with chat(api, seed["nurse1"]) as (cid, token, _, _p, _s):
        r = upload(api, cid, images.jpeg() + images.zip_file(), token=token)
        assert r.status_code == 201
        got = api.get(
            f"/api/attachments/{r.json()['attachment']['id']}",
            headers={"authorization": f"Bearer {token}"},
        )
        assert got.content.endswith(b"\xff\xd9")
        assert b"PK\x03\x04" not in got.content


def test_heic_round_trip(api: TestClient, seed: Seed) -> None:
    """A HEIC photo is accepted and comes back as a JPEG of the same size."""
    with chat(api, seed["nurse1"]) as (cid, token, _, _p, _s):
        r = upload(api, cid, images.other("HEIF", (120, 90)), token=token, filename="x.heic")
        assert r.status_code == 201, r.text
        att = r.json()["attachment"]
        assert (att["content_type"], att["width"], att["height"]) == ("image/jpeg", 120, 90)


def test_closed_contact_refused(api: TestClient, seed: Seed) -> None:
    """Upload to a closed contact: 409 contact_closed; a re-send of an earlier photo: still 200."""
    with chat(api, seed["nurse1"]) as (cid, token, _, _p, staff):
        first = upload(api, cid, images.jpeg(), token=token, client_id="before")
        staff.send_json({"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"})
        receive_until(staff, "closed")
    r = upload(api, cid, images.jpeg(), token=token, client_id="after")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "contact_closed")
    again = upload(api, cid, images.jpeg(), token=token, client_id="before")
    assert again.status_code == 200
    assert again.json() == {**first.json(), "duplicate": True}


def test_other_patients_token_and_bad_tokens(api: TestClient, seed: Seed) -> None:
    """Another contact's valid token: 403 forbidden; a wrong or no credential: 401."""
    with chat(api, seed["nurse1"]) as (cid, token, _, _p, _s):
        att = upload(api, cid, images.jpeg(), token=token).json()["attachment"]
        other = intake(api)["patient_token"]
        r = upload(api, cid, images.jpeg(), token=other, client_id="x")
        assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden")
        g = api.get(f"/api/attachments/{att['id']}", headers={"authorization": f"Bearer {other}"})
        assert (g.status_code, g.json()["error"]["code"]) == (403, "forbidden")
        for header in ("Bearer wrong", "Basic abc", "Bearer " + "x" * 300):
            r = api.post(
                f"/api/contacts/{cid}/attachments",
                files={"file": ("a.jpg", images.jpeg(), "image/jpeg")},
                data={"client_id": "y"},
                headers={"authorization": header},
            )
            assert (r.status_code, r.json()["error"]["code"]) == (401, "not_authenticated")
        api.post("/api/staff/logout", headers={"x-csrf-token": _})
        api.cookies.clear()
        anon = api.get(f"/api/attachments/{att['id']}")
        assert (anon.status_code, anon.json()["error"]["code"]) == (401, "not_authenticated")


def test_not_multipart_refused(api: TestClient, seed: Seed) -> None:
    """A JSON body to the upload route is 422 invalid_body."""
    made = intake(api)
    r = api.post(
        f"/api/contacts/{made['contact_id']}/attachments",
        json={"client_id": "x"},
        headers={"authorization": f"Bearer {made['patient_token']}"},
    )
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_body")


def test_patient_may_send_while_queued(api: TestClient, seed: Seed) -> None:
    """A waiting patient's photo is stored (the nurse sees it in history at pick)."""
    made = intake(api)
    cid, token = made["contact_id"], made["patient_token"]
    r = upload(api, cid, images.jpeg(), token=token)
    assert r.status_code == 201
    login(api, seed["nurse1"])
    with api.websocket_connect("/ws/staff", headers=WS) as staff:
        receive_until(staff, "welcome")
        staff.send_json({"type": "pick", "contact_id": cid})
        assigned = receive_until(staff, "assigned")
        assert assigned["messages"][0]["attachment"] == r.json()["attachment"]


def test_patient_uploads_count_as_messages(small_settings: Settings, seed: Seed) -> None:
    """Uploads share the patient's per-contact message rate: the third in a minute is 429."""
    limited = small_settings.model_copy(update={"contact_message_rate_limit": "2/minute"})
    with TestClient(create_app(limited), headers={"origin": ORIGIN}) as c:
        made = intake(c)
        cid, token = made["contact_id"], made["patient_token"]
        codes = [
            upload(c, cid, images.jpeg((40, 30)), token=token, client_id=f"r{i}").status_code
            for i in range(3)
        ]
        assert codes == [201, 201, 429]


def test_staff_view_refused_when_it_cannot_be_audited(
    api: TestClient, seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No audit event, no photo: 503 audit_unavailable and no image bytes."""
    from chatserver.audit import audit_log_of  # noqa: PLC0415

    with chat(api, seed["nurse1"]) as (cid, token, _, _p, _s):
        att = upload(api, cid, images.jpeg(), token=token).json()["attachment"]
    store = audit_log_of(api.app.state.chat).store  # type: ignore[attr-defined]

    async def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "append", fail)
    r = api.get(f"/api/attachments/{att['id']}")
    assert (r.status_code, r.json()["error"]["code"]) == (503, "audit_unavailable")
    # The patient's own read is not a staff access: it still works.
    own = api.get(f"/api/attachments/{att['id']}", headers={"authorization": f"Bearer {token}"})
    assert own.status_code == 200
