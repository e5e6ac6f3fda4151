"""Seeded random contacts for the cross-engine tests (test_engines.py).

Three units with three queues each, five staff members, and contacts around the
2026 clock changes in Europe/Stockholm: many within half an hour of a local
midnight and within three hours of the change itself, with every status, level
and outcome, fractional durations (some a hair below a whole second), staff
and automatic re-triage, transfers and requeues, screening and follow-up
answers, safety-net raises, satisfaction answers and imported visit counts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from chatserver.stats.channel_shift import CHANNELS
from chatserver.stats.operations import LEVELS, OUTCOMES
from chatserver.stats.timebuckets import day_start_utc
from chatserver.stats.visits_import import VisitRow
from chatserver.storage.base import Queue, Unit
from tests.stats.fixtures import C, utc

UNITS = ("hc1", "hc2", "hc3")
COMPETENCES = ("nurse", "doctor", "psych")
# username, role, unit, display name
STAFF = (
    ("anna", "nurse", "hc1", "Anna Sköterska"),
    ("bo", "doctor", "hc1", "Bo Läkare"),
    ("cilla", "nurse", "hc2", "Cilla Sköterska"),
    ("dan", "doctor", "hc2", "Dan Läkare"),
    ("eva", "nurse", "hc3", "Eva Sköterska"),
)
WOULD_OTHERWISE = ("physical_visit", "phone", "video", "unknown", "nothing")
# The two weeks around each clock change (2026-03-29 and 2026-10-25).
WINDOWS = (
    (date(2026, 3, 22), date(2026, 4, 5), utc("2026-03-29 01:00")),
    (date(2026, 10, 18), date(2026, 11, 1), utc("2026-10-25 01:00")),
)


@dataclass
class Region:
    contacts: list[C] = field(default_factory=list)
    answers: list[tuple[str, str, int]] = field(default_factory=list)
    visits: list[VisitRow] = field(default_factory=list)


def _created(rng: random.Random) -> float:
    first, last, change = rng.choice(WINDOWS)
    kind = rng.random()
    if kind < 0.35:  # within half an hour of a local midnight
        day = first + timedelta(days=rng.randrange((last - first).days + 1))
        return day_start_utc(day) + rng.uniform(-1800, 1800)
    if kind < 0.6:  # the night of the clock change
        return change + rng.uniform(-3 * 3600, 3 * 3600)
    return rng.uniform(day_start_utc(first), day_start_utc(last + timedelta(days=1)))


def _seconds(rng: random.Random, low: float, high: float) -> float:
    """A duration: whole, fractional, or a hair below a whole second."""
    kind = rng.random()
    if kind < 0.3:
        return float(rng.randint(int(low), int(high)))
    if kind < 0.4:
        return rng.randint(int(low) + 1, int(high)) - 1e-7
    return rng.uniform(low, high)


def _contact(rng: random.Random, n: int) -> tuple[C, bool]:
    """One contact and whether the patient answered the survey."""
    created = _created(rng)
    unit = rng.choice(UNITS)
    staff = [s[0] for s in STAFF if s[2] == unit]
    intake = rng.choice(LEVELS)
    c = C(
        f"g{n:04d}",
        created,
        unit=unit,
        queue=f"{unit}:{rng.choice(COMPETENCES)}",
        intake_level=intake,
        level=intake,
        would_otherwise=rng.choice(WOULD_OTHERWISE),
        outcome=None,
    )
    status = rng.choices(["emergency_advised", "queued", "assigned", "closed"], [1, 2, 3, 14])[0]
    c.status = status
    if rng.random() < 0.3:
        c.events.append(("screening", created + 1, None, {"yes": rng.random() < 0.3}))
    if status == "emergency_advised":
        c.level = c.intake_level = "emergency"
        return c, False
    c.acknowledged = intake == "emergency"
    c.queued = rng.choice([0.0, rng.uniform(1, 90)])
    queued_at = created + c.queued
    if rng.random() < 0.15:
        c.events.append(("followup_asked", queued_at + 30, None, {}))
        if rng.random() < 0.5:
            c.events.append(("followup", queued_at + 60, None, {"yes": rng.random() < 0.4}))
    if rng.random() < 0.08:
        c.events.append(("model_raise", queued_at + 5, None, {"from": intake, "to": "urgent"}))
    if status == "closed" and rng.random() < 0.15:  # left before anyone picked
        c.outcome = rng.choice(["patient_left", "no_response"])
        c.closed = _seconds(rng, 30, 2400)
        c.events.append(("close", queued_at + c.closed, None, {}))
        return c, False
    if status == "queued":
        return c, False
    c.picked = _seconds(rng, 0, 1800)
    picked_at = queued_at + c.picked
    first = rng.choice(staff)
    c.assigned = first
    c.events.append(("pick", picked_at, first, {}))
    if rng.random() < 0.7:
        c.reply = c.picked + _seconds(rng, 1, 300)
    handover = rng.random()
    if handover < 0.2:  # transferred or requeued, then picked by someone (maybe the same)
        kind = "transfer" if handover < 0.12 else "requeue"
        moved = picked_at + rng.uniform(60, 900)
        c.events.append((kind, moved, first, {}))
        c.assigned = rng.choice(staff)
        c.events.append(("pick", moved + rng.uniform(5, 600), c.assigned, {}))
    if rng.random() < 0.2:  # re-triage: by staff, or automatic (no actor)
        actor = rng.choice([*staff, None])
        c.level = rng.choice([lv for lv in LEVELS if lv != intake])
        c.events.append(("triage_change", picked_at + 20, actor, {"from": intake, "to": c.level}))
    if status == "assigned":
        return c, False
    c.outcome = rng.choice(OUTCOMES)
    c.closed = _seconds(rng, 60, 4 * 3600)  # some run past midnight
    last_pick = max(at for kind, at, _, _ in c.events if kind == "pick")
    c.closed = max(c.closed, last_pick - picked_at + 1)
    c.events.append(("close", picked_at + c.closed, c.assigned, {}))
    return c, rng.random() < 0.35


def region(n: int, seed: int) -> Region:
    """``n`` contacts, their survey answers and visit counts, reproducible by ``seed``."""
    rng = random.Random(seed)
    out = Region()
    for i in range(n):
        contact, answered = _contact(rng, i)
        out.contacts.append(contact)
        if answered:
            out.answers.append((contact.id, contact.unit, rng.randint(1, 5)))
    for first, last, _ in WINDOWS:
        day = first
        while day <= last:
            for unit in UNITS:
                for channel in CHANNELS:
                    if rng.random() < 0.5:
                        out.visits.append(VisitRow(day, unit, channel, rng.randint(0, 40)))
            day += timedelta(days=1)
    return out


async def directory(storage: Any) -> dict[str, int]:
    """The units, queues and staff, in the same order on every engine (same ids)."""
    for unit in UNITS:
        queues = [Queue(f"{unit}:{c}", unit, c, c.title()) for c in COMPETENCES]
        await storage.add_unit(Unit(unit, f"Vårdcentral {unit}", True, "live", 0.0), queues)
    users: dict[str, int] = {}
    for username, role, unit, display in STAFF:
        user = await storage.add_user(
            username=username,
            display_name=display,
            role=role,
            password_hash="not used",
            totp_secret=None,
            unit_ids=[unit],
            created_at=0.0,
        )
        users[username] = user.id
    return users
