"""Operations figures of a unit (or queue) and period, from store aggregates (pure).

docs/statistics.md defines every figure. The store hands over small grouped
rows (:class:`ContactGroup`, duration histograms, hourly counts, override
transitions, assignments); everything here is arithmetic on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from chatserver.core.lifecycle import OUTCOME_ORDER
from chatserver.core.urgency import LEVELS  # most to least urgent

from .concurrency import Spans, concurrency_of_spans
from .percentiles import summary_of
from .timebuckets import STATS_ZONE, local_hour_of

__all__ = [
    "LEVELS",
    "OUTCOMES",
    "ContactTotals",
    "OperationsInput",
    "Satisfaction",
    "busiest_hours",
    "operations_figures",
    "override_direction",
]

OUTCOMES = OUTCOME_ORDER


@dataclass(frozen=True, slots=True)
class ContactTotals:
    """Counts over the period's contacts (one pass of the store, no GROUP BY)."""

    contacts: int = 0
    emergency_advised: int = 0  # advised and never acknowledged
    queued: int = 0  # reached a queue (queued_at set)
    picked: int = 0  # picked at least once (first_picked_at set)
    abandoned: int = 0  # queued, closed as patient_left, never picked
    closed: int = 0
    outcomes: Mapping[str, int] = field(default_factory=dict)  # closed contacts per outcome
    intake_levels: Mapping[str, int] = field(default_factory=dict)
    levels: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Satisfaction:
    responses: int
    eligible: int
    rating_sum: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "responses": self.responses,
            "eligible": self.eligible,
            "mean_rating": round(self.rating_sum / self.responses, 2) if self.responses else None,
            "response_rate": round(self.responses / self.eligible, 4) if self.eligible else 0.0,
        }


@dataclass
class OperationsInput:
    totals: ContactTotals = field(default_factory=ContactTotals)
    waiting: dict[int, int] = field(default_factory=dict)  # seconds -> contacts
    first_reply: dict[int, int] = field(default_factory=dict)
    handling: dict[int, int] = field(default_factory=dict)
    hourly: dict[int, int] = field(default_factory=dict)  # UTC hour number -> contacts
    overrides: dict[tuple[str, str], int] = field(default_factory=dict)  # (from, to) -> events
    override_contacts: int = 0
    staff_spans: Spans = field(default_factory=Spans.empty)  # assignments, clipped at the end
    staff_names: dict[int, str] = field(default_factory=dict)
    satisfaction: Satisfaction | None = None


def override_direction(from_level: str, to_level: str) -> str | None:
    """'up' (made more urgent: the intake under-triaged), 'down' (less urgent:
    over-triaged), or None for no change or an unknown level."""
    if from_level not in LEVELS or to_level not in LEVELS or from_level == to_level:
        return None
    return "up" if LEVELS.index(to_level) < LEVELS.index(from_level) else "down"


def busiest_hours(hourly: Mapping[int, int], zone: ZoneInfo = STATS_ZONE) -> list[list[int]]:
    """7 × 24 matrix of contacts by local weekday (0 = Monday) and local hour."""
    grid = [[0] * 24 for _ in range(7)]
    for utc_hour, count in hourly.items():
        local = local_hour_of(utc_hour, zone)
        grid[local.weekday()][local.hour] += count
    return grid


def _outcomes(totals: ContactTotals) -> dict[str, int]:
    out = {o: totals.outcomes.get(o, 0) for o in OUTCOMES}
    # Given emergency advice and never acknowledged: the contract records
    # these as referred_emergency.
    out["referred_emergency"] += totals.emergency_advised
    out["open"] = totals.contacts - totals.emergency_advised - totals.closed
    return out


def operations_figures(data: OperationsInput, zone: ZoneInfo = STATS_ZONE) -> dict[str, Any]:
    totals = data.totals
    queued, abandoned = totals.queued, totals.abandoned
    up = sum(n for (f, t), n in data.overrides.items() if override_direction(f, t) == "up")
    down = sum(n for (f, t), n in data.overrides.items() if override_direction(f, t) == "down")
    staff = concurrency_of_spans(data.staff_spans)
    return {
        "contacts": totals.contacts,
        "emergency_advised": totals.emergency_advised,
        "queued": queued,
        "picked": totals.picked,
        "waiting_to_pick": summary_of(data.waiting),
        "first_staff_reply": summary_of(data.first_reply),
        "handling": summary_of(data.handling),
        "abandoned": {
            "count": abandoned,
            "rate": round(abandoned / queued, 4) if queued else 0.0,
        },
        "outcomes": _outcomes(totals),
        "triage_levels": {
            "intake": {lv: totals.intake_levels.get(lv, 0) for lv in LEVELS},
            "current": {lv: totals.levels.get(lv, 0) for lv in LEVELS},
        },
        "triage_overrides": {
            "up": up,
            "down": down,
            "contacts": data.override_contacts,
            "transitions": [
                {"from": f, "to": t, "count": n} for (f, t), n in sorted(data.overrides.items())
            ],
        },
        "satisfaction": data.satisfaction.to_dict() if data.satisfaction else None,
        "busiest_hours": busiest_hours(data.hourly, zone),
        "concurrency": {
            "peak": max((s.peak for s in staff), default=0),
            "staff": [s.to_dict(data.staff_names.get(s.user_id)) for s in staff],
        },
    }
