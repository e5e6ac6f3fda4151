"""Concurrent chats per staff member (pure sweep line).

An *assignment* is the interval from a pick to the next transfer, requeue or
close of that contact (or the end of the period if none came). For each staff
member: ``peak`` = the most assignments open at one instant, and ``mean`` =
the time-weighted mean number open while at least one was open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableSequence, Sequence
from dataclasses import dataclass
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
    # A sweep over the starts and the ends, each sorted: the edges in time
    # order, where an end comes before a start at the same instant (handing
    # one chat over and picking the next in the same second is not two at
    # once). Two sorted lists instead of one list of edge tuples: a year of a
    # region has a million assignments.
    starts = sorted(starts_in)
    ends = sorted(ends_in)
    n = len(starts)
    open_now = peak = i = j = 0
    busy = weighted = 0.0
    last = starts[0]
    while i < n:
        at = ends[j]
        if at <= starts[i]:
            # An end: something is open (the j-th end follows the j-th start).
            busy += at - last
            weighted += open_now * (at - last)
            open_now -= 1
            j += 1
        else:
            at = starts[i]
            if open_now > 0:
                busy += at - last
                weighted += open_now * (at - last)
            open_now += 1
            if open_now > peak:  # noqa: PLR1730 - max() costs a call per edge
                peak = open_now
            i += 1
        last = at
    for at in ends[j:]:  # only ends remain
        busy += at - last
        weighted += open_now * (at - last)
        open_now -= 1
        last = at
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
