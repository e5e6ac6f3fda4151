"""Operations figures of a unit (or queue) and period, from store aggregates (pure).

docs/statistics.md defines every figure. The store hands over small grouped
rows (:class:`ContactGroup`, duration histograms, hourly counts, override
transitions, assignments); everything here is arithmetic on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from .concurrency import Assignment, concurrency_by_staff
from .percentiles import summary_of
from .timebuckets import STATS_ZONE, local_hour_of

__all__ = [
    "LEVELS",
    "OUTCOMES",
    "ContactGroup",
    "OperationsInput",
    "Satisfaction",
    "busiest_hours",
    "operations_figures",
    "override_direction",
]

# Most to least urgent (PROTOCOL.md "Intake").
LEVELS = ("emergency", "urgent", "standard", "non_urgent")
OUTCOMES = (
    "resolved_in_chat",
    "physical_visit_booked",
    "video_visit_booked",
    "phone_callback",
    "referred_emergency",
    "referred_other_unit",
    "patient_left",
    "no_response",
)


@dataclass(frozen=True, slots=True)
class ContactGroup:
    """Number of contacts sharing these attributes (one row of a GROUP BY)."""

    status: str
    outcome: str | None
    level: str
    intake_level: str
    queued: bool  # reached a queue (queued_at set)
    picked: bool  # picked at least once (first_picked_at set)
    count: int


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
    groups: list[ContactGroup] = field(default_factory=list)
    waiting: dict[int, int] = field(default_factory=dict)  # seconds -> contacts
    first_reply: dict[int, int] = field(default_factory=dict)
    handling: dict[int, int] = field(default_factory=dict)
    hourly: dict[int, int] = field(default_factory=dict)  # UTC hour number -> contacts
    overrides: dict[tuple[str, str], int] = field(default_factory=dict)  # (from, to) -> events
    override_contacts: int = 0
    assignments: list[Assignment] = field(default_factory=list)
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


def _by(groups: Iterable[ContactGroup], attr: str, keys: Sequence[str]) -> dict[str, int]:
    out = dict.fromkeys(keys, 0)
    for g in groups:
        key = getattr(g, attr)
        out[key] = out.get(key, 0) + g.count
    return out


def _outcomes(groups: Sequence[ContactGroup]) -> dict[str, int]:
    out = dict.fromkeys(OUTCOMES, 0)
    out["open"] = 0
    for g in groups:
        if g.status == "emergency_advised":
            # Given emergency advice and never acknowledged: the contract
            # records these as referred_emergency.
            out["referred_emergency"] += g.count
        elif g.status == "closed" and g.outcome is not None:
            out[g.outcome] = out.get(g.outcome, 0) + g.count
        else:
            out["open"] += g.count
    return out


def operations_figures(data: OperationsInput, zone: ZoneInfo = STATS_ZONE) -> dict[str, Any]:
    groups = data.groups
    contacts = sum(g.count for g in groups)
    queued = sum(g.count for g in groups if g.queued)
    abandoned = sum(
        g.count
        for g in groups
        if g.queued and not g.picked and g.status == "closed" and g.outcome == "patient_left"
    )
    up = sum(n for (f, t), n in data.overrides.items() if override_direction(f, t) == "up")
    down = sum(n for (f, t), n in data.overrides.items() if override_direction(f, t) == "down")
    staff = concurrency_by_staff(data.assignments)
    return {
        "contacts": contacts,
        "emergency_advised": sum(g.count for g in groups if g.status == "emergency_advised"),
        "queued": queued,
        "picked": sum(g.count for g in groups if g.picked),
        "waiting_to_pick": summary_of(data.waiting),
        "first_staff_reply": summary_of(data.first_reply),
        "handling": summary_of(data.handling),
        "abandoned": {
            "count": abandoned,
            "rate": round(abandoned / queued, 4) if queued else 0.0,
        },
        "outcomes": _outcomes(groups),
        "triage_levels": {
            "intake": _by(groups, "intake_level", LEVELS),
            "current": _by(groups, "level", LEVELS),
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
