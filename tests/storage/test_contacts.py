"""Contacts: intake, emergency acknowledgement, waiting room, lifecycle and events."""

from __future__ import annotations

import pytest

from chatserver.storage import Conflict, Contact, NotFound, Storage, contacts

from .factories import T0, Seed, new_contact


async def _kinds(storage: Storage, contact_id: str) -> list[str]:
    return [e.kind for e in await storage.events(contact_id)]


async def test_create_contact_round_trip(storage: Storage, seeded: Seed) -> None:
    """A queued contact comes back with intake_level, queued_at and empty assignment."""
    created = await storage.create_contact(new_contact("c1"))
    expected = Contact(
        id="c1",
        unit_id="u1",
        queue_id="u1:nurse",
        status="queued",
        level="standard",
        intake_level="standard",
        tags=("cough",),
        reasons=({"rule_id": "r1", "level": "standard", "matched": ["hosta"]},),
        red_flag=False,
        emergency_acknowledged=False,
        lang="sv",
        age=42,
        name="Patient c1",
        text="Jag hostar.",
        would_otherwise="vc",
        created_at=T0,
        queued_at=T0,
        priority_tier=1,
        priority_key=T0,
        assigned_user_id=None,
        assigned_name=None,
        assigned_at=None,
        first_picked_at=None,
        first_staff_reply_at=None,
        closed_at=None,
        outcome=None,
        last_seq=0,
    )
    assert created == expected
    assert await storage.get_contact("c1") == expected
    assert await storage.get_contact_by_token_hash("tok-c1") == expected
    assert await storage.get_contact("c404") is None
    assert await storage.get_contact_by_token_hash("tok-c404") is None
    events = await storage.events("c1")
    assert [(e.kind, e.at, e.actor_user_id, dict(e.data)) for e in events] == [
        ("intake", T0, None, {"status": "queued", "level": "standard", "queue_id": "u1:nurse"})
    ]


async def test_create_contact_writes_its_intake_events(storage: Storage, seeded: Seed) -> None:
    """Events handed with a new contact are stored after its intake event, at its time."""
    screen = {"answers": {"q1": False}, "yes": []}
    await storage.create_contact(
        new_contact("c1", events=(("screening", screen), ("followup_asked", {"ids": ["f1"]})))
    )
    events = await storage.events("c1")
    assert [(e.kind, e.at, e.actor_user_id, dict(e.data)) for e in events] == [
        ("intake", T0, None, {"status": "queued", "level": "standard", "queue_id": "u1:nurse"}),
        ("screening", T0, None, screen),
        ("followup_asked", T0, None, {"ids": ["f1"]}),
    ]


async def test_create_contact_conflicts(storage: Storage, seeded: Seed) -> None:
    """A taken id or token hash raises Conflict; an unknown queue raises NotFound."""
    await storage.create_contact(new_contact("c1"))
    with pytest.raises(Conflict):
        await storage.create_contact(new_contact("c1", patient_token_hash="other"))
    with pytest.raises(Conflict):
        await storage.create_contact(new_contact("c2", patient_token_hash="tok-c1"))
    with pytest.raises(NotFound):
        await storage.create_contact(new_contact("c3", queue_id="u1:surgeon"))
    assert await storage.get_contact("c2") is None
    assert await storage.get_contact("c3") is None


async def test_emergency_advised_then_acknowledged(storage: Storage, seeded: Seed) -> None:
    """emergency_advised is not waiting; acknowledging queues it first in line with a red flag."""
    advised = await storage.create_contact(
        new_contact(
            "e1",
            status="emergency_advised",
            level="emergency",
            patient_token_hash=None,
            priority_key=None,
            red_flag=True,
        )
    )
    assert (advised.status, advised.queued_at, advised.intake_level) == (
        "emergency_advised",
        None,
        "emergency",
    )
    await storage.create_contact(new_contact("c1", priority_key=T0 - 100))
    assert [c.id for c in await storage.waiting(["u1:nurse"])] == ["c1"]

    acked = await storage.acknowledge_emergency(
        "e1", patient_token_hash="tok-e1", priority_tier=0, priority_key=T0 + 5, at=T0 + 5
    )
    assert acked is not None
    assert (acked.status, acked.emergency_acknowledged, acked.red_flag) == ("queued", True, True)
    assert (acked.priority_tier, acked.priority_key, acked.queued_at) == (0, T0 + 5, T0 + 5)
    assert await storage.get_contact_by_token_hash("tok-e1") == acked
    assert [c.id for c in await storage.waiting(["u1:nurse"])] == ["e1", "c1"]
    assert await _kinds(storage, "e1") == ["intake", "emergency_ack"]
    # Only once, and never for a contact in another state or unknown.
    again = await storage.acknowledge_emergency(
        "e1", patient_token_hash="tok-x", priority_tier=0, priority_key=T0, at=T0 + 6
    )
    assert again is None
    assert (
        await storage.acknowledge_emergency(
            "c1", patient_token_hash="tok-y", priority_tier=0, priority_key=T0, at=T0
        )
        is None
    )
    assert (
        await storage.acknowledge_emergency(
            "c404", patient_token_hash="tok-z", priority_tier=0, priority_key=T0, at=T0
        )
        is None
    )


