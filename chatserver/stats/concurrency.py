"""Concurrent chats per staff member (pure sweep line, vectorised).

An *assignment* is the interval from a pick to the next transfer, requeue or
close of that contact (or the end of the period if none came). For each staff
member: ``peak`` = the most assignments open at one instant, and ``mean`` =
the time-weighted mean number open while at least one was open.

A region's year has a million assignments, so the sweep works on three
parallel arrays (:class:`Spans`) for all staff members at once instead of
visiting edges in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "Assignment",
    "Spans",
    "StaffConcurrency",
    "assignments_from_events",
    "concurrency_by_staff",
    "concurrency_of_spans",
    "spans_of",
]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Assignment:
    user_id: int
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Spans:
    """Assignments as parallel arrays: staff user id, start and end (any order)."""

    users: Ints
    starts: Floats
    ends: Floats

    @staticmethod
    def empty() -> Spans:
        return Spans(np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.float64))

    def __len__(self) -> int:
        return int(self.users.size)

    def with_length(self) -> Spans:
        """Only the intervals with a length (zero-length and inverted ones,
        from clock skew, are ignored by the sweep)."""
        keep = self.ends > self.starts
        return Spans(self.users[keep], self.starts[keep], self.ends[keep])

    def clipped(self, end: float) -> Spans:
        """Each interval cut at ``end`` (the period's end; an open one is +inf);
        those left without length are dropped."""
        return Spans(self.users, self.starts, np.minimum(self.ends, end)).with_length()

    def members(self) -> list[int]:
        """The distinct staff user ids, ascending."""
        return _dense(self.users)[0].tolist() if self.users.size else []


@dataclass(frozen=True, slots=True)
class StaffConcurrency:
    user_id: int
    assignments: int
    peak: int
    mean: float  # rounded to 0.01

    def to_dict(self, display_name: str | None = None) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "display_name": display_name,
            "assignments": self.assignments,
            "peak": self.peak,
            "mean": self.mean,
        }


def spans_of(assignments: Iterable[Assignment]) -> Spans:
    """The assignments with a length as :class:`Spans`."""
    rows = [(a.user_id, a.start, a.end) for a in assignments]
    if not rows:
        return Spans.empty()
    users, starts, ends = zip(*rows, strict=True)
    return Spans(
        np.asarray(users, np.int64), np.asarray(starts, np.float64), np.asarray(ends, np.float64)
    ).with_length()


def _dense(users: Ints) -> tuple[Ints, Ints]:
    """The distinct user ids (ascending) and each entry's index among them.
    Staff ids are small (auto-increment), so a count table replaces a sort."""
    lo, hi = int(users.min()), int(users.max())
    if hi - lo > 4 * users.size + 65_536:  # sparse ids: sort instead
        members, dense = np.unique(users, return_inverse=True)
        return members.astype(np.int64), dense.astype(np.int64)
    present = np.bincount(users - lo) > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present).astype(np.int64) + lo, rank[users - lo].astype(np.int64)


def _grouped(spans: Spans) -> tuple[Ints, Ints, Ints, Floats, Floats]:
    """The staff members (ascending), each one's first index and number of
    assignments in the sorted arrays, and the starts
    and the ends sorted within each member's block (each list on its own:
    the sweep needs them sorted, never the pairs)."""
    members, dense = _dense(spans.users)
    # Stable sort of the small member numbers (a radix sort for 16 bits),
    # then each block's starts and ends sorted on their own (timsort: the
    # blocks are concatenations of sorted runs from the stored cells).
    key = dense.astype(np.uint16 if members.size <= 65_536 else np.int64)
    order = np.argsort(key, kind="stable")
    counts = np.bincount(dense, minlength=members.size)
    firsts = np.zeros(members.size, np.int64)
    np.cumsum(counts[:-1], out=firsts[1:])
    starts, ends = spans.starts[order], spans.ends[order]
    for lo, n in zip(firsts.tolist(), counts.tolist(), strict=True):
        starts[lo : lo + n].sort(kind="stable")
        ends[lo : lo + n].sort(kind="stable")
    return members, firsts, counts, starts, ends


def concurrency_of_spans(spans: Spans) -> list[StaffConcurrency]:
    """One entry per staff member with assignments, ordered by user id.

    With each member's starts and ends sorted (the j-th end is after the j-th
    start): after the i-th start, i + 1 - #(ends <= starts[i]) are open, so
    "k + 1 open at once" happens iff some ends[m] > starts[m + k] (an end and a
    start at the same instant do not overlap); after the j-th end nothing is
    open iff starts[j + 1] >= ends[j], so the busy time is the whole span less
    those idle gaps; the time-weighted sum of open assignments is the sum of
    their lengths. Each step is one array pass over all members at once.
    """
    spans = spans.with_length()
    if not len(spans):
        return []
    members, firsts, counts, starts, ends = _grouped(spans)
    n = starts.size
    block = np.repeat(np.arange(members.size), counts)  # each entry's member number
    peaks = np.ones(members.size, np.int64)
    k = 1
    while k < n:
        # Pairs (m, m + k) inside one member's block with ends[m] > starts[m + k].
        hit = (block[:-k] == block[k:]) & (ends[:-k] > starts[k:])
        if not hit.any():
            break  # k + 1 open at once happens nowhere, so neither does more
        peaks[block[:-k][hit]] = k + 1
        k += 1
    gaps = starts[1:] - ends[:-1]
    idle_at = (block[1:] == block[:-1]) & (gaps > 0.0)
    idle = np.bincount(block[1:][idle_at], weights=gaps[idle_at], minlength=members.size)
    lasts = firsts + counts - 1
    busy = (ends[lasts] - starts[firsts]) - idle
    weighted = np.bincount(block, weights=ends - starts, minlength=members.size)
    out = []
    for user, count, peak, w, b in zip(
        members.tolist(),
        counts.tolist(),
        peaks.tolist(),
        weighted.tolist(),
        busy.tolist(),
        strict=True,
    ):
        mean = round(w / b, 2) if b > 0 else float(peak)
        out.append(StaffConcurrency(int(user), int(count), int(peak), mean))
    return out


def concurrency_by_staff(assignments: Iterable[Assignment]) -> list[StaffConcurrency]:
    """One entry per staff member, ordered by user id; zero-length and
    inverted intervals (clock skew) are ignored."""
    return concurrency_of_spans(spans_of(assignments))


def assignments_from_events(
    events: Iterable[tuple[str, str, float, int | None]], end: float
) -> list[Assignment]:
    """Assignments from ``(contact_id, kind, at, actor_user_id)`` rows in event
    order per contact: a ``pick`` opens one for its actor; the next
    ``transfer``, ``requeue`` or ``close`` of the contact ends it; one still
    open ends at ``end``."""
    out: list[Assignment] = []
    open_pick: dict[str, tuple[int, float]] = {}
    for contact_id, kind, at, actor in events:
        if kind == "pick" and actor is not None:
            open_pick[contact_id] = (actor, at)
        elif kind in ("transfer", "requeue", "close") and contact_id in open_pick:
            user, start = open_pick.pop(contact_id)
            out.append(Assignment(user, start, min(at, end)))
    out.extend(Assignment(user, start, end) for user, start in open_pick.values())
    return out
