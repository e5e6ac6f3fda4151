"""The statistics rollup: figures of one (unit, local day, queue) packed into a
row of ``stats_rollup_cells`` (migrations 0006 and 0007), and the merging of many cells
into the inputs of :mod:`.operations` and :mod:`.channel_shift` (pure).

A cell holds what the per-contact figures of its contacts add up to: the
totals, chat counts per UTC hour, the three duration histograms, the staff
triage changes and the staff assignments. Every contact belongs to exactly one
cell (its unit, queue and day of intake), so summing cells gives the same
numbers as scanning the contacts; percentiles stay exact because the
histograms are merged, not the percentiles. Assignments are kept as intervals
(an open one ends at +inf) and clipped at the period's end when merged, as the
raw query does. Merging is array work (numpy) over the concatenated blobs: a
region's year is ~22,000 cells holding a million values of each kind.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
import orjson

from .channel_shift import ChatCounts
from .concurrency import Spans
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
    totals: list[int] = field(default_factory=list)  # figures_sql.TOTALS order
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
    # Every value repeated by its count: merging is then one count table
    # (numpy.bincount) over the concatenation, with no per-cell work in Python.
    return array("i", (v for v, n in sorted(histogram.items()) for _ in range(n))).tobytes()


def encode(cell: Cell) -> Row:
    """The cell as stored (``totals`` must have one entry per TOTALS name)."""
    # The UTC hour of every contact, of every resolved and of every shifted
    # one: merging is one count table per kind.
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
    # (user id, start, end) float64 triples, sorted: merging a year is then one
    # concatenation viewed as three columns. Intervals without length are left
    # out (the sweep ignores them; clipping at a period's end only shortens).
    kept = sorted(a for a in assignments if a[2] > a[1])
    return array("d", (float(v) for a in kept for v in a)).tobytes()


def _counts(flat: npt.NDArray[np.int32]) -> dict[int, int]:
    """value -> occurrences. Durations and hour numbers span a small range, so
    a count table replaces sorting (np.unique for a wide spread)."""
    if not flat.size:
        return {}
    lo, hi = int(flat.min()), int(flat.max())
    if hi - lo > 4 * flat.size + 65_536:
        values, counts = np.unique(flat, return_counts=True)
        return dict(zip(values.tolist(), counts.tolist(), strict=True))
    table = np.bincount(flat.astype(np.int64) - lo)
    present = np.flatnonzero(table)
    return dict(zip((present + lo).tolist(), table[present].tolist(), strict=True))


def merge_totals(blobs: Iterable[bytes], width: int) -> list[int]:
    """Element-wise sum of packed totals of ``width`` entries each."""
    flat = np.frombuffer(b"".join(blobs), np.int64)
    if flat.size % width:
        raise ValueError("a rollup totals row has the wrong width")
    return [int(v) for v in flat.reshape(-1, width).sum(axis=0, dtype=np.int64)]


def merge_histograms(blobs: Iterable[bytes]) -> dict[int, int]:
    """Sum of packed histograms (int32 values, each repeated by its count)."""
    return _counts(np.frombuffer(b"".join(blobs), np.int32))


def merge_hours(blobs: Iterable[bytes]) -> dict[int, int]:
    """UTC hour -> contacts, from packed hours (int32, one per contact)."""
    return _counts(np.frombuffer(b"".join(blobs), np.int32))


def decode_overrides(text: str) -> list[tuple[str, str, int]]:
    # orjson: a region's year has ~13,000 cells with staff triage changes.
    return [(str(f), str(t), int(n)) for f, t, n in orjson.loads(text)]


def decode_assignments(blobs: Iterable[bytes], end: float) -> Spans:
    """The packed assignments of many cells, each clipped at ``end`` (the
    period's end); those left without length are dropped."""
    triples = np.frombuffer(b"".join(blobs), np.float64).reshape(-1, 3)
    users = triples[:, 0].astype(np.int64)
    return Spans(users, triples[:, 1], triples[:, 2]).clipped(end)  # clipping copies


def days_of(start: float, end: float) -> list[date] | None:
    """The local days exactly covering ``[start, end)``, or None when the
    bounds are not local midnights (then the rollup cannot answer)."""
    first = datetime.fromtimestamp(start, STATS_ZONE).date()
    after = datetime.fromtimestamp(end, STATS_ZONE).date()
    if day_start_utc(first) != start or day_start_utc(after) != end or after <= first:
        return None
    return [first + timedelta(days=i) for i in range((after - first).days)]