async def test_waiting_order_and_count(storage: Storage, seeded: Seed) -> None:
    """Waiting order is (priority_tier, priority_key, created_at, id), NULL keys last."""
    specs = [
        ("a", 1, 30.0, T0),
        ("b", 1, 10.0, T0 + 2),
        ("c", 1, 10.0, T0 + 1),
        ("d", 0, 99.0, T0 + 9),
        ("e", 1, None, T0),
        ("f", 1, 10.0, T0 + 1),
    ]
    for cid, tier, key, created in specs:
        await storage.create_contact(
            new_contact(cid, priority_tier=tier, priority_key=key, created_at=created)
        )
    await storage.create_contact(new_contact("g", queue_id="u1:doctor", priority_key=1.0))
    await storage.create_contact(new_contact("h", queue_id="u2:nurse", unit_id="u2"))
    assert [c.id for c in await storage.waiting(["u1:nurse"])] == ["d", "c", "f", "b", "a", "e"]
    assert [c.id for c in await storage.waiting(["u1:nurse", "u1:doctor"])] == [
        "d",
        "g",
        "c",
        "f",
        "b",
        "a",
        "e",
    ]
    assert await storage.waiting([]) == []
    assert await storage.count_waiting("u1:nurse") == 6
    assert await storage.count_waiting("u1:doctor") == 1
    assert await storage.count_waiting("u2:doctor") == 0


async def test_transfer(storage: Storage, seeded: Seed) -> None:
    """Transfer moves an assigned contact, unassigned, to another queue and unit."""
    await storage.create_contact(new_contact("c1"))
    await storage.pick(["u1:nurse"], user_id=seeded.alice.id, staff_name="Alice A", at=T0 + 10)
    moved = await storage.transfer(
        "c1",
        queue_id="u2:nurse",
        priority_tier=0,
        priority_key=T0 + 20,
        at=T0 + 20,
        actor_user_id=seeded.alice.id,
        note="fel enhet",
    )
    assert moved is not None
    assert (moved.status, moved.queue_id, moved.unit_id) == ("queued", "u2:nurse", "u2")
    assert (moved.assigned_user_id, moved.assigned_name, moved.assigned_at) == (None, None, None)
    assert (moved.priority_tier, moved.priority_key) == (0, T0 + 20)
    assert (moved.queued_at, moved.first_picked_at) == (T0, T0 + 10)
    assert await storage.count_waiting("u2:nurse") == 1
    assert await storage.assigned_to(seeded.alice.id) == []
    last = (await storage.events("c1"))[-1]
    assert (last.kind, last.at, last.actor_user_id, dict(last.data)) == (
        "transfer",
        T0 + 20,
        seeded.alice.id,
        {
            "from_queue_id": "u1:nurse",
            "to_queue_id": "u2:nurse",
            "from_user_id": seeded.alice.id,
            "note": "fel enhet",
        },
    )


async def test_transfer_refusals(storage: Storage, seeded: Seed) -> None:
    """Transfer is None for closed or unknown contacts and NotFound for an unknown queue."""
    await storage.create_contact(new_contact("c1"))
    with pytest.raises(NotFound):
        await storage.transfer(
            "c1",
            queue_id="u9:nurse",
            priority_tier=1,
            priority_key=T0,
            at=T0,
            actor_user_id=None,
            note=None,
        )
    await storage.close_contact("c1", outcome="done", at=T0 + 1, actor_user_id=None)
    for cid in ("c1", "c404"):
        assert (
            await storage.transfer(
                cid,
                queue_id="u1:doctor",
                priority_tier=1,
                priority_key=T0,
                at=T0,
                actor_user_id=None,
                note=None,
            )
            is None
        )
    assert await _kinds(storage, "c1") == ["intake", "close"]


