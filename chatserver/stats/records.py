"""What a statistics read covers (:class:`ContactFilter`) and one contact of
the per-contact export (:class:`ContactRow`): plain values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ContactFilter", "ContactRow"]


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Contacts of these units (and queue) created in ``[start, end)`` (UTC seconds)."""

    unit_ids: tuple[str, ...]
    start: float
    end: float
    queue_id: str | None = None


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One contact for the export: no name, no text, no identity number, no age."""

    unit_id: str
    queue_id: str
    created_at: float
    status: str
    outcome: str | None
    intake_level: str
    level: str
    would_otherwise: str
    emergency_acknowledged: bool
    queued_at: float | None
    first_picked_at: float | None
    first_staff_reply_at: float | None
    closed_at: float | None
