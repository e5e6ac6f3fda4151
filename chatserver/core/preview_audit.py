"""When a staff member's view of a queue preview is audited (pure).

Waiting rows show the patient's name and the first words of the complaint, so
every snapshot of a unit's queues sent to a nurse or doctor is a read of
patient data: a *list* access, one audit entry ``queue_preview_read`` per
snapshot rather than one per row. A busy unit pushes a snapshot at every
arrival and pick, so the entries are throttled per (staff member, unit): the
first snapshot writes one at once; the following ones are counted, and the
first snapshot at least :data:`PREVIEW_AUDIT_EVERY_S` after the last entry
writes the next, with ``snapshots`` = how many it stands for (itself and the
ones counted since). The snapshots of the last minute before a staff member
leaves are thus covered by the entry before them (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass

# One entry per staff member and unit per minute at most: a unit with 200
# arrivals an hour would otherwise write 200 rows per connected nurse.
PREVIEW_AUDIT_EVERY_S = 60.0


@dataclass(slots=True)
class _Mark:
    at: float
    counted: int = 0


class PreviewAuditThrottle:
    """Decides which queue snapshots are written to the audit log."""

    __slots__ = ("_every", "_marks")

    def __init__(self, every_s: float = PREVIEW_AUDIT_EVERY_S) -> None:
        self._every = every_s
        self._marks: dict[tuple[int, str], _Mark] = {}

    def due(self, user_id: int, unit_id: str, now: float) -> int:
        """A snapshot of ``unit_id``'s queues goes to ``user_id`` at ``now``: the
        number of snapshots its audit entry stands for, or 0 (counted, no entry)."""
        key = (user_id, unit_id)
        mark = self._marks.get(key)
        if mark is None or now - mark.at >= self._every or now < mark.at:
            snapshots = 1 + (mark.counted if mark is not None else 0)
            self._marks[key] = _Mark(now)
            return snapshots
        mark.counted += 1
        return 0

    def retry(self, user_id: int, unit_id: str) -> None:
        """The last entry could not be written: the next snapshot writes one."""
        self._marks.pop((user_id, unit_id), None)