async def test_requeue(storage: Storage, seeded: Seed) -> None:
    """Requeue returns an assigned contact to its own queue; anything else gives None."""
    await storage.create_contact(new_contact("c1"))
    assert (
        await storage.requeue("c1", priority_tier=0, priority_key=T0, at=T0, reason="x") is None
    )  # queued, not assigned
    await storage.pick(["u1:nurse"], user_id=seeded.bob.id, staff_name="Bob B", at=T0 + 5)
    back = await storage.requeue(
        "c1", priority_tier=0, priority_key=T0 + 1, at=T0 + 9, reason="staff_gone"
    )
    assert back is not None
    assert (back.status, back.queue_id, back.assigned_user_id, back.priority_tier) == (
        "queued",
        "u1:nurse",
        None,
        0,
    )
    assert back.first_picked_at == T0 + 5
    last = (await storage.events("c1"))[-1]
    assert (last.kind, last.actor_user_id, dict(last.data)) == (
        "requeue",
        None,
        {"queue_id": "u1:nurse", "from_user_id": seeded.bob.id, "reason": "staff_gone"},
    )
    assert (
        await storage.requeue("c404", priority_tier=0, priority_key=T0, at=T0, reason="x") is None
    )


async def test_set_level(storage: Storage, seeded: Seed) -> None:
    """set_level changes level and tags, keeps intake_level, and None keeps the priority key."""
    await storage.create_contact(new_contact("c1", priority_key=50.0))
    raised = await storage.set_level(
        "c1",
        level="urgent",
        tags=["chest_pain"],
        priority_key=10.0,
        at=T0 + 1,
        actor_user_id=seeded.alice.id,
        reason="staff",
    )
    assert raised is not None
    assert (raised.level, raised.intake_level, raised.tags, raised.priority_key) == (
        "urgent",
        "standard",
        ("chest_pain",),
        10.0,
    )
    kept = await storage.set_level(
        "c1",
        level="standard",
        tags=[],
        priority_key=None,
        at=T0 + 2,
        actor_user_id=None,
        reason="auto",
    )
    assert kept is not None
    assert (kept.level, kept.tags, kept.priority_key) == ("standard", (), 10.0)
    changes = [
        (e.at, e.actor_user_id, dict(e.data))
        for e in await storage.events("c1")
        if e.kind == "triage_change"
    ]
    assert changes == [
        (
            T0 + 1,
            seeded.alice.id,
            {"from": "standard", "to": "urgent", "tags": ["chest_pain"], "reason": "staff"},
        ),
        (T0 + 2, None, {"from": "urgent", "to": "standard", "tags": [], "reason": "auto"}),
    ]
    await storage.close_contact("c1", outcome="done", at=T0 + 3, actor_user_id=None)
    assert (
        await storage.set_level(
            "c1", level="urgent", tags=[], priority_key=None, at=T0, actor_user_id=None, reason="x"
        )
        is None
    )


async def test_close(storage: Storage, seeded: Seed) -> None:
    """Closing records outcome and time once; a second close and an unknown id give None."""
    await storage.create_contact(new_contact("c1"))
    await storage.pick(["u1:nurse"], user_id=seeded.alice.id, staff_name="Alice A", at=T0 + 1)
    closed = await storage.close("c1", outcome="advice", at=T0 + 2, actor_user_id=seeded.alice.id)
    assert closed is not None
    assert (closed.status, closed.outcome, closed.closed_at) == ("closed", "advice", T0 + 2)
    assert closed.assigned_user_id == seeded.alice.id
    assert await storage.close("c1", outcome="again", at=T0 + 3, actor_user_id=None) is None
    assert await storage.close_contact("c404", outcome="x", at=T0, actor_user_id=None) is None
    assert await storage.assigned_to(seeded.alice.id) == []
    last = (await storage.events("c1"))[-1]
    assert (last.kind, last.at, last.actor_user_id, dict(last.data)) == (
        "close",
        T0 + 2,
        seeded.alice.id,
        {"outcome": "advice", "from_status": "assigned"},
    )


async def test_close_emergency_advised(storage: Storage, seeded: Seed) -> None:
    """A contact that never reached a queue can be closed too."""
    await storage.create_contact(
        new_contact("e1", status="emergency_advised", patient_token_hash=None)
    )
    closed = await storage.close_contact("e1", outcome="went_to_er", at=T0, actor_user_id=None)
    assert closed is not None
    assert (closed.status, closed.queued_at) == ("closed", None)


async def test_assigned_to_oldest_first(storage: Storage, seeded: Seed) -> None:
    """assigned_to lists the user's current contacts, oldest assignment first."""
    for cid in ("c1", "c2", "c3"):
        await storage.create_contact(new_contact(cid))
    for cid, at in (("c2", T0 + 1), ("c1", T0 + 2), ("c3", T0 + 3)):
        await storage.pick(
            ["u1:nurse"], user_id=seeded.alice.id, staff_name="Alice A", at=at, contact_id=cid
        )
    await storage.close_contact("c3", outcome="done", at=T0 + 4, actor_user_id=None)
    assert [c.id for c in await storage.assigned_to(seeded.alice.id)] == ["c2", "c1"]
    assert await storage.assigned_to(seeded.bob.id) == []


