"""Issue 17, the nurse's side, over a real server and real sockets: what travels
with a contact (notes, transfer notes, screen answers), the queue rows' preview
and its audit, and the patient's presence shown to the assigned nurse."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from chatserver.settings import Settings
from tests.helpers import Seed
from tests.live import LiveServer
from tests.realserver.client import (
    http_intake,
    login_cookie,
    open_patient,
    open_staff,
    recv_json,
    recv_until,
    send_json,
)
from triage import screening

LONG = (
    "Jag har haft   ont i halsen i fyra dagar, feber på kvällarna och svårt att svälja"
    " maten, vill gärna ha råd om vad jag ska göra"
)


def _audit_rows(settings: Settings, action: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(settings.sqlite_path) as db:
        return db.execute(
            "SELECT actor_username, unit_id, contact_id, detail FROM audit_events"
            " WHERE action = ? ORDER BY seq",
            (action,),
        ).fetchall()


async def test_notes_survive_a_reload_and_reach_the_next_picker(
    live: LiveServer, seed: Seed
) -> None:
    """A nurse's note is in her welcome after a reload; after a transfer the doctor
    who picks the contact gets the note, the transfer note and the screen answers."""
    answers = {q.id: False for q in screening.screen(40)}
    contact = http_intake(live, answers=answers)
    cid = contact["contact_id"]
    cookie = login_cookie(live, seed["nurse1"])
    nurse = await open_staff(live, cookie)
    await recv_until(nurse, "welcome")
    await send_json(nurse, {"type": "pick"})
    assigned = await recv_until(nurse, "assigned")
    assert assigned["contact"]["handover"]["notes"] == []
    screen = assigned["contact"]["handover"]["screening"]
    assert {a["id"] for a in screen} == set(answers)
    assert all(a["answer"] is False and a["sv"] and a["en"] for a in screen)
    await send_json(nurse, {"type": "note", "contact_id": cid, "body": "Feber sedan i fredags"})
    assert (await recv_until(nurse, "note"))["body"] == "Feber sedan i fredags"
    await nurse.close()

    # A reload: the note comes back in the welcome (and after a `hello`, a resync).
    again = await open_staff(live, cookie)
    welcome = await recv_until(again, "welcome")
    [mine] = welcome["assigned"]
    notes = mine["handover"]["notes"]
    assert [(n["kind"], n["body"], n["author"]) for n in notes] == [
        ("note", "Feber sedan i fredags", "Nina Nurse")
    ]
    assert notes[0]["at"].endswith("Z")
    await send_json(again, {"type": "hello"})
    resync = await recv_until(again, "welcome")
    assert resync["assigned"][0]["handover"]["notes"] == notes

    await send_json(
        again,
        {"type": "transfer", "contact_id": cid, "queue": "nurse", "note": "Bedöm halsfluss"},
    )
    moved = await recv_until(again, "transferred")
    assert moved["queue"] == "hc1:nurse", moved
    await again.close()

    doctor = await open_staff(live, login_cookie(live, seed["doctor1"]))
    await recv_until(doctor, "welcome")
    await send_json(doctor, {"type": "pick"})
    picked = (await recv_until(doctor, "assigned"))["contact"]
    # The patient never opened the chat: the picker is told at once.
    away = await recv_json(doctor)
    assert (away["type"], away["contact_id"], away["patient"]) == ("presence", cid, "disconnected")
    assert picked["contact_id"] == cid
    handed = picked["handover"]
    assert [(n["kind"], n["body"], n["author"], n["to_queue"]) for n in handed["notes"]] == [
        ("note", "Feber sedan i fredags", "Nina Nurse", None),
        ("transfer", "Bedöm halsfluss", "Nina Nurse", "hc1:nurse"),
    ]
    assert len(handed["screening"]) == len(answers)
    await doctor.close()


async def test_queue_rows_show_name_preview_and_language_audited_per_snapshot(
    live: LiveServer, seed: Seed, settings: Settings
) -> None:
    """A nurse's row: name, language, the first words; one audit entry for the
    snapshot (not per row, not per push within a minute); a manager: counts only."""
    http_intake(live, text=LONG, lang="en", name="Eva Engelska")
    http_intake(live, text="Ont i örat", name="Olof Öra")
    nurse = await open_staff(live, login_cookie(live, seed["nurse1"]))
    welcome = await recv_until(nurse, "welcome")
    [queue] = [q for q in welcome["queues"] if q["id"] == "hc1:nurse"]
    rows = {r["name"]: r for r in queue["contacts"]}
    eva = rows["Eva Engelska"]
    assert eva["lang"] == "en"
    assert eva["preview"].endswith("…")
    assert len(eva["preview"]) <= 80
    assert eva["preview"].startswith("Jag har haft ont i halsen i fyra dagar, feber")
    assert rows["Olof Öra"]["preview"] == "Ont i örat"

    entries = _audit_rows(settings, "queue_preview_read")
    assert [(e[0], e[1], e[2]) for e in entries] == [("nurse1", "hc1", None)]
    assert json.loads(entries[0][3]) == {"contacts": 2, "snapshots": 1}

    # A push within the minute: the nurse gets the new row, no new audit entry.
    http_intake(live, text="Hosta", name="Hans Hosta")
    while True:
        push = await recv_until(nurse, "queues")
        if any(r["name"] == "Hans Hosta" for q in push["queues"] for r in q["contacts"]):
            break
    assert len(_audit_rows(settings, "queue_preview_read")) == 1

    manager = await open_staff(live, login_cookie(live, seed["manager1"]))
    counts = await recv_until(manager, "welcome")
    assert all(q["contacts"] == [] for q in counts["queues"])
    assert [e[0] for e in _audit_rows(settings, "queue_preview_read")] == ["nurse1"]
    await manager.close()
    await nurse.close()


async def test_presence_of_the_patient_reaches_the_assigned_nurse(
    live: LiveServer, seed: Seed
) -> None:
    """The patient's socket goes: `presence` disconnected at once; back: connected."""
    contact = http_intake(live)
    cid = contact["contact_id"]
    patient = await open_patient(live)
    await send_json(patient, {"type": "hello", "token": contact["patient_token"], "last_seq": 0})
    await recv_until(patient, "welcome")
    cookie = login_cookie(live, seed["nurse1"])
    nurse = await open_staff(live, cookie)
    await recv_until(nurse, "welcome")
    await send_json(nurse, {"type": "pick"})
    await recv_until(nurse, "assigned")

    await patient.close()
    gone = await recv_until(nurse, "presence")
    assert (gone["contact_id"], gone["patient"]) == (cid, "disconnected")
    assert gone["since"].endswith("Z")
    # A reload of the nurse's page: the welcome is followed by the same news.
    await nurse.close()
    nurse = await open_staff(live, cookie)
    assert (await recv_json(nurse))["type"] == "welcome"
    again = await recv_json(nurse)
    assert (again["type"], again["contact_id"], again["patient"]) == (
        "presence",
        cid,
        "disconnected",
    )
    assert again["since"] == gone["since"]

    back = await open_patient(live)
    await send_json(back, {"type": "hello", "token": contact["patient_token"], "last_seq": 0})
    await recv_until(back, "welcome")
    came = await recv_until(nurse, "presence")
    assert (came["contact_id"], came["patient"]) == (cid, "connected")

    # Leaving the chat closes it: the nurse gets `closed` with patient_left.
    await send_json(back, {"type": "leave"})
    closed = await recv_until(nurse, "closed")
    assert closed == {"type": "closed", "contact_id": cid, "outcome": "patient_left"}
    await back.close()
    await nurse.close()
