"""Concurrent chats per staff member (pure sweep line).

An *assignment* is the interval from a pick to the next transfer, requeue or
close of that contact (or the end of the period if none came). For each staff
member: ``peak`` = the most assignments open at one instant, and ``mean`` =
the time-weighted mean number open while at least one was open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass
from functools import partial
from operator import gt, lt, sub
from typing import Any

__all__ = [
    "Assignment",
    "StaffConcurrency",
    "StaffSpans",
    "assignments_from_events",
    "concurrency_by_staff",
    "concurrency_of_spans",
    "spans_of",
]

# Assignments per staff member as two lists, the starts and the ends of the
# intervals that have a length (end > start), in any order: {user_id: (starts, ends)}.
# (The sweep needs each list sorted, never the pairs.)
StaffSpans = dict[int, tuple[MutableSequence[float], MutableSequence[float]]]


@dataclass(frozen=True, slots=True)
class Assignment:
    user_id: int
    start: float
    end: float


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


def _one(user_id: int, starts_in: Sequence[float], ends_in: Sequence[float]) -> StaffConcurrency:
    # The sweep over the edges in time order (an end before a start at the
    # same instant: handing one chat over and picking the next in the same
    # second is not two at once), computed without visiting each edge in
    # Python: a year of a region has a million assignments. With starts and
    # ends each sorted (the j-th end is after the j-th start):
    # - after the i-th start, i + 1 - #(ends <= starts[i]) are open, so
    #   "k + 1 open at once" happens iff some ends[m] > starts[m + k]; the
    #   peak is the largest such k + 1 (checked k by k, each one C-level pass;
    #   peaks are small);
    # - after the j-th end nothing is open iff starts[j + 1] >= ends[j]: the
    #   idle gaps are the positive starts[j + 1] - ends[j], and the busy time
    #   is the whole span less those gaps;
    # - the time-weighted sum of open assignments is the sum of their lengths.
    starts = sorted(starts_in)
    ends = sorted(ends_in)
    n = len(starts)
    peak = 1
    while peak < n and any(map(gt, ends, starts[peak:])):
        peak += 1
    idle = sum(filter(partial(lt, 0.0), map(sub, starts[1:], ends)))
    busy = (ends[-1] - starts[0]) - idle
    weighted = sum(map(sub, ends, starts))  # small terms: plain sum is exact enough
    mean = round(weighted / busy, 2) if busy > 0 else float(peak)
    return StaffConcurrency(user_id, n, peak, mean)


def spans_of(assignments: Iterable[Assignment]) -> StaffSpans:
    """The assignments with a length (zero-length and inverted ones, from
    clock skew, are ignored) as :data:`StaffSpans`."""
    spans: StaffSpans = {}
    for a in assignments:
        if a.end > a.start:
            starts, ends = spans.setdefault(a.user_id, ([], []))
            starts.append(a.start)
            ends.append(a.end)
    return spans


def concurrency_of_spans(
    spans: Mapping[int, tuple[Sequence[float], Sequence[float]]],
) -> list[StaffConcurrency]:
    """One entry per staff member with assignments, ordered by user id."""
    return [_one(uid, *spans[uid]) for uid in sorted(spans) if spans[uid][0]]


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