async def test_recent_pick_times(storage: Storage, seeded: Seed) -> None:
    """Pick times are per queue picked from, since the given time, oldest first."""
    await storage.create_contact(new_contact("n1"))
    await storage.create_contact(new_contact("n2"))
    await storage.create_contact(new_contact("d1", queue_id="u1:doctor"))
    await storage.pick(["u1:nurse"], user_id=seeded.alice.id, staff_name="A", at=T0 + 10)
    await storage.pick(["u1:doctor"], user_id=seeded.bob.id, staff_name="B", at=T0 + 20)
    await storage.pick(["u1:nurse"], user_id=seeded.alice.id, staff_name="A", at=T0 + 30)
    # A transfer afterwards does not rewrite where the pick came from.
    await storage.transfer(
        "n1",
        queue_id="u1:doctor",
        priority_tier=1,
        priority_key=T0,
        at=T0 + 40,
        actor_user_id=None,
        note=None,
    )
    assert await storage.recent_pick_times("u1:nurse", T0) == [T0 + 10, T0 + 30]
    assert await storage.recent_pick_times("u1:nurse", T0 + 11) == [T0 + 30]
    assert await storage.recent_pick_times("u1:doctor", T0) == [T0 + 20]
    assert await storage.recent_pick_times("u2:nurse", T0) == []


async def test_add_event(storage: Storage, seeded: Seed) -> None:
    """Custom events are stored with their JSON data in order; unknown contacts raise NotFound."""
    await storage.create_contact(new_contact("c1"))
    await storage.add_event(
        "c1",
        kind="note",
        at=T0 + 1,
        actor_user_id=seeded.bob.id,
        data={"text": "ring upp", "n": [1, 2]},
    )
    events = await storage.events("c1")
    assert [(e.kind, e.at, e.actor_user_id, dict(e.data)) for e in events[1:]] == [
        ("note", T0 + 1, seeded.bob.id, {"text": "ring upp", "n": [1, 2]})
    ]
    assert events[0].id < events[1].id
    with pytest.raises(NotFound):
        await storage.add_event("c404", kind="note", at=T0, actor_user_id=None, data={})
    assert await storage.events("c404") == []


async def test_queue_position_counts_in_waiting_room_order(storage: Storage, seeded: Seed) -> None:
    """queue_position follows (tier, key, created_at, id) and is None when not queued."""
    await storage.create_contact(new_contact("late", priority_key=T0 + 50, created_at=T0 + 50))
    await storage.create_contact(new_contact("early", priority_key=T0 + 10, created_at=T0 + 10))
    await storage.create_contact(
        new_contact("front", priority_tier=0, priority_key=T0 + 99, created_at=T0 + 99)
    )
    assert await storage.queue_position("front") == 1
    assert await storage.queue_position("early") == 2
    assert await storage.queue_position("late") == 3
    assert await storage.queue_position("nobody") is None
    picked = await storage.pick(["u1:nurse"], user_id=seeded.alice.id, staff_name="A", at=T0 + 100)
    assert picked is not None
    assert picked.id == "front"
    assert await storage.queue_position("front") is None
    assert await storage.queue_position("early") == 1


async def test_queue_position_breaks_ties_like_the_waiting_order(
    storage: Storage, seeded: Seed
) -> None:
    """Equal keys are ordered by arrival, then id; other queues never count."""
    shapes = [  # (id, tier, key offset, arrival offset)
        ("b", 1, 5, 7),
        ("a", 1, 5, 7),  # same key and arrival as "b": the id decides
        ("c", 1, 5, 3),  # same key, earlier arrival
        ("d", 1, 2, 9),
        ("e", 0, 40, 40),
        ("f", 1, 8, 1),
        ("g", 0, 40, 12),
    ]
    for cid, tier, key, at in shapes:
        await storage.create_contact(
            new_contact(cid, priority_tier=tier, priority_key=T0 + key, created_at=T0 + at)
        )
    await storage.create_contact(
        new_contact("other", queue_id="u1:doctor", priority_tier=0, priority_key=T0)
    )
    order = [c.id for c in await storage.waiting(["u1:nurse"])]
    assert order == ["g", "e", "d", "c", "a", "b", "f"]
    assert [await storage.queue_position(cid) for cid in order] == list(range(1, 8))
    assert await storage.queue_position("other") == 1


async def test_create_placed_counts_the_new_place_in_its_write(
    storage: Storage, seeded: Seed
) -> None:
    """An intake's write returns the new contact's place; none when not queued."""
    await storage.create_contact(new_contact("early", priority_key=T0 - 10))
    created, place = await storage.write(
        contacts.create_placed(new_contact("new", priority_key=T0))
    )
    assert (created.id, place) == ("new", 2)
    advised, none = await storage.write(
        contacts.create_placed(
            new_contact("sos", status="emergency_advised", priority_tier=0, priority_key=None)
        )
    )
    assert (advised.status, none) == ("emergency_advised", None)
