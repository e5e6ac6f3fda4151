"""Synthetic chat history (pure): contacts with triage levels, waits, staff
picks, outcomes and what the patient would otherwise have done, drawn from
plausible distributions with a seeded ``random.Random``.

Used by the statistics benchmark's generator (``loadtests/stats_generate.py``:
a region's year) and by ``chatserver serve --demo`` (:mod:`.demo_history`: one
unit's last 90 days). Names and texts are fixed placeholders: nothing here is
anything like patient data.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator, Mapping, Sequence

__all__ = [
    "CONTACT_INSERT",
    "EVENT_INSERT",
    "HOUR_WEIGHTS",
    "LEVELS",
    "OUTCOMES",
    "WOULD",
    "contact_rows",
    "pick",
]

# The columns of each row :func:`contact_rows` yields.
CONTACT_INSERT = (
    "INSERT INTO contacts (id, unit_id, queue_id, status, level, intake_level, tags,"
    " reasons, emergency_acknowledged, lang, age, name, text, would_otherwise,"
    " created_at, queued_at, first_picked_at, first_staff_reply_at, closed_at, outcome,"
    " assigned_user_id)"
    " VALUES (?, ?, ?, ?, ?, ?, '[]', '[]', ?, 'sv', 40, '-', '-', ?, ?, ?, ?, ?, ?, ?, ?)"
)
EVENT_INSERT = (
    "INSERT INTO contact_events (contact_id, at, kind, actor_user_id, data) VALUES (?, ?, ?, ?, ?)"
)

LEVELS = (("emergency", 0.03), ("urgent", 0.17), ("standard", 0.55), ("non_urgent", 0.25))
OUTCOMES = (
    ("resolved_in_chat", 0.45),
    ("physical_visit_booked", 0.2),
    ("video_visit_booked", 0.05),
    ("phone_callback", 0.12),
    ("referred_emergency", 0.02),
    ("referred_other_unit", 0.03),
    ("no_response", 0.03),
)
WOULD = (
    ("physical_visit", 0.45),
    ("phone", 0.25),
    ("video", 0.05),
    ("self_care", 0.1),
    ("unknown", 0.15),
)
# Intakes by local hour (07-22 open), peaking mid-morning and early evening.
HOUR_WEIGHTS = [0] * 7 + [4, 9, 10, 9, 7, 6, 7, 7, 6, 6, 7, 8, 7, 5, 3] + [0, 0]


def pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    r, acc = rng.random(), 0.0
    for name, weight in table:
        acc += weight
        if r < acc:
            return name
    return table[-1][0]


def contact_rows(
    n: int,
    units: Sequence[str],
    start: float,
    rng: random.Random,
    staff: Mapping[str, Sequence[int]],
    *,
    days: int = 365,
    id_prefix: str = "k",
    doctor_queue: bool = True,
) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]]]]:
    """``n`` contacts spread over ``days`` days from ``start`` (UTC epoch) and
    over ``units`` in turn: each a row for :data:`CONTACT_INSERT` and its rows
    for :data:`EVENT_INSERT`. ``doctor_queue``: about 15 % go to the unit's
    ``:doctor`` queue (which must exist), else every one to ``:nurse``."""
    hours = [h for h, w in enumerate(HOUR_WEIGHTS) for _ in range(w)]
    for i in range(n):
        unit = units[i % len(units)]
        day = rng.randrange(days)
        # Local hours are approximated with UTC+1 here; the statistics do not
        # care, they only need plausible spread.
        created = start + day * 86400 + (rng.choice(hours) - 1) * 3600 + rng.random() * 3600
        level = pick(rng, LEVELS)
        would = pick(rng, WOULD)
        cid = f"{id_prefix}{i:07d}"
        users = staff[unit]
        events: list[tuple[object, ...]] = [(cid, created, "intake", None, "{}")]
        to_doctor = rng.random() < 0.15  # drawn either way: one sequence per seed
        queue = f"{unit}:doctor" if to_doctor and doctor_queue else f"{unit}:nurse"
        status, outcome, ack = "closed", None, 0
        queued = picked = reply = closed = None
        assigned: int | None = None
        if level == "emergency" and rng.random() < 0.6:
            status = "emergency_advised"  # advised, never acknowledged
        else:
            if level == "emergency":
                ack = 1
            queued = created + (rng.uniform(20, 120) if ack else 0.0)
            wait = rng.expovariate(1 / 600)
            if rng.random() < 0.05:
                outcome, closed = "patient_left", queued + wait
                events.append((cid, closed, "close", None, "{}"))
            else:
                picked = queued + wait
                reply = picked + rng.uniform(15, 120)
                closed = picked + rng.lognormvariate(math.log(600), 0.6)
                outcome = pick(rng, OUTCOMES)
                nurse = assigned = rng.choice(users)
                events.append((cid, picked, "pick", nurse, "{}"))
                if rng.random() < 0.03:
                    up = rng.random() < 0.6
                    data = {"from": "standard", "to": "urgent" if up else "non_urgent"}
                    events.append((cid, picked + 30, "triage_change", nurse, json.dumps(data)))
                if rng.random() < 0.02:
                    moved = picked + 60
                    events.append((cid, moved, "transfer", nurse, "{}"))
                    assigned = rng.choice(users)
                    events.append((cid, moved + 120, "pick", assigned, "{}"))
                events.append((cid, closed, "close", assigned, "{}"))
        row = (
            cid,
            unit,
            queue,
            status,
            level,
            level,
            ack,
            would,
            created,
            queued,
            picked,
            reply,
            closed,
            outcome if status == "closed" else None,
            assigned,
        )
        yield row, events
