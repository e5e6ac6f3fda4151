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

import orjson

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
Row = tuple[bytes, bytes, bytes, bytes, bytes, bytes, bytes, str, int, bytes]


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
    # The UTC hour of every contact, of every resolved and of every shifted
    # one: merging is a C-level Counter per kind.
    counts = sorted(cell.hours.items())
    n, res, sh = (
        array("i", (h for h, c in counts for _ in range(getattr(c, attr)))).tobytes()
        for attr in ("contacts", "resolved", "shifted_from_physical")
    )
    return (
        _pack(cell.totals),
        n,
        res,
        sh,
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
        # Starts and ends each sorted (the sweep needs them so, never the
        # pairs): the last end tells whether the group needs clipping at all,
        # and sorting a concatenation of sorted runs is cheap.
        out.extend((float(user), float(len(starts))))
        out.extend(sorted(starts))
        out.extend(sorted(ends))
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


def merge_hours(blobs: Iterable[bytes]) -> Counter[int]:
    """UTC hour -> contacts, from packed hours (int32, one per contact)."""
    flat = array("i")
    flat.frombytes(b"".join(blobs))
    return Counter(flat)


def decode_overrides(text: str) -> list[tuple[str, str, int]]:
    # orjson: a region's year has ~13,000 cells with staff triage changes.
    return [(str(f), str(t), int(n)) for f, t, n in orjson.loads(text)]


def decode_assignments(blobs: Sequence[bytes], end: float) -> StaffSpans:
    """Intervals per staff member, each clipped at ``end`` (the period's end);
    those left without length are dropped, as the sweep would ignore them.
    Each member's starts and ends come back as two float arrays (not paired)."""
    flat = array("d")
    flat.frombytes(b"".join(blobs))
    # Keyed by the float user id while decoding (one conversion per member,
    # not per group: a region's year has ~190,000 groups).
    spans: dict[float, tuple[array[float], array[float]]] = {}
    get = spans.get
    i, size = 0, len(flat)
    while i < size:
        user = flat[i]
        middle = i + 2 + int(flat[i + 1])  # after the n starts
        stop = 2 * middle - i - 2  # after the n ends
        got = get(user)
        if got is None:
            got = spans[user] = (array("d"), array("d"))
        if flat[stop - 1] < end:  # the last end, the group's latest: nothing to clip
            # array to array: a copy of memory, no float objects
            got[0].extend(flat[i + 2 : middle])
            got[1].extend(flat[middle:stop])
        else:
            # An interval starting at or after ``end`` is clipped to nothing
            # and dropped, its end (> its start) is among those >= ``end``; any
            # other keeps its start and ends at min(end, its end) > its start.
            # So: drop those starts and as many of the (sorted) ends clipped to
            # ``end``: the same lists as clipping pair by pair.
            kept = [s for s in flat[i + 2 : middle] if s < end]
            clipped = [e if e < end else end for e in flat[middle:stop]]
            got[0].extend(kept)
            got[1].extend(clipped[: len(kept)])
        i = stop
    return {int(user): lists for user, lists in spans.items()}


def days_of(start: float, end: float) -> list[date] | None:
    """The local days exactly covering ``[start, end)``, or None when the
    bounds are not local midnights (then the rollup cannot answer)."""
    first = datetime.fromtimestamp(start, STATS_ZONE).date()
    after = datetime.fromtimestamp(end, STATS_ZONE).date()
    if day_start_utc(first) != start or day_start_utc(after) != end or after <= first:
        return None
    return [first + timedelta(days=i) for i in range((after - first).days)]
