"""Waiting-room order, positions and queue summaries (pure).

Order
-----
1. Tier first: tier 0 (``TIER_FRONT``) holds acknowledged emergencies and
   emergency-level contacts; everything else is tier 1 (``TIER_NORMAL``).
   A contact sent back (its staff member vanished, a transfer, a pick that
   could not be audited) keeps the tier of its level and its original
   arrival time (``queued_at``): it goes before the later arrivals of its
   level and never before a more urgent level that the ageing rule below
   would not put behind it anyway.
2. Within a tier, by ``priority_key`` ascending, then arrival (``created_at``,
   the intake time), then id. The database orders picks the same way
   (``storage.contacts.WAITING_ORDER``, checked by tests/core/test_waiting_room.py).

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

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from triage.model import Level

TIER_FRONT = 0
TIER_NORMAL = 1

# Keyed by the levels of the one urgency order (chatserver.core.urgency); the
# credits shrink along it (tests/core/test_waiting_room.py holds them to that).
AGEING_CREDIT_S: Mapping[str, float] = {
    # An un-acknowledged emergency is never queued; a contact raised to
    # emergency while waiting also moves to TIER_FRONT. The credit is only a
    # tie-breaker inside that tier.
    Level.EMERGENCY: 24 * 3600.0,
    Level.URGENT: 120 * 60.0,
    Level.STANDARD: 60 * 60.0,
    Level.NON_URGENT: 0.0,
}


def priority_key(level: str, enqueued_at: float) -> float:
    """The static sort key of a contact entering a queue at ``enqueued_at``."""
    return enqueued_at - AGEING_CREDIT_S.get(level, 0.0)


# A queue row shows about one line of the complaint.
PREVIEW_CHARS = 80


def preview_of(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The first words of ``text`` on one line: whitespace collapsed, cut at a
    word boundary within ``limit`` characters (an ellipsis marks the cut).
    Only the head of the text is looked at: the cost does not grow with a
    4,000-character complaint (a room reload makes one per waiting contact)."""
    text = text.lstrip()
    head = text[: limit * 3]
    flat = " ".join(head.split())
    if len(flat) <= limit and len(head) == len(text):
        return flat
    cut = flat[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def tier_for(level: str, *, red_flag: bool) -> int:
    """Acknowledged emergencies (red flag) and emergency-level contacts go first."""
    return TIER_FRONT if red_flag or level == Level.EMERGENCY else TIER_NORMAL


@dataclass(frozen=True, slots=True)
class WaitingEntry:
    contact_id: str
    level: str
    tags: tuple[str, ...]
    red_flag: bool
    priority_tier: int
    priority_key: float
    queued_at: float
    created_at: float  # intake time: the tie-break after the priority key
    # What raised the level (triage reasons as stored), shown on the staff's queue row.
    reasons: tuple[Mapping[str, Any], ...] = field(default=(), compare=False)
    # Bound to a person (e-legitimation): the staff's queue row shows it, nothing more.
    identified: bool = False
    # What a nurse reads before picking: the display name, the language, and
    # the first words of the complaint (:func:`preview_of`, cut once when the
    # entry is made, never per push).
    name: str = ""
    lang: str = ""
    preview: str = ""

    def sort_key(self) -> tuple[int, float, float, str]:
        return (self.priority_tier, self.priority_key, self.created_at, self.contact_id)


@dataclass(frozen=True, slots=True)
class QueueSummary:
    count: int
    oldest_wait_s: int
    red_flags: int
    by_level: Mapping[str, int]


class WaitingRoom:
    """One queue's waiting contacts in order, kept current by :meth:`add` and
    :meth:`remove` between loads (an arrival or a pick costs O(log n) to find
    and one list move, not a reload and a sort of the whole queue)."""

    __slots__ = (
        "_by_id",
        "_entries",
        "_keys",
        "_levels",
        "_low",
        "_oldest",
        "_positions",
        "_red_flags",
        "_removed",
    )

    def __init__(self, entries: Iterable[WaitingEntry] = ()) -> None:
        unique = {e.contact_id: e for e in entries}
        self._entries = sorted(unique.values(), key=WaitingEntry.sort_key)
        self._keys = [e.sort_key() for e in self._entries]
        self._by_id = unique
        self._levels: dict[str, int] = {}
        for e in self._entries:
            self._levels[e.level] = self._levels.get(e.level, 0) + 1
        self._red_flags = sum(1 for e in self._entries if e.red_flag)
        # Derived views, rebuilt on demand after a change. The position map is
        # handed out and never changed afterwards; after a change it is rebuilt
        # from the lowest index changed since (``_low``, None: unchanged), as
        # the entries before it kept their places, and without the contacts
        # removed since. An arrival near the end of a long line then costs a
        # copy of the map, not a renumbering of every entry.
        self._positions: dict[str, int] | None = None
        self._low: int | None = 0
        self._removed: list[str] = []
        self._oldest: float | None = None

    @property
    def entries(self) -> tuple[WaitingEntry, ...]:
        return tuple(self._entries)

    def head(self, n: int) -> list[WaitingEntry]:
        """The first ``n`` contacts in line (what a dashboard lists)."""
        return self._entries[:n]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, contact_id: object) -> bool:
        return contact_id in self._by_id

    def first(self) -> WaitingEntry | None:
        """The contact the next ``pick`` takes."""
        return self._entries[0] if self._entries else None

    def add(self, entry: WaitingEntry) -> None:
        """Insert ``entry`` in order, replacing the contact's previous entry."""
        self.remove(entry.contact_id)
        key = entry.sort_key()
        i = bisect.bisect_left(self._keys, key)
        self._keys.insert(i, key)
        self._entries.insert(i, entry)
        self._by_id[entry.contact_id] = entry
        self._levels[entry.level] = self._levels.get(entry.level, 0) + 1
        self._red_flags += entry.red_flag
        self._changed_at(i)
        if self._oldest is not None:
            self._oldest = min(self._oldest, entry.queued_at)

    def remove(self, contact_id: str) -> bool:
        """Take a contact out of line; False when it was not waiting here."""
        entry = self._by_id.pop(contact_id, None)
        if entry is None:
            return False
        i = bisect.bisect_left(self._keys, entry.sort_key())
        del self._keys[i]
        del self._entries[i]
        left = self._levels[entry.level] - 1
        if left:
            self._levels[entry.level] = left
        else:
            del self._levels[entry.level]
        self._red_flags -= entry.red_flag
        self._changed_at(i)
        if self._low:  # (from 0 the map is rebuilt whole: no list needed)
            self._removed.append(contact_id)
        else:
            self._removed.clear()
        if self._oldest == entry.queued_at:
            self._oldest = None
        return True

    def _changed_at(self, index: int) -> None:
        """An entry was inserted or removed at ``index``: places from there on moved."""
        if self._low is None or index < self._low:
            self._low = index

    def same_as(self, other: WaitingRoom) -> bool:
        """The same contacts in the same order with the same details."""
        return self._entries == other._entries

    def position(self, contact_id: str) -> int | None:
        """1-based place in line, None when not waiting here."""
        return self.positions().get(contact_id)

    def positions(self) -> Mapping[str, int]:
        """Contact id -> 1-based place; the map is not changed once returned."""
        low, built = self._low, self._positions
        if low is None and built is not None:
            return built
        if built is None or not low:
            fresh = {e.contact_id: i for i, e in enumerate(self._entries, 1)}
        else:
            fresh = dict(built)
            for cid in self._removed:
                fresh.pop(cid, None)
            for i, e in enumerate(self._entries[low:], low + 1):
                fresh[e.contact_id] = i
        self._positions, self._low, self._removed = fresh, None, []
        return fresh

    def changed_since(self, previous: Mapping[str, int]) -> dict[str, int]:
        """Contacts whose position differs from ``previous`` (new ones included).
        When ``previous`` is this room's last :meth:`positions` map, only the
        entries from the lowest index changed since are compared."""
        low = 0
        if previous is self._positions and previous is not None:
            low = len(self._entries) if self._low is None else self._low
        current = self.positions()
        get = previous.get
        if not low:
            return {cid: pos for cid, pos in current.items() if get(cid) != pos}
        return {
            e.contact_id: i
            for i, e in enumerate(self._entries[low:], low + 1)
            if get(e.contact_id) != i
        }

    def summary(self, now: float) -> QueueSummary:
        if self._oldest is None and self._entries:
            self._oldest = min(e.queued_at for e in self._entries)
        oldest = now if self._oldest is None or not self._entries else self._oldest
        return QueueSummary(
            count=len(self._entries),
            oldest_wait_s=max(0, int(now - oldest)),
            red_flags=self._red_flags,
            by_level=dict(self._levels),
        )
