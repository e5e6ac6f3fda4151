"""Shared steps of the attachment tests: a chat with a patient socket and a nurse."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from chatserver.settings import Settings
from tests.helpers import ORIGIN, Account, intake, login, receive_until

WS = {"origin": ORIGIN}


def upload(
    client: TestClient,
    contact_id: str,
    data: bytes | None,
    *,
    token: str | None = None,
    csrf: str | None = None,
    client_id: str | None = "photo-1",
    caption: str | None = None,
    filename: str = "IMG_0001.jpg",
    declared: str = "image/jpeg",
) -> Any:
    """POST a photo as the patient (``token``) or the signed-in staff member (``csrf``)."""
    headers: dict[str, str] = {}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if csrf is not None:
        headers["x-csrf-token"] = csrf
    fields = {k: v for k, v in (("client_id", client_id), ("caption", caption)) if v is not None}
    files: dict[str, Any] = {"file": (filename, data, declared)} if data is not None else {}
    if data is None:  # still multipart/form-data: the fields as parts
        files = {name: (None, value) for name, value in {"note": "-", **fields}.items()}
        fields = {}
    return client.post(
        f"/api/contacts/{contact_id}/attachments", data=fields, files=files, headers=headers
    )


def message_rows(settings: Settings, contact_id: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(settings.sqlite_path) as db:
        return list(
            db.execute(
                "SELECT seq, sender, body, attachment, photo_request FROM messages"
                " WHERE contact_id = ? ORDER BY seq",
                (contact_id,),
            )
        )


def attachment_count(settings: Settings) -> int:
    with sqlite3.connect(settings.sqlite_path) as db:
        (n,) = db.execute("SELECT count(*) FROM attachments").fetchone()
    return int(n)


def audit_rows(db_path: Path, action: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as db:
        return list(
            db.execute(
                "SELECT actor_username, unit_id, contact_id, result, detail FROM audit_events"
                " WHERE action = ? ORDER BY seq",
                (action,),
            )
        )


@contextmanager
def chat(client: TestClient, nurse: Account) -> Iterator[tuple[str, str, str, Any, Any]]:
    """An assigned chat: (contact_id, token, csrf, patient socket, nurse socket)."""
    made = intake(client)
    cid, token = made["contact_id"], made["patient_token"]
    csrf = login(client, nurse)
    with (
        client.websocket_connect("/ws/patient", headers=WS) as patient,
        client.websocket_connect("/ws/staff", headers=WS) as staff,
    ):
        patient.send_json({"type": "hello", "token": token, "last_seq": 0})
        receive_until(patient, "welcome")
        receive_until(staff, "welcome")
        staff.send_json({"type": "pick", "contact_id": cid})
        receive_until(staff, "assigned")
        receive_until(patient, "assigned")
        yield cid, token, csrf, patient, staff
