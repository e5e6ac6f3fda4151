"""Who may do what (pure). Every HTTP route and WebSocket action asks here.

- nurse, doctor: work the queues and contacts of their own units.
- manager: statistics of their own units; never a transcript.
- admin: units and users; no transcripts (admins hold no clinical role).
"""

from __future__ import annotations

from chatserver.core.lifecycle import ContactStatus
from chatserver.storage.base import Contact, Queue, User

CLINICAL_ROLES = frozenset({"nurse", "doctor"})
ROLES = frozenset({"nurse", "doctor", "manager", "admin"})


def is_clinical(user: User) -> bool:
    return user.role in CLINICAL_ROLES and not user.disabled


def can_work_queue(user: User, queue: Queue) -> bool:
    return is_clinical(user) and queue.unit_id in user.unit_ids


def can_read_contact(user: User, contact: Contact) -> bool:
    """Transcripts: clinical staff of the contact's unit only."""
    return is_clinical(user) and contact.unit_id in user.unit_ids


def can_act_on_contact(user: User, contact: Contact) -> bool:
    """Reply, transfer, close: the assigned staff member, or any clinician of the
    unit while the contact waits (e.g. to close a contact whose patient left)."""
    if not can_read_contact(user, contact):
        return False
    if contact.status == ContactStatus.ASSIGNED:
        return contact.assigned_user_id == user.id
    return True


def can_view_stats(user: User, unit_id: str) -> bool:
    if user.disabled:
        return False
    if user.role == "admin":
        return True
    return user.role == "manager" and unit_id in user.unit_ids


def can_admin(user: User) -> bool:
    return user.role == "admin" and not user.disabled
