"""The patient welcome's one read (chatserver/storage/rejoin.py), on both engines."""

from __future__ import annotations

from chatserver.storage import Storage
from chatserver.storage.rejoin import patient_rejoin

from .factories import T0, Seed, new_contact, patient_message


async def test_rejoin_reads_contact_history_place_and_followups(
    storage: Storage, seeded: Seed
) -> None:
    """A queued contact: itself, the messages after the seq, its place, its follow-up events."""
    await storage.create_contact(new_contact("first", priority_key=T0 - 10))
    await storage.create_contact(new_contact("c1"))
    for i in range(1, 4):
        await storage.append_message(patient_message("c1", f"m{i}", f"text {i}", T0 + i))
    await storage.add_event(
        "c1", kind="followup_asked", at=T0 + 4, actor_user_id=None, data={"ids": ["q1", "q2"]}
    )
    await storage.add_event("c1", kind="note", at=T0 + 5, actor_user_id=None, data={"x": 1})
    await storage.add_event(
        "c1", kind="followup", at=T0 + 6, actor_user_id=None, data={"answers": {"q1": False}}
    )

    view = await storage.read(patient_rejoin("c1", 1))

    assert view is not None
    assert view.contact == await storage.get_contact("c1")
    assert view.contact.last_seq == 3
    assert [(m.seq, m.body) for m in view.messages] == [(2, "text 2"), (3, "text 3")]
    assert view.queue_position == 2
    assert [(e.kind, dict(e.data)) for e in view.followup_events] == [
        ("followup_asked", {"ids": ["q1", "q2"]}),
        ("followup", {"answers": {"q1": False}}),
    ]


async def test_rejoin_has_no_place_once_picked(storage: Storage, seeded: Seed) -> None:
    """An assigned contact has no place in line; no messages after its newest seq."""
    await storage.create_contact(new_contact("c1"))
    await storage.append_message(patient_message("c1", "m1"))
    picked = await storage.pick(["u1:nurse"], user_id=seeded.alice.id, staff_name="A", at=T0 + 1)
    assert picked is not None

    view = await storage.read(patient_rejoin("c1", 1))

    assert view is not None
    assert view.contact.status == "assigned"
    assert view.contact.assigned_user_id == seeded.alice.id
    assert view.messages == []
    assert view.queue_position is None
    assert view.followup_events == []


async def test_rejoin_of_an_unknown_contact(storage: Storage, seeded: Seed) -> None:
    """A contact that is gone (erased since the token lookup) reads as None."""
    assert await storage.read(patient_rejoin("c404", 0)) is None
