"""``serve --demo``'s statistics history: the demo unit's last 90 days.

Contacts with triage levels, waits, outcomes and what the patient would
otherwise have done come from :mod:`.synthetic` (the statistics benchmark's
generator); satisfaction answers and the visit counts of the other channels
(physical, phone, video: what an import would bring) are drawn here, so every
figure on /manager, the channel-shift share included, has data at the first
start. :func:`history` is pure; :func:`write_history` is its storage plan
(either engine), run once when the demo unit is created.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from chatserver.storage.plan import Plan, many

from .synthetic import CONTACT_INSERT, EVENT_INSERT, contact_rows

__all__ = ["DAYS", "History", "history", "write_history"]

DAYS = 90
# Chats a day at a mid-sized health centre that has offered chat for a while.
CONTACTS_PER_DAY = 30
# Share of closed chats whose patient answers the satisfaction question, and
# the answers (1-5) with their weights.
ANSWER_SHARE = 0.35
RATINGS = ((5, 0.45), (4, 0.3), (3, 0.14), (2, 0.07), (1, 0.04))
# Visits a weekday in the other channels (weekends closed), before noise.
VISITS_PER_WEEKDAY = {"physical": 70, "phone": 55, "video": 4}
SEED = 17

SURVEY_INSERT = (
    "INSERT INTO survey_answers (contact_id, unit_id, rating, comment, answered_at)"
    " VALUES (?, ?, ?, NULL, ?)"
)
VISITS_INSERT = (
    "INSERT INTO visit_counts (date, unit_id, channel, count, imported_at, imported_by)"
    " VALUES (?, ?, ?, ?, ?, NULL)"
)


@dataclass(slots=True)
class History:
    contacts: list[tuple[object, ...]] = field(default_factory=list)
    events: list[tuple[object, ...]] = field(default_factory=list)
    answers: list[tuple[object, ...]] = field(default_factory=list)
    visits: list[tuple[object, ...]] = field(default_factory=list)


def _rating(rng: random.Random) -> int:
    r, acc = rng.random(), 0.0
    for rating, weight in RATINGS:
        acc += weight
        if r < acc:
            return rating
    return RATINGS[-1][0]


def history(unit_id: str, staff: Sequence[int], now: float, seed: int = SEED) -> History:
    """The ``DAYS`` whole days before ``now``'s (UTC) day, for one unit whose
    chats are picked by ``staff`` (user ids); deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - synthetic demo figures, no secret
    today = datetime.fromtimestamp(now, UTC).date()
    first = today - timedelta(days=DAYS)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp()
    out = History()
    generated = contact_rows(
        DAYS * CONTACTS_PER_DAY,
        [unit_id],
        start,
        rng,
        {unit_id: list(staff)},
        days=DAYS,
        id_prefix="demo-",
        doctor_queue=False,
    )
    for row, events in generated:
        # emergency_acknowledged as a boolean (an INTEGER on SQLite, BOOLEAN on PostgreSQL).
        out.contacts.append((*row[:6], bool(row[6]), *row[7:]))
        out.events.extend(events)
        closed_at, outcome = row[12], row[13]
        if outcome is not None and outcome != "patient_left" and rng.random() < ANSWER_SHARE:
            assert isinstance(closed_at, float)
            out.answers.append((row[0], unit_id, _rating(rng), closed_at + rng.uniform(10, 300)))
    for offset in range(DAYS):
        day: date = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for channel, mean in VISITS_PER_WEEKDAY.items():
            count = max(0, round(rng.gauss(mean, mean * 0.12)))
            out.visits.append((day.isoformat(), unit_id, channel, count, now))
    return out


def write_history(h: History) -> Plan[int]:
    """Insert it all (one transaction); returns the number of contacts."""
    yield many(CONTACT_INSERT, h.contacts)
    yield many(EVENT_INSERT, h.events)
    yield many(SURVEY_INSERT, h.answers)
    yield many(VISITS_INSERT, h.visits)
    return len(h.contacts)
