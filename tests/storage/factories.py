"""Test data builders shared by the storage tests."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from chatserver.storage import NewContact, NewMessage, Queue, Storage, Unit, User

T0 = 1_700_000_000.0  # a fixed "now"; tests add offsets to it


@dataclass(frozen=True)
class Seed:
    alice: User  # nurse in u1
    bob: User  # doctor in u1 and u2


async def seed(storage: Storage) -> Seed:
    await storage.add_unit(
        Unit("u1", "Vårdcentral Ett", always_open=False, rollout="live", created_at=T0),
        [
            Queue("u1:doctor", "u1", "doctor", "Läkare"),
            Queue("u1:nurse", "u1", "nurse", "Sjuksköterska", max_waiting=20),
        ],
    )
    await storage.add_unit(
        Unit("u2", "Vårdcentral Två", always_open=True, rollout="pilot", created_at=T0),
        [Queue("u2:nurse", "u2", "nurse", "Sjuksköterska")],
    )
    alice = await storage.add_user(
        username="alice",
        display_name="Alice A",
        role="nurse",
        password_hash="h-alice",
        totp_secret=None,
        unit_ids=["u1"],
        created_at=T0,
    )
    bob = await storage.add_user(
        username="bob",
        display_name="Bob B",
        role="doctor",
        password_hash="h-bob",
        totp_secret="SECRET",
        unit_ids=["u2", "u1"],
        created_at=T0,
    )
    return Seed(alice=alice, bob=bob)


def new_contact(contact_id: str, **changes: Any) -> NewContact:
    base = NewContact(
        id=contact_id,
        unit_id="u1",
        queue_id="u1:nurse",
        status="queued",
        level="standard",
        tags=("cough",),
        reasons=({"rule_id": "r1", "level": "standard", "matched": ["hosta"]},),
        red_flag=False,
        emergency_acknowledged=False,
        lang="sv",
        age=42,
        name="Patient " + contact_id,
        text="Jag hostar.",
        would_otherwise="vc",
        patient_token_hash="tok-" + contact_id,
        created_at=T0,
        priority_tier=1,
        priority_key=T0,
    )
    return dataclasses.replace(base, **changes)


def patient_message(
    contact_id: str, client_id: str, body: str = "hej", at: float = T0
) -> NewMessage:
    return NewMessage(
        contact_id=contact_id,
        sender="patient",
        sender_key="p:" + contact_id,
        sender_name="Patient",
        client_id=client_id,
        body=body,
        sent_at=at,
    )


def staff_message(
    contact_id: str, user: User, client_id: str, body: str = "hej", at: float = T0
) -> NewMessage:
    return NewMessage(
        contact_id=contact_id,
        sender="staff",
        sender_key=f"s:{user.id}",
        sender_name=user.display_name,
        client_id=client_id,
        body=body,
        sent_at=at,
    )
