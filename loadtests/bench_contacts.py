"""A waiting contact for the benchmarks that drive the storage layer directly
(persistence, the relay floors, the queue benchmark)."""

from __future__ import annotations

import dataclasses
from typing import Any

from chatserver.storage.base import NewContact

__all__ = ["bench_contact"]


def bench_contact(
    contact_id: str, unit_id: str, queue_id: str, at: float, **changes: Any
) -> NewContact:
    """A queued, standard-level adult contact created at ``at``; ``changes``
    replace fields (e.g. ``patient_token_hash``, which must be unique or None)."""
    contact = NewContact(
        id=contact_id,
        unit_id=unit_id,
        queue_id=queue_id,
        status="queued",
        level="standard",
        tags=(),
        reasons=(),
        red_flag=False,
        emergency_acknowledged=False,
        lang="sv",
        age=40,
        name="Bench",
        text="Hosta sedan en vecka.",
        would_otherwise="phone",
        patient_token_hash=None,
        created_at=at,
        priority_tier=1,
        priority_key=at,
    )
    return dataclasses.replace(contact, **changes)
