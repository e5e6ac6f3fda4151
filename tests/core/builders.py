"""Records and refusals for the core's decision tests (no I/O)."""

from __future__ import annotations

import dataclasses
from typing import Any

import triage
from chatserver.core.effects import Refusal
from chatserver.core.lifecycle import ContactStatus
from chatserver.core.waiting_room import TIER_NORMAL
from chatserver.errors import Forbidden, NotFoundError, StateConflict
from chatserver.storage.base import Contact, Message, Queue, User

S = ContactStatus
T0 = 1_800_000_000.0
CONN = "i1:7"

NURSE = User(
    id=1,
    username="nurse1",
    display_name="Nina Nurse",
    role="nurse",
    password_hash="",
    totp_secret=None,
    disabled=False,
    created_at=T0,
    unit_ids=("hc1",),
)
COLLEAGUE = dataclasses.replace(
    NURSE, id=2, username="doctor1", display_name="Doris", role="doctor"
)
MANAGER = dataclasses.replace(NURSE, id=3, username="manager1", role="manager")
FOREIGN = dataclasses.replace(NURSE, id=4, username="nurse_hc2", unit_ids=("hc2",))
DISABLED = dataclasses.replace(NURSE, id=5, disabled=True)
MINE = (
    Queue("hc1:doctor", "hc1", "doctor", "Läkare"),
    Queue("hc1:nurse", "hc1", "nurse", "Sjuksköterska"),
)

# Refusals as the contract names them.
UNKNOWN_CONTACT = Refusal(NotFoundError("unknown_contact", "no such contact"))
UNKNOWN_QUEUE = Refusal(NotFoundError("unknown_queue", "no such queue"))
CLOSED = Refusal(StateConflict("contact_closed", "the contact is closed"))
ALREADY_CLOSED = Refusal(StateConflict("contact_closed", "the contact is already closed"))
ELSEWHERE = Refusal(Forbidden("not_assigned", "the contact is assigned to someone else"))
NOT_WAITING = Refusal(StateConflict("not_waiting", "the contact is no longer waiting"))
QUEUE_EMPTY = Refusal(StateConflict("queue_empty", "nobody is waiting"))


def contact(status: ContactStatus = S.QUEUED, **changes: Any) -> Contact:
    """A contact of hc1's nurse queue; assigned ones are Nina's unless told otherwise."""
    assigned = status is S.ASSIGNED
    base = Contact(
        id="c1",
        unit_id="hc1",
        queue_id="hc1:nurse",
        status=status,
        level="standard",
        intake_level="standard",
        tags=("ent",),
        reasons=(),
        red_flag=False,
        emergency_acknowledged=False,
        lang="sv",
        age=40,
        name="Petra",
        text="Ont i halsen",
        would_otherwise="physical_visit",
        created_at=T0 - 600,
        queued_at=None if status is S.EMERGENCY_ADVISED else T0 - 600,
        priority_tier=TIER_NORMAL,
        priority_key=T0 - 600 - 3600,
        assigned_user_id=NURSE.id if assigned else None,
        assigned_name=NURSE.display_name if assigned else None,
        assigned_at=T0 - 60 if assigned else None,
        first_picked_at=T0 - 60 if assigned else None,
        first_staff_reply_at=None,
        closed_at=T0 - 1 if status is S.CLOSED else None,
        outcome="resolved_in_chat" if status is S.CLOSED else None,
        last_seq=0,
    )
    return dataclasses.replace(base, **changes)


def message(seq: int, sender: str = "patient") -> Message:
    return Message("c1", seq, sender, "Petra", f"m{seq}", f"hej {seq}", T0 + seq)


def result(level: triage.Level, *tags: str, model: str | None = None) -> triage.TriageResult:
    reason = triage.Reason(f"R-{level.value}", level, ("ord",), model, 0.9 if model else None)
    return triage.TriageResult(
        level=level,
        tags=frozenset(tags),
        reasons=(reason,),
        advice=triage.advice_for(level, "sv"),
        ruleset_version="test",
    )
