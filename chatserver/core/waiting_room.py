"""Waiting-room order, positions and queue summaries (pure).

Order
-----
1. Tier first: tier 0 (``TIER_FRONT``) holds acknowledged emergencies and
   contacts sent back to the front (their staff member vanished); everything
   else is tier 1 (``TIER_NORMAL``).
2. Within a tier, by ``priority_key`` ascending, then arrival, then id.

Ageing rule
-----------
``priority_key = enqueued_at - AGEING_CREDIT_S[level]``. A contact of a more
urgent level gets a head start, so among contacts that arrive within an hour of
each other the order is urgent, standard, non_urgent, then arrival. But the
head start is finite: a non-urgent contact that has waited 60 minutes longer
than a standard one goes before it, and 120 minutes longer than an urgent one.
Nobody starves, and because the key does not depend on "now" it is computed
once at enqueue time and indexed by the database.

The credits come from the service's own wait targets: urgent contacts should
be picked within 15 minutes (the escalation default), standard ones within
the hour; a credit of 4–8 times the target keeps the clinical order in every
normal day while bounding the wait of the least urgent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

TIER_FRONT = 0
TIER_NORMAL = 1

AGEING_CREDIT_S: Mapping[str, float] = {
    # An un-acknowledged emergency is never queued; a contact raised to
    # emergency while waiting also moves to TIER_FRONT. The credit is only a
    # tie-breaker inside that tier.
    "emergency": 24 * 3600.0,
    "urgent": 120 * 60.0,
    "standard": 60 * 60.0,
    "non_urgent": 0.0,
}


def priority_key(level: str, enqueued_at: float) -> float:
    """The static sort key of a contact entering a queue at ``enqueued_at``."""
    return enqueued_at - AGEING_CREDIT_S.get(level, 0.0)


def tier_for(level: str, *, red_flag: bool) -> int:
    """Acknowledged emergencies (red flag) and emergency-level contacts go first."""
    return TIER_FRONT if red_flag or level == "emergency" else TIER_NORMAL


@dataclass(frozen=True, slots=True)
class WaitingEntry:
    contact_id: str
    level: str
    tags: tuple[str, ...]
    red_flag: bool
    priority_tier: int
    priority_key: float
    queued_at: float

    def sort_key(self) -> tuple[int, float, float, str]:
        return (self.priority_tier, self.priority_key, self.queued_at, self.contact_id)


@dataclass(frozen=True, slots=True)
class QueueSummary:
    count: int
    oldest_wait_s: int
    red_flags: int
    by_level: Mapping[str, int]


class WaitingRoom:
    """An ordered snapshot of one queue's waiting contacts."""

    __slots__ = ("_entries", "_positions")

    def __init__(self, entries: Iterable[WaitingEntry] = ()) -> None:
        self._entries = tuple(sorted(entries, key=WaitingEntry.sort_key))
        self._positions = {e.contact_id: i + 1 for i, e in enumerate(self._entries)}

    @property
    def entries(self) -> tuple[WaitingEntry, ...]:
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def first(self) -> WaitingEntry | None:
        """The contact the next ``pick`` takes."""
        return self._entries[0] if self._entries else None

    def position(self, contact_id: str) -> int | None:
        """1-based place in line, None when not waiting here."""
        return self._positions.get(contact_id)

    def positions(self) -> Mapping[str, int]:
        return self._positions

    def changed_since(self, previous: Mapping[str, int]) -> dict[str, int]:
        """Contacts whose position differs from ``previous`` (new ones included)."""
        return {cid: pos for cid, pos in self._positions.items() if previous.get(cid) != pos}

    def summary(self, now: float) -> QueueSummary:
        by_level: dict[str, int] = {}
        for e in self._entries:
            by_level[e.level] = by_level.get(e.level, 0) + 1
        oldest = min((e.queued_at for e in self._entries), default=now)
        return QueueSummary(
            count=len(self._entries),
            oldest_wait_s=max(0, int(now - oldest)),
            red_flags=sum(1 for e in self._entries if e.red_flag),
            by_level=by_level,
        )
