"""The statistics rollup: figures of one (unit, local day, queue) packed into a
row of ``stats_rollup_cells`` (migration 0006), and the merging of many cells
into the inputs of :mod:`.operations` and :mod:`.channel_shift` (pure).

A cell holds what the per-contact figures of its contacts add up to: the
totals, chat counts per UTC hour, the three duration histograms, the staff
triage changes and the staff assignments. Every contact belongs to exactly one
cell (its unit, queue and day of intake), so summing cells gives the same
numbers as scanning the contacts; percentiles stay exact because the
histograms are merged, not the percentiles. Assignments are kept as intervals
(an open one ends at +inf) and clipped at the period's end when merged, as the
raw query does.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from .channel_shift import ChatCounts
from .concurrency import StaffSpans
from .timebuckets import STATS_ZONE, day_start_utc

__all__ = [
    "Cell",
    "Row",
    "days_of",
    "decode_assignments",
    "decode_overrides",
    "encode",
    "merge_histograms",
    "merge_hours",
    "merge_totals",
]

# One stats_rollup_cells row after unit_id, day, queue_id, in column order.
Row = tuple[bytes, bytes, bytes, bytes, bytes, str, int, bytes]


@dataclass
class Cell:
    """The figures of the contacts of one unit and queue with intake on ``day``."""

    unit_id: str
    day: date
    queue_id: str
    totals: list[int] = field(default_factory=list)  # totals_sql.TOTALS order
    hours: dict[int, ChatCounts] = field(default_factory=dict)  # UTC hour number ->
    waiting: dict[int, int] = field(default_factory=dict)  # seconds -> contacts
    first_reply: dict[int, int] = field(default_factory=dict)
    handling: dict[int, int] = field(default_factory=dict)
    overrides: dict[tuple[str, str], int] = field(default_factory=dict)
    override_contacts: int = 0
    # (user id, start, end); end is +inf for an assignment still open.
    assignments: list[tuple[int, float, float]] = field(default_factory=list)


def _pack(values: Iterable[int]) -> bytes:
    return array("q", values).tobytes()


def _values(histogram: dict[int, int]) -> bytes:
    # Every value repeated by its count: merging is then one C-level Counter
    # over the concatenation (cheaper than adding (value, count) pairs in Python).
    return array("i", (v for v, n in sorted(histogram.items()) for _ in range(n))).tobytes()


def encode(cell: Cell) -> Row:
    """The cell as stored (``totals`` must have one entry per TOTALS name)."""
    # Three counts, then the UTC hour of every contact, of every resolved and
    # of every shifted one: merging is three C-level Counters.
    counts = sorted(cell.hours.items())
    hours = array(
        "i",
        [
            sum(c.contacts for _, c in counts),
            sum(c.resolved for _, c in counts),
            sum(c.shifted_from_physical for _, c in counts),
        ],
    )
    for attr in ("contacts", "resolved", "shifted_from_physical"):
        hours.extend(h for h, c in counts for _ in range(getattr(c, attr)))
    return (
        _pack(cell.totals),
        hours.tobytes(),
        _values(cell.waiting),
        _values(cell.first_reply),
        _values(cell.handling),
        json.dumps(sorted([f, t, n] for (f, t), n in cell.overrides.items())),
        cell.override_contacts,
        _pack_assignments(cell.assignments),
    )


def _pack_assignments(assignments: Sequence[tuple[int, float, float]]) -> bytes:
    # Grouped by staff member (user id, n, n starts, n ends) so that merging
    # extends each member's lists in one go instead of per interval. Intervals
    # without length are left out (the sweep ignores them; clipping at a
    # period's end only shortens an interval).
    by_user: dict[int, tuple[list[float], list[float]]] = {}
    for user, start, end in sorted(assignments):
        if end > start:
            starts, ends = by_user.setdefault(user, ([], []))
            starts.append(start)
            ends.append(end)
    out = array("d")
    for user, (starts, ends) in by_user.items():
        out.extend((float(user), float(len(starts))))
        out.extend(starts)
        out.extend(ends)
    return out.tobytes()


def _ints(blobs: Iterable[bytes]) -> array[int]:
    out = array("q")
    out.frombytes(b"".join(blobs))
    return out


def merge_totals(blobs: Iterable[bytes], width: int) -> list[int]:
    """Element-wise sum of packed totals of ``width`` entries each."""
    flat = _ints(blobs)
    if len(flat) % width:
        raise ValueError("a rollup totals row has the wrong width")
    return [sum(flat[i::width]) for i in range(width)]


def merge_histograms(blobs: Iterable[bytes]) -> Counter[int]:
    """Sum of packed histograms (int32 values, each repeated by its count)."""
    flat = array("i")
    flat.frombytes(b"".join(blobs))
    return Counter(flat)


def merge_hours(blobs: Iterable[bytes]) -> dict[int, list[int]]:
    """UTC hour -> [contacts, resolved_in_chat, shifted_from_physical], summed."""
    kinds = (array("i"), array("i"), array("i"))
    for blob in blobs:
        cell = array("i")
        cell.frombytes(blob)
        at = 3
        for kind, n in zip(kinds, cell[:3], strict=True):
            kind.extend(cell[at : at + n])
            at += n
    contacts, resolved, shifted = (Counter(kind) for kind in kinds)
    return {h: [n, resolved[h], shifted[h]] for h, n in contacts.items()}


def decode_overrides(text: str) -> list[tuple[str, str, int]]:
    return [(str(f), str(t), int(n)) for f, t, n in json.loads(text)]


def decode_assignments(blobs: Sequence[bytes], end: float) -> StaffSpans:
    """Intervals per staff member, each clipped at ``end`` (the period's end);
    those left without length are dropped, as the sweep would ignore them."""
    flat = array("d")
    flat.frombytes(b"".join(blobs))
    spans: StaffSpans = {}
    i, size = 0, len(flat)
    while i < size:
        user, n = int(flat[i]), int(flat[i + 1])
        first, middle, stop = i + 2, i + 2 + n, i + 2 + 2 * n
        starts, ends = spans.setdefault(user, ([], []))
        group_ends = flat[middle:stop]
        if max(group_ends) < end:  # nothing to clip: most groups
            starts.extend(flat[first:middle])
            ends.extend(group_ends)
        else:
            for s, e in zip(flat[first:middle], group_ends, strict=True):
                clipped = min(e, end)
                if clipped > s:
                    starts.append(s)
                    ends.append(clipped)
        i = stop
    return spans


def days_of(start: float, end: float) -> list[date] | None:
    """The local days exactly covering ``[start, end)``, or None when the
    bounds are not local midnights (then the rollup cannot answer)."""
    first = datetime.fromtimestamp(start, STATS_ZONE).date()
    after = datetime.fromtimestamp(end, STATS_ZONE).date()
    if day_start_utc(first) != start or day_start_utc(after) != end or after <= first:
        return None
    return [first + timedelta(days=i) for i in range((after - first).days)]
