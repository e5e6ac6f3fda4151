"""Hand-made contacts for the statistics tests, written through the storage's
write port (:func:`load`, a plan), so the same rows go into SQLite and PostgreSQL.

Every time is given in UTC with its Europe/Stockholm wall-clock time beside
it; the expected figures in the tests were worked out by hand from this list.
DST 2026: clocks go 02:00 → 03:00 on 2026-03-29 and 03:00 → 02:00 on 2026-10-25.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from chatserver.app import open_storage
from chatserver.settings import Settings
from chatserver.storage.plan import Plan, execute, many

T = TypeVar("T")


def utc(text: str) -> float:
    """'2026-03-28 22:30' (UTC) → epoch seconds."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC).timestamp()


@dataclass
class C:
    id: str
    created: float
    unit: str = "hc1"
    queue: str = "hc1:nurse"
    status: str = "closed"
    outcome: str | None = "resolved_in_chat"
    level: str = "standard"
    intake_level: str = "standard"
    would_otherwise: str = "unknown"
    queued: float | None = None  # seconds after created; None = never queued
    picked: float | None = None  # seconds after queued
    reply: float | None = None  # seconds after queued
    closed: float | None = None  # seconds after the first pick (or after queued)
    acknowledged: bool = False
    assigned: str | None = None  # the last staff member to pick it (kept after close)
    events: list[tuple[str, float, str | None, dict[str, object]]] = field(default_factory=list)


def load(
    contacts: Sequence[C], users: dict[str, int], answers: Sequence[tuple[str, str, int]] = ()
) -> Plan[None]:
    """The contacts, their events and survey answers ``(contact, unit, rating)``
    as one write plan, for either engine."""
    yield execute(
        "INSERT INTO queues (id, unit_id, competence, name)"
        " VALUES ('hc1:doctor', 'hc1', 'doctor', 'Läkare') ON CONFLICT DO NOTHING"
    )
    rows: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    for c in contacts:
        queued = None if c.queued is None else c.created + c.queued
        picked = None if c.picked is None or queued is None else queued + c.picked
        reply = None if c.reply is None or queued is None else queued + c.reply
        closed = None
        if c.closed is not None:
            closed = (picked if picked is not None else queued or c.created) + c.closed
        rows.append(
            (
                c.id,
                c.unit,
                c.queue,
                c.status,
                c.level,
                c.intake_level,
                c.acknowledged,
                c.would_otherwise,
                c.created,
                queued,
                picked,
                reply,
                closed,
                c.outcome,
                users[c.assigned] if c.assigned else None,
            )
        )
        events.append((c.id, c.created, "intake", None, "{}"))
        events += [
            (c.id, at, kind, users[actor] if actor else None, json.dumps(data))
            for kind, at, actor, data in c.events
        ]
    yield many(
        "INSERT INTO contacts (id, unit_id, queue_id, status, level, intake_level, tags,"
        " reasons, emergency_acknowledged, lang, age, name, text, would_otherwise,"
        " created_at, queued_at, first_picked_at, first_staff_reply_at, closed_at,"
        " outcome, assigned_user_id) VALUES (?, ?, ?, ?, ?, ?, '[]', '[]', ?, 'sv', 40,"
        " 'Namn', 'Text', ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    yield many(
        "INSERT INTO contact_events (contact_id, at, kind, actor_user_id, data)"
        " VALUES (?, ?, ?, ?, ?)",
        events,
    )
    yield many(
        "INSERT INTO survey_answers (contact_id, unit_id, rating, answered_at) VALUES (?, ?, ?, 0)",
        answers,
    )


def write(settings: Settings, plan: Plan[T]) -> T:
    """Run ``plan`` as one write on the database of ``settings`` (beside a
    running app, as another writer would)."""

    async def run() -> T:
        storage = open_storage(settings)
        await storage.open()
        try:
            result: T = await storage.write(plan)  # type: ignore[attr-defined]
            return result
        finally:
            await storage.close()

    return asyncio.run(run())


def insert(
    settings: Settings,
    contacts: Sequence[C],
    users: dict[str, int],
    answers: Sequence[tuple[str, str, int]] = (),
) -> None:
    write(settings, load(contacts, users, answers))


