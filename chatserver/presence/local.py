"""Who is connected, and since when they are gone.

Operations use it to act on absence: a waiting patient gone too long is closed
as ``patient_left``; a contact whose staff member is gone too long goes back to
its queue (its level's place, its arrival time). The clock is passed in, so tests control time.

Each instance counts its own connections and marks a person "gone since"
when their last connection on it closes. With one instance that is the whole
truth. With several (``redis_url`` set) a person may have moved to another
instance, so before acting on a mark the instance asks a
:class:`SharedPresence` (Redis, :mod:`chatserver.presence.redis_shared`) — only for
the marks old enough to act on, never on the message path:

- connected on another live instance → the mark is dropped (that instance
  marks them itself when they leave it);
- seen connected later than the mark (they left another instance later, or
  were on an instance that died) → the mark moves to that time;
- otherwise → act.

When the shared knowledge is unavailable (Redis unreachable, or just
restarted and not yet refilled by every instance) nothing is acted on and the
marks stay: closing a chat or taking a nurse's patients away on incomplete
knowledge is worse than acting one sweep later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, Protocol, TypeVar

from chatserver.logs import get_logger

__all__ = ["Kind", "Orphans", "Presence", "PresenceUnknown", "Seen", "SharedPresence"]

log = get_logger("chatserver.presence.local")

Kind = Literal["patient", "staff"]
K = TypeVar("K", str, int)


class PresenceUnknown(Exception):
    """The other instances' presence cannot be known right now; do not act."""


@dataclass(frozen=True)
class Seen:
    """What the other instances know of one person."""

    connected: bool  # has a connection on another live instance
    left_at: float | None  # latest time they were known connected elsewhere


@dataclass(frozen=True)
class Orphans:
    """The people connected on an instance that stopped (or died) at ``at``."""

    instance_id: str
    at: float
    patients: list[str]
    staff: list[str]


