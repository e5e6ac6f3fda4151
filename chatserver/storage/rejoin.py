"""The one read behind a patient's ``welcome``: contact, history, place, follow-ups.

A patient's hello used to cost four reads after the token lookup (the
contact, its messages, its place in line, its events), each a hop to a
reader thread (SQLite) or a pooled connection (PostgreSQL); connection churn
was bound by those hops. :func:`patient_rejoin` is the same statements as one
plan, so one hop. On SQLite they share one snapshot; on PostgreSQL each sees
what was committed when it ran, as the separate reads did (the welcome
reports the larger of the contact's ``last_seq`` and its newest message, so a
message committed between the statements is never under-reported).
"""

# SQL here is composed only of module constants and "?" placeholders; every value
# is a bound parameter, so S608 (string-built SQL) is a false positive.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from chatserver.core.lifecycle import ContactStatus

from . import contacts, messages
from .base import Contact, ContactEvent, Message
from .plan import Plan, all_rows
from .rows import EVENT_COLUMNS, event_from_row

__all__ = ["FOLLOWUP_KINDS", "PatientRejoin", "patient_rejoin"]

# The events that say which follow-up questions were asked and answered.
FOLLOWUP_KINDS = ("followup_asked", "followup")


@dataclass(frozen=True, slots=True)
class PatientRejoin:
    """What a patient's ``welcome`` needs from the database."""

    contact: Contact
    messages: list[Message]  # seq > the hello's last_seq, in seq order
    queue_position: int | None  # 1-based; None unless queued
    followup_events: list[ContactEvent]  # FOLLOWUP_KINDS only, oldest first


def patient_rejoin(contact_id: str, after_seq: int) -> Plan[PatientRejoin | None]:
    """The contact, its messages after ``after_seq``, its place in line (only
    while queued) and its follow-up events; None for an unknown contact."""
    contact = yield from contacts.get(contact_id)
    if contact is None:
        return None
    msgs = yield from messages.messages_after(contact_id, after_seq, None)
    position = None
    if contact.status == ContactStatus.QUEUED:
        position = yield from contacts.queue_position(contact_id)
    rows = yield all_rows(
        f"SELECT {EVENT_COLUMNS} FROM contact_events WHERE contact_id = ?"
        " AND kind IN (?, ?) ORDER BY id",
        contact_id,
        *FOLLOWUP_KINDS,
    )
    return PatientRejoin(contact, msgs, position, [event_from_row(r) for r in rows])