def spring(users: dict[str, int]) -> list[C]:
    """Two weeks around the spring DST change (2026-03-23 .. 2026-04-05), unit hc1."""
    t1 = utc("2026-03-28 22:30")  # Sat 23:30 local (+01): the chat runs past midnight
    t2 = utc("2026-03-29 00:30")  # Sun 01:30 local (+01), just before the clocks jump
    t3 = utc("2026-03-29 21:30")  # Sun 23:30 local (+02): still 29 March locally
    t4 = utc("2026-03-29 22:15")  # Mon 00:15 local (+02): already 30 March locally
    t5 = utc("2026-03-31 08:00")  # Tue 10:00 local
    t6 = utc("2026-04-01 10:00")  # Wed 12:00 local
    return [
        C(
            "c1",
            t1,
            assigned="nurse1",
            would_otherwise="physical_visit",
            queued=0,
            picked=120,
            reply=150,
            closed=7200,
            events=[("pick", t1 + 120, "nurse1", {}), ("close", t1 + 7320, "nurse1", {})],
        ),
        C(
            "c2",
            t2,
            assigned="nurse1",
            outcome="physical_visit_booked",
            would_otherwise="physical_visit",
            level="standard",
            intake_level="urgent",
            queued=0,
            picked=60,
            reply=90,
            closed=600,
            events=[
                ("pick", t2 + 60, "nurse1", {}),
                ("triage_change", t2 + 100, "doctor1", {"from": "urgent", "to": "standard"}),
                ("close", t2 + 660, "nurse1", {}),
            ],
        ),
        # Emergency advice, never acknowledged: outcome referred_emergency, not queued.
        C(
            "c3",
            t3,
            status="emergency_advised",
            outcome=None,
            level="emergency",
            intake_level="emergency",
            would_otherwise="physical_visit",
        ),
        # Acknowledged emergency (the acknowledgement arrived twice): one contact.
        C(
            "c4",
            t4,
            assigned="doctor1",
            outcome="physical_visit_booked",
            level="emergency",
            intake_level="emergency",
            would_otherwise="physical_visit",
            acknowledged=True,
            queued=60,
            picked=30,
            reply=45,
            closed=300,
            events=[
                ("emergency_ack", t4 + 60, None, {}),
                ("emergency_ack", t4 + 61, None, {}),
                ("pick", t4 + 90, "doctor1", {}),
                ("close", t4 + 390, "doctor1", {}),
            ],
        ),
        # Transferred from the nurse queue to the doctor queue, picked twice.
        C(
            "c5",
            t5,
            assigned="doctor1",
            queue="hc1:doctor",
            level="urgent",
            would_otherwise="phone",
            queued=0,
            picked=300,
            reply=321,
            closed=1300,
            events=[
                ("pick", t5 + 300, "nurse1", {}),
                ("triage_change", t5 + 350, "nurse1", {"from": "standard", "to": "urgent"}),
                ("transfer", t5 + 400, "nurse1", {}),
                ("pick", t5 + 1000, "doctor1", {}),
                ("close", t5 + 1600, "doctor1", {}),
            ],
        ),
        # The patient left before anyone picked; an automatic (not staff) re-triage.
        C(
            "c6",
            t6,
            outcome="patient_left",
            level="urgent",
            would_otherwise="physical_visit",
            queued=0,
            closed=900,
            events=[
                ("triage_change", t6 + 10, None, {"from": "standard", "to": "urgent"}),
                ("close", t6 + 900, None, {}),
            ],
        ),
        # Another unit: never in hc1's figures.
        C(
            "c7",
            utc("2026-03-31 09:00"),
            unit="hc2",
            queue="hc2:nurse",
            queued=0,
            picked=10,
            closed=10,
        ),
    ]


def autumn() -> list[C]:
    """Around the autumn DST change (2026-10-25 has 25 hours), unit hc1."""
    return [
        C("a1", utc("2026-10-24 21:59")),  # Sat 23:59 local (+02): 24 October
        C("a2", utc("2026-10-24 22:00")),  # Sun 00:00 local (+02): 25 October
        C("a3", utc("2026-10-25 00:30")),  # Sun 02:30 local, first time (+02)
        C("a4", utc("2026-10-25 01:30")),  # Sun 02:30 local, second time (+01)
        C("a5", utc("2026-10-25 22:59")),  # Sun 23:59 local (+01): still 25 October
        C("a6", utc("2026-10-25 23:00")),  # Mon 00:00 local (+01): 26 October
    ]
