"""Picking contacts from the waiting room."""

from __future__ import annotations

import asyncio
from collections import Counter

from chatserver.core.waiting_room import WaitingRoom
from chatserver.flow.waiting import entry_of
from chatserver.storage import Storage

from .factories import T0, Seed, new_contact


async def test_pick_first_waiting(storage: Storage, seeded: Seed) -> None:
    """pick assigns the first waiting contact and records a 'pick' event with its queue."""
    await storage.create_contact(new_contact("late", priority_key=T0 + 5))
    await storage.create_contact(new_contact("early", priority_key=T0 + 1))
    picked = await storage.pick(
        ["u1:nurse", "u1:doctor"], user_id=seeded.alice.id, staff_name="Alice A", at=T0 + 60
    )
    assert picked is not None
    assert (picked.id, picked.status, picked.assigned_user_id, picked.assigned_name) == (
        "early",
        "assigned",
        seeded.alice.id,
        "Alice A",
    )
    assert (picked.assigned_at, picked.first_picked_at) == (T0 + 60, T0 + 60)
    assert [c.id for c in await storage.waiting(["u1:nurse"])] == ["late"]
    assert [c.id for c in await storage.assigned_to(seeded.alice.id)] == ["early"]
    last = (await storage.events("early"))[-1]
    assert (last.kind, last.at, last.actor_user_id, dict(last.data)) == (
        "pick",
        T0 + 60,
        seeded.alice.id,
        {"queue_id": "u1:nurse"},
    )


async def test_pick_nothing_waiting(storage: Storage, seeded: Seed) -> None:
    """pick returns None when no contact waits in the given queues (or none are given)."""
    await storage.create_contact(new_contact("c1"))
    assert await storage.pick(["u1:doctor"], user_id=seeded.bob.id, staff_name="B", at=T0) is None
    assert await storage.pick([], user_id=seeded.bob.id, staff_name="B", at=T0) is None
    assert await storage.count_waiting("u1:nurse") == 1


async def test_pick_by_contact_id(storage: Storage, seeded: Seed) -> None:
    """pick with contact_id takes exactly that contact, only if it waits in one of the queues."""
    await storage.create_contact(new_contact("first", priority_key=T0))
    await storage.create_contact(new_contact("second", priority_key=T0 + 1))
    await storage.create_contact(new_contact("doc", queue_id="u1:doctor"))
    assert (
        await storage.pick(
            ["u1:nurse"], user_id=seeded.alice.id, staff_name="A", at=T0, contact_id="doc"
        )
        is None
    )
    assert (
        await storage.pick(
            ["u1:nurse"], user_id=seeded.alice.id, staff_name="A", at=T0, contact_id="c404"
        )
        is None
    )
    picked = await storage.pick(
        ["u1:nurse"], user_id=seeded.alice.id, staff_name="A", at=T0, contact_id="second"
    )
    assert picked is not None
    assert picked.id == "second"
    again = await storage.pick(
        ["u1:nurse"], user_id=seeded.bob.id, staff_name="B", at=T0, contact_id="second"
    )
    assert again is None
    assert [c.id for c in await storage.waiting(["u1:nurse"])] == ["first"]


async def test_repick_keeps_first_picked_at(storage: Storage, seeded: Seed) -> None:
    """After a requeue, a second pick updates assigned_at but not first_picked_at."""
    await storage.create_contact(new_contact("c1"))
    await storage.pick(["u1:nurse"], user_id=seeded.alice.id, staff_name="A", at=T0 + 1)
    await storage.requeue("c1", priority_tier=0, priority_key=T0, at=T0 + 2, reason="gone")
    second = await storage.pick(["u1:nurse"], user_id=seeded.bob.id, staff_name="B", at=T0 + 3)
    assert second is not None
    assert (second.assigned_user_id, second.assigned_at, second.first_picked_at) == (
        seeded.bob.id,
        T0 + 3,
        T0 + 1,
    )


async def test_concurrent_picks_assign_each_contact_once(storage: Storage, seeded: Seed) -> None:
    """100 concurrent picks by two users on 50 waiting contacts: 50 distinct picks, 50 Nones."""
    for i in range(50):
        await storage.create_contact(new_contact(f"c{i:02}", priority_key=T0 + i))
    users = [(seeded.alice.id, "Alice A"), (seeded.bob.id, "Bob B")]
    results = await asyncio.gather(
        *(
            storage.pick(["u1:nurse"], user_id=uid, staff_name=name, at=T0 + 100)
            for uid, name in users * 50
        )
    )
    picked = [r.id for r in results if r is not None]
    assert results.count(None) == 50
    assert sorted(picked) == [f"c{i:02}" for i in range(50)]
    assert len(set(picked)) == 50
    assert await storage.count_waiting("u1:nurse") == 0
    mine = await storage.assigned_to(seeded.alice.id)
    theirs = await storage.assigned_to(seeded.bob.id)
    assert len(mine) + len(theirs) == 50
    assert {c.id for c in mine}.isdisjoint({c.id for c in theirs})
    pick_events = Counter()
    for i in range(50):
        pick_events.update(e.kind for e in await storage.events(f"c{i:02}"))
    assert pick_events["pick"] == 50
    assert await storage.recent_pick_times("u1:nurse", T0) == [T0 + 100] * 50


async def test_database_order_is_the_waiting_room_order(storage: Storage, seeded: Seed) -> None:
    """The database's waiting order (what `pick` takes first) and the core's
    WaitingRoom (what patients are told as their position) agree, ties included:
    equal priority keys fall back to intake time, then id, in both, even for an
    acknowledged emergency queued long after its intake."""
    specs = [
        ("b-tie", T0 + 10, 1, T0 + 100),
        ("a-tie", T0 + 10, 1, T0 + 100),
        ("early-intake", T0 + 5, 1, T0 + 100),
        ("front", T0 + 50, 0, T0 + 200),
        ("later-key", T0 + 1, 1, T0 + 101),
    ]
    for cid, created, tier, key in specs:
        await storage.create_contact(
            new_contact(cid, created_at=created, priority_tier=tier, priority_key=key)
        )
    acked = new_contact(
        "acked", status="emergency_advised", created_at=T0, priority_tier=0, priority_key=None
    )
    await storage.create_contact(acked)
    await storage.acknowledge_emergency(
        "acked",
        patient_token_hash="tok-acked-2",
        priority_tier=0,
        priority_key=T0 + 200,
        at=T0 + 900,
    )
    from_db = [c.id for c in await storage.waiting(["u1:nurse"])]
    room = WaitingRoom(entry_of(c) for c in await storage.waiting(["u1:nurse"]))
    assert from_db == ["acked", "front", "early-intake", "a-tie", "b-tie", "later-key"]
    assert [e.contact_id for e in room.entries] == from_db
    first = await storage.pick(["u1:nurse"], user_id=seeded.alice.id, staff_name="A", at=T0 + 999)
    assert first is not None
    assert first.id == from_db[0]
