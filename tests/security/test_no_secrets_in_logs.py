"""No secret and no patient data reaches the logs (nor the audit log) during a whole
conversation: intake, sign-in, pick, messages both ways, note, close, sign-out."""

from __future__ import annotations

import io
import logging
import re
import sqlite3
from collections.abc import Iterator

import pytest
import structlog
from starlette.testclient import TestClient

from chatserver import logs
from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, PASSWORD, Seed, intake, receive_until

PNR = "19121212-1212"
PNR_SHORT = "121212-1212"
NAME = "Petronella Patientsson"
INTAKE_TEXT = f"Jag har ont i halsen sedan fyra dagar, mitt personnummer är {PNR}."
PATIENT_BODY = f"Det gör ont när jag sväljer. Personnummer {PNR_SHORT}."
STAFF_BODY = "Hej Petronella, drick varmt och vila."
NOTE_BODY = "Misstänkt halsfluss, uppföljning vid behov."


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logs.configure("debug", stream=stream)
    try:
        yield stream
    finally:
        structlog.reset_defaults()


def test_whole_conversation_leaves_no_secrets(
    captured: io.StringIO,
    settings: Settings,
    seed: Seed,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Bodies, names, tokens, passwords, OTP codes, cookies and personnummer are absent
    from structlog output, stdlib logging and the audit table."""
    caplog.set_level(logging.DEBUG)
    nurse = seed["nurse1"]
    otp = nurse.otp()
    assert otp is not None
    with TestClient(create_app(settings), headers={"origin": ORIGIN}) as c:
        created = intake(c, name=NAME, text=INTAKE_TEXT)
        token = created["patient_token"]
        # Failed sign-ins (and a lockout) make the service log something.
        for _ in range(5):
            c.post("/api/staff/login", json={"username": "nurse2", "password": PASSWORD + "x"})
        r = c.post(
            "/api/staff/login", json={"username": "nurse1", "password": PASSWORD, "otp": otp}
        )
        assert r.status_code == 200
        csrf = r.json()["csrf_token"]
        cookie = next(iter(c.cookies.values()))
        with (
            c.websocket_connect("/ws/patient") as patient,
            c.websocket_connect("/ws/staff") as staff,
        ):
            patient.send_json({"type": "hello", "token": token, "last_seq": 0})
            receive_until(patient, "welcome")
            receive_until(staff, "welcome")
            staff.send_json({"type": "pick", "contact_id": created["contact_id"]})
            receive_until(staff, "assigned")
            patient.send_json({"type": "message", "client_id": "p1", "body": PATIENT_BODY})
            receive_until(patient, "ack")
            staff.send_json(
                {
                    "type": "message",
                    "client_id": "s1",
                    "body": STAFF_BODY,
                    "contact_id": created["contact_id"],
                }
            )
            receive_until(staff, "ack")
            staff.send_json(
                {"type": "note", "contact_id": created["contact_id"], "body": NOTE_BODY}
            )
            receive_until(staff, "note")
            # A bad frame carrying patient data is refused, and its content not logged.
            staff.send_json({"type": "message", "client_id": "s2", "body": PATIENT_BODY})
            receive_until(staff, "error")
            staff.send_json(
                {
                    "type": "close",
                    "contact_id": created["contact_id"],
                    "outcome": "resolved_in_chat",
                }
            )
            receive_until(staff, "closed")
        c.post("/api/staff/logout", headers={"x-csrf-token": csrf})
    output = captured.getvalue() + "\n".join(r.getMessage() for r in caplog.records)
    db = sqlite3.connect(settings.sqlite_path)
    audit_rows = "\n".join(repr(r) for r in db.execute("SELECT * FROM audit_events"))
    db.close()
    assert "account_locked" in output  # the capture is not vacuous
    assert "'pick'" in audit_rows
    assert "'note'" in audit_rows
    secrets = {
        "personnummer": PNR,
        "personnummer (short)": PNR_SHORT,
        "name": NAME,
        "first name": "Petronella",
        "intake text": "ont i halsen",
        "patient body": "sväljer",
        "staff body": "drick varmt",
        "note": "halsfluss",
        "patient token": token,
        "password": PASSWORD,
        "otp": otp,
        "session cookie": cookie,
        "csrf token": csrf,
        "totp secret": nurse.otp_secret or "-",
    }
    leaks = {
        what: where
        for what, value in secrets.items()
        for where, text in (("logs", output), ("audit", audit_rows))
        if value in text
    }
    # A 6-digit code may occur inside a hash or time stamp by chance: look for it alone.
    alone = re.compile(rf"(?<![0-9A-Za-z]){otp}(?![0-9A-Za-z])")
    leaks.update(
        {f"otp in {w}": w for w, t in (("logs", output), ("audit", audit_rows)) if alone.search(t)}
    )
    assert leaks == {}
