"""Photos over a real server: delivery to the nurse and the patient over real
WebSockets with the next seq, and nothing of the photo in the server's log."""

from __future__ import annotations

import httpx

from tests.attachments import images
from tests.helpers import PASSWORD, Account, Seed
from tests.live import TIMEOUT_SCALE, LiveServer
from tests.realserver.client import (
    http_intake,
    open_patient,
    open_staff,
    recv_until,
    send_json,
)

SECRET_NAME = "IMG_SECRET_NAME_4711.jpg"
SECRET_CAPTION = "Utslaget som Petra visade"


def login_cookie(srv: LiveServer, account: Account) -> str:
    """A session cookie; argon2 on a loaded 2-core machine can take seconds."""
    r = httpx.post(
        f"{srv.url}/api/staff/login",
        json={"username": account.username, "password": PASSWORD, "otp": account.otp()},
        headers={"origin": srv.origin},
        timeout=60 * TIMEOUT_SCALE,
    )
    assert r.status_code == 200, r.text
    return "; ".join(f"{k}={v}" for k, v in r.cookies.items())


async def test_photo_reaches_nurse_and_patient_over_real_sockets(
    live: LiveServer, seed: Seed
) -> None:
    """Text (seq 1), then a photo (seq 2) reaches both sockets; then a staff photo request."""
    contact = http_intake(live)
    cid, token = contact["contact_id"], contact["patient_token"]
    cookie = login_cookie(live, seed["nurse1"])
    patient = await open_patient(live)
    await send_json(patient, {"type": "hello", "token": token, "last_seq": 0})
    await recv_until(patient, "welcome")
    staff = await open_staff(live, cookie)
    await recv_until(staff, "welcome")
    await send_json(staff, {"type": "pick", "contact_id": cid})
    await recv_until(staff, "assigned")
    await send_json(patient, {"type": "message", "client_id": "p1", "body": "Hej"})
    assert (await recv_until(patient, "ack"))["seq"] == 1
    assert (await recv_until(staff, "message"))["seq"] == 1

    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        r = await http.post(
            f"/api/contacts/{cid}/attachments",
            data={"client_id": "photo-1", "caption": SECRET_CAPTION},
            files={"file": (SECRET_NAME, images.jpeg(gps=True), "image/jpeg")},
            headers={"authorization": f"Bearer {token}"},
        )
        assert r.status_code == 201, r.text
        att = r.json()["attachment"]
        assert r.json()["seq"] == 2
        for ws in (staff, patient):
            frame = await recv_until(ws, "message")
            assert (frame["seq"], frame["sender"], frame["attachment"]) == (2, "patient", att)
            assert frame["body"] == SECRET_CAPTION
        # The nurse reads it with the session cookie.
        got = await http.get(f"/api/attachments/{att['id']}", headers={"cookie": cookie})
        assert got.status_code == 200
        assert got.headers["content-type"] == "image/jpeg"

    await send_json(
        staff,
        {
            "type": "message",
            "contact_id": cid,
            "client_id": "s1",
            "body": "Skicka gärna en bild till.",
            "photo_request": True,
        },
    )
    assert (await recv_until(staff, "ack"))["seq"] == 3
    asked = await recv_until(patient, "message")
    assert (asked["seq"], asked["photo_request"]) == (3, True)
    await patient.close()
    await staff.close()

    log = live.stderr_path.read_text(encoding="utf-8", errors="replace")
    assert "/api/attachments/" in log  # the requests were logged ...
    for secret in (SECRET_NAME, SECRET_CAPTION, "PhoneMaker", token):
        assert secret not in log  # ... without the photo, its name, caption or the token
    assert "\ufffd" not in log  # no binary (image bytes) written to the log
