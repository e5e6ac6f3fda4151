"""Retention: free text goes after the retention period, statistics and audit stay;
legal hold; the admin run, the daily sweeper run and ``chatserver retention run``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed, intake, receive_until

from .util import Clock, local, sign_in, sweep

WS = {"origin": ORIGIN}
DAY = 86400.0


def finished_chat(client: TestClient, seed: Seed, clock: Clock, nurse: str = "nurse1") -> str:
    """A whole chat: intake, messages both ways, a note, closed, a survey comment."""
    made = intake(client, name="Petra Patient", text="Ont i halsen sedan fyra dagar.")
    cid, token = made["contact_id"], made["patient_token"]
    sign_in(client, seed[nurse], clock)
    with (
        client.websocket_connect("/ws/patient", headers=WS) as patient,
        client.websocket_connect("/ws/staff", headers=WS) as staff,
    ):
        patient.send_json({"type": "hello", "token": token, "last_seq": 0})
        receive_until(patient, "welcome")
        receive_until(staff, "welcome")
        staff.send_json({"type": "pick", "contact_id": cid})
        receive_until(staff, "assigned")
        patient.send_json({"type": "message", "client_id": "p1", "body": "Jag heter Petra."})
        receive_until(patient, "ack")
        staff.send_json({"type": "message", "contact_id": cid, "client_id": "s1", "body": "Hej!"})
        receive_until(staff, "ack")
        staff.send_json({"type": "note", "contact_id": cid, "body": "Ringde patienten."})
        receive_until(staff, "note")
        staff.send_json({"type": "close", "contact_id": cid, "outcome": "resolved_in_chat"})
        receive_until(staff, "closed")
    r = client.post(
        "/api/contacts/survey", json={"token": token, "rating": 5, "comment": "Petra tackar."}
    )
    assert r.status_code in (200, 201), r.text
    return str(cid)


def free_text(db: Path, cid: str) -> dict[str, Any]:
    """What retention is about, read straight from the database file."""
    with sqlite3.connect(db) as c:
        name, text, reasons, level, outcome = c.execute(
            "SELECT name, text, reasons, level, outcome FROM contacts WHERE id = ?", (cid,)
        ).fetchone()
        msgs = c.execute(
            "SELECT seq, sender, sender_name, body FROM messages WHERE contact_id = ? ORDER BY seq",
            (cid,),
        ).fetchall()
        notes = [
            r[0]
            for r in c.execute(
                "SELECT data FROM contact_events WHERE contact_id = ? AND kind = 'note'", (cid,)
            )
        ]
        (comment,) = c.execute(
            "SELECT comment FROM survey_answers WHERE contact_id = ?", (cid,)
        ).fetchone()
    return {
        "name": name,
        "text": text,
        "reasons": reasons,
        "level": level,
        "outcome": outcome,
        "messages": msgs,
        "notes": notes,
        "comment": comment,
    }


def test_purge_after_retention_keeps_statistics(
    app_client: TestClient,
    seed: Seed,
    clock: Clock,
    settings: Settings,
    audit_log: list[dict[str, Any]],
) -> None:
    """After 180 days: names, words, bodies, notes and comments are gone; the rest stays."""
    cid = finished_chat(app_client, seed, clock)
    clock.advance(180 * DAY - 1)
    admin = sign_in(app_client, seed["admin1"], clock)
    r = app_client.post("/api/admin/retention/run", headers=admin)
    assert r.json() == {"purged": 0, "retention_days": 180}
    before = free_text(settings.sqlite_path, cid)
    assert before["text"] == "Ont i halsen sedan fyra dagar."
    # The rules that fired stay (statistics); the words they matched go.
    rules = [{k: v for k, v in r.items() if k != "matched"} for r in json.loads(before["reasons"])]
    clock.advance(2)
    r = app_client.post("/api/admin/retention/run", headers=admin)
    assert r.json() == {"purged": 1, "retention_days": 180}
    after = free_text(settings.sqlite_path, cid)
    assert json.loads(after.pop("reasons")) == rules
    assert after == {
        "name": "",
        "text": "",
        "level": "standard",
        "outcome": "resolved_in_chat",
        "messages": [(1, "patient", "", ""), (2, "staff", "Nina Nurse", "")],
        "notes": ["{}"],
        "comment": None,
    }
    purges = [(e["contact_id"], e["result"]) for e in audit_log if e["action"] == "retention_purge"]
    assert purges == [(cid, "ok")]
    r = app_client.post("/api/admin/retention/run", headers=admin)
    assert r.json()["purged"] == 0


def test_legal_hold_blocks_the_purge_until_lifted(
    app_client: TestClient,
    seed: Seed,
    clock: Clock,
    settings: Settings,
    audit_log: list[dict[str, Any]],
) -> None:
    """A contact on legal hold keeps its text past retention; lifting the hold lets it go."""
    cid = finished_chat(app_client, seed, clock)
    admin = sign_in(app_client, seed["admin1"], clock)
    hold = {"hold": True, "reason": "Klagomål, IVO-ärende"}
    r = app_client.put(f"/api/admin/contacts/{cid}/legal-hold", json=hold, headers=admin)
    assert r.json() == {"contact_id": cid, "legal_hold": True, "changed": True}
    clock.advance(365 * DAY)
    admin = sign_in(app_client, seed["admin1"], clock)  # the old session has expired
    assert app_client.post("/api/admin/retention/run", headers=admin).json()["purged"] == 0
    assert free_text(settings.sqlite_path, cid)["comment"] == "Petra tackar."
    lift = {"hold": False, "reason": "Ärendet avslutat"}
    r = app_client.put(f"/api/admin/contacts/{cid}/legal-hold", json=lift, headers=admin)
    assert r.json()["changed"] is True
    assert app_client.post("/api/admin/retention/run", headers=admin).json()["purged"] == 1
    assert [e["action"] for e in audit_log if e["action"].startswith("legal_hold")] == [
        "legal_hold_set",
        "legal_hold_lift",
    ]
    r = app_client.put("/api/admin/contacts/nope/legal-hold", json=hold, headers=admin)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_contact")


def test_open_contacts_are_never_purged(
    app_client: TestClient, clock: Clock, settings: Settings
) -> None:
    """A contact still waiting a year later keeps its text (only ended contacts age)."""
    cid = intake(app_client, text="Fortfarande i kö.")["contact_id"]
    sweep(app_client, clock.advance(365 * DAY))
    with sqlite3.connect(settings.sqlite_path) as c:
        (text,) = c.execute("SELECT text FROM contacts WHERE id = ?", (cid,)).fetchone()
    assert text == "Fortfarande i kö."


def test_sweeper_runs_retention_daily(
    app_client: TestClient, seed: Seed, clock: Clock, settings: Settings
) -> None:
    """The background sweep purges once a day, on the app's clock."""
    cid = finished_chat(app_client, seed, clock)
    sweep(app_client, clock())  # the first sweep runs retention: nothing due yet
    sweep(app_client, clock.advance(180 * DAY + 1))  # a day (and more) later: due
    assert free_text(settings.sqlite_path, cid)["text"] == ""


def test_retention_cli(settings: Settings, seed: Seed) -> None:
    """``chatserver retention run`` purges what is due at the real time and says how many."""
    clock = Clock(local(datetime(2025, 1, 7, 10, 0)))  # long enough ago
    app = create_app(settings, clock=clock)
    with TestClient(app, headers={"origin": ORIGIN}) as client:
        cid = finished_chat(client, seed, clock)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "chatserver",
            "--data-dir",
            str(settings.data_dir),
            "retention",
            "run",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "purged 1 contacts (retention 180 days)"
    assert free_text(settings.sqlite_path, cid)["text"] == ""
    with sqlite3.connect(settings.sqlite_path) as c:
        assert c.execute("SELECT count(*) FROM retention_purges").fetchone() == (1,)