class SharedPresence(Protocol):
    """Presence of every instance (``None`` on a single instance)."""

    def attach(self, snapshot: Callable[[Kind], list[str]]) -> None:
        """Where to read this instance's connected people (for a full resync)."""

    def changed(self, kind: Kind, key: str, connected: bool, at: float) -> None:
        """First connection / last disconnection of a person here (never blocks)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def seen(self, kind: Kind, keys: Sequence[str]) -> dict[str, Seen]:
        """Raises :class:`PresenceUnknown` when the answer would be incomplete."""

    async def orphans(self) -> list[Orphans]:
        """People of instances that stopped since the last call (each reported once)."""


class _Book(Generic[K]):
    """Connection counts and gone-marks of one kind of person on this instance."""

    def __init__(self, kind: Kind) -> None:
        self.kind: Kind = kind
        self.counts: dict[K, int] = {}
        self.gone_at: dict[K, float] = {}


class Presence:
    def __init__(self, clock: Callable[[], float], shared: SharedPresence | None = None) -> None:
        self.clock = clock
        self.shared = shared
        self._patients: _Book[str] = _Book("patient")
        self._staff: _Book[int] = _Book("staff")
        if shared is not None:
            shared.attach(self._snapshot)

    async def start(self) -> None:
        if self.shared is not None:
            await self.shared.start()

    async def stop(self) -> None:
        if self.shared is not None:
            await self.shared.stop()

    # -- connections of this instance -------------------------------------------
    def patient_back(self, contact_id: str) -> None:
        self._back(self._patients, contact_id)

    def patient_gone(self, contact_id: str) -> None:
        self._gone(self._patients, contact_id)

    def staff_back(self, user_id: int) -> None:
        self._back(self._staff, user_id)

    def staff_gone(self, user_id: int) -> None:
        self._gone(self._staff, user_id)

    def _back(self, book: _Book[K], key: K) -> None:
        n = book.counts.get(key, 0) + 1
        book.counts[key] = n
        book.gone_at.pop(key, None)
        if n == 1 and self.shared is not None:
            self.shared.changed(book.kind, str(key), True, self.clock())

    def _gone(self, book: _Book[K], key: K) -> None:
        n = book.counts.get(key, 0) - 1
        if n > 0:
            book.counts[key] = n
            return
        book.counts.pop(key, None)
        now = self.clock()
        book.gone_at[key] = now
        if self.shared is not None:
            self.shared.changed(book.kind, str(key), False, now)

    def _snapshot(self, kind: Kind) -> list[str]:
        book = self._patients if kind == "patient" else self._staff
        return [str(k) for k in book.counts]

    def patient_connected(self, contact_id: str) -> bool:
        """Connected on this instance."""
        return contact_id in self._patients.counts

    async def patients_away(self, contact_ids: Sequence[str]) -> dict[str, float]:
        """Of ``contact_ids``, the patients with no connection on any instance,
        each with since when (the latest time known connected; now when never
        seen): what a nurse is told at a pick or a welcome. When the other
        instances cannot be asked, nobody (no false alarm)."""
        now = self.clock()
        book = self._patients
        away = [c for c in contact_ids if c not in book.counts]
        if not away:
            return {}
        if self.shared is None:
            return {c: book.gone_at.get(c, now) for c in away}
        try:
            seen = await self.shared.seen("patient", away)
        except PresenceUnknown:
            return {}
        out: dict[str, float] = {}
        for c in away:
            about = seen.get(c)
            if about is not None and about.connected:
                continue
            marks = [m for m in (book.gone_at.get(c), about.left_at if about else None) if m]
            out[c] = max(marks) if marks else now
        return out

    # -- marks ------------------------------------------------------------------
    def patients_gone_longer_than(self, seconds: float) -> list[str]:
        """Local marks only (what this instance saw); see :meth:`patients_due`."""
        return _older(self._patients, self.clock() - seconds)

    def staff_gone_longer_than(self, seconds: float) -> list[int]:
        """Local marks only (what this instance saw); see :meth:`staff_due`."""
        return _older(self._staff, self.clock() - seconds)

    def mark_staff_gone(self, user_id: int, at: float) -> None:
        """A staff member not connected here is gone since ``at`` (unless marked already)."""
        if user_id not in self._staff.counts:
            self._staff.gone_at.setdefault(user_id, at)

    # -- decisions ----------------------------------------------------------------
    async def patients_due(self, seconds: float) -> list[str]:
        """Patients gone ``seconds`` everywhere: their marks are consumed."""
        return await self._due(self._patients, seconds)

    async def staff_due(self, seconds: float) -> list[int]:
        """Staff members gone ``seconds`` everywhere: their marks are consumed."""
        return await self._due(self._staff, seconds)

    async def _due(self, book: _Book[K], seconds: float) -> list[K]:
        now = self.clock()
        limit = now - seconds
        candidates = _older(book, limit)
        if not candidates or self.shared is None:
            for key in candidates:
                book.gone_at.pop(key, None)
            return candidates
        try:
            seen = await self.shared.seen(book.kind, [str(k) for k in candidates])
        except PresenceUnknown as exc:
            log.warning("presence_unknown", kind=book.kind, waiting=len(candidates), why=str(exc))
            return []
        due: list[K] = []
        for key in candidates:
            mark = book.gone_at.get(key)
            if mark is None:  # came back (or forgotten) while we asked
                continue
            about = seen[str(key)]
            since = max(mark, about.left_at or mark)
            if about.connected:
                book.gone_at.pop(key)
            elif since > limit:  # seen elsewhere later: the grace time runs from then
                book.gone_at[key] = since
            else:
                book.gone_at.pop(key)
                due.append(key)
        return due

    async def adopt_orphans(self) -> int:
        """Mark the people of stopped instances gone since the instance stopped
        (nobody else would: their last connection closed with the process)."""
        if self.shared is None:
            return 0
        try:
            orphans = await self.shared.orphans()
        except PresenceUnknown:
            return 0  # tried again on the next sweep
        adopted = 0
        for o in orphans:
            for p in o.patients:
                adopted += _adopt(self._patients, p, o.at)
            for s in o.staff:
                adopted += _adopt(self._staff, int(s), o.at)
            log.info("presence_orphans", instance=o.instance_id, adopted=adopted)
        return adopted


def _older(book: _Book[K], limit: float) -> list[K]:
    return [k for k, at in book.gone_at.items() if at <= limit and k not in book.counts]


def _adopt(book: _Book[K], key: K, at: float) -> int:
    if key in book.counts or key in book.gone_at:
        return 0
    book.gone_at[key] = at
    return 1
