"""Triage safety in real use: the red-flag screen and the learned safety net.

Figures over the contacts created in a period (see docs/statistics.md):
- `screens_answered`: contacts whose intake carried screen answers;
- `screens_yes`: of those, with at least one yes (the patient was told to call 112);
- `screens_yes_continued`: of those, queued to chat anyway (acknowledged the advice);
- `followups_asked` / `followups_yes`: contacts asked follow-up questions while
  waiting, and those who answered one yes (raised to emergency);
- `model_raised`: contacts whose level the safety net raised (at intake or later);
- `model_raised_overridden_down`: of those, where staff later set a less urgent level;
- `model_false_alarm_rate`: `model_raised_overridden_down / model_raised` (0 when none).

Pure: `summarize` takes the rows the stores read (one query, the same on both engines:
`SAFETY_EVENTS_SQL`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chatserver.core.urgency import LEVEL_RANK

KINDS = ("screening", "followup_asked", "followup", "model_raise", "triage_change")

# Events of the period's contacts, in order; `{where}` is the stores' contact filter on
# alias c. Both engines run this text (placeholders adapted by the store).
SAFETY_EVENTS_SQL = (
    "SELECT e.contact_id, e.kind, e.actor_user_id, e.data, c.emergency_acknowledged"
    " FROM contact_events AS e JOIN contacts AS c ON c.id = e.contact_id"
    " WHERE e.kind IN ('screening', 'followup_asked', 'followup', 'model_raise',"
    " 'triage_change') AND {where} ORDER BY e.contact_id, e.id"
)


@dataclass(frozen=True, slots=True)
class SafetyEvent:
    contact_id: str
    kind: str
    actor_user_id: int | None
    data: Mapping[str, Any]
    emergency_acknowledged: bool


def event_from_row(row: Any) -> SafetyEvent:
    """A row of SAFETY_EVENTS_SQL (data is JSON text on both engines)."""
    contact_id, kind, actor, data, acknowledged = row
    parsed = json.loads(data) if isinstance(data, str | bytes) else dict(data or {})
    return SafetyEvent(
        str(contact_id),
        str(kind),
        int(actor) if actor is not None else None,
        parsed if isinstance(parsed, dict) else {},
        bool(acknowledged),
    )


def summarize(events: Iterable[SafetyEvent]) -> dict[str, Any]:
    """The figures of the module docstring."""
    answered: set[str] = set()
    yes: set[str] = set()
    continued: set[str] = set()
    asked: set[str] = set()
    followup_yes: set[str] = set()
    raised: set[str] = set()
    overridden: set[str] = set()
    for e in events:
        if e.kind == "screening":
            answered.add(e.contact_id)
            if e.data.get("yes"):
                yes.add(e.contact_id)
                if e.emergency_acknowledged:
                    continued.add(e.contact_id)
        elif e.kind == "followup_asked":
            asked.add(e.contact_id)
        elif e.kind == "followup" and e.data.get("yes"):
            followup_yes.add(e.contact_id)
        elif e.kind == "model_raise":
            raised.add(e.contact_id)
        elif e.kind == "triage_change" and e.actor_user_id is not None:
            before = LEVEL_RANK.get(str(e.data.get("from")), 3)
            after = LEVEL_RANK.get(str(e.data.get("to")), 3)
            if e.contact_id in raised and after > before:
                overridden.add(e.contact_id)
    return {
        "screens_answered": len(answered),
        "screens_yes": len(yes),
        "screens_yes_continued": len(continued),
        "followups_asked": len(asked),
        "followups_yes": len(followup_yes),
        "model_raised": len(raised),
        "model_raised_overridden_down": len(overridden),
        "model_false_alarm_rate": round(len(overridden) / len(raised), 4) if raised else 0.0,
    }
