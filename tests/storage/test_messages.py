"""Appending and replaying messages: gapless seqs, idempotency, durability."""

from __future__ import annotations

import asyncio
import dataclasses
import random

import pytest

from chatserver.storage import (
    AppendResult,
    Conflict,
    Message,
    NewMessage,
    NotAssigned,
    NotFound,
    Storage,
)

from .conftest import Backend
from .factories import T0, Seed, new_contact, patient_message, seed, staff_message


async def test_append_and_replay(storage: Storage, seeded: Seed) -> None:
    """Appends get seq 1, 2, 3 and messages_after replays them in order."""
    await storage.create_contact(new_contact("c1"))
    first = await storage.append_message(patient_message("c1", "m1", "hej", T0 + 1))
    assert first == AppendResult(
        Message("c1", 1, "patient", "Patient", "m1", "hej", T0 + 1),
        duplicate=False,
        status="queued",
        assigned_user_id=None,
    )
    await storage.append_message(patient_message("c1", "m2", "två", T0 + 2))
    await storage.append_message(patient_message("c1", "m3", "tre", T0 + 3))
    assert [m.seq for m in await storage.messages_after("c1", 0)] == [1, 2, 3]
    assert [m.body for m in await storage.messages_after("c1", 1)] == ["två", "tre"]
    assert await storage.messages_after("c1", 3) == []
    contact = await storage.get_contact("c1")
    assert contact is not None
    assert contact.last_seq == 3


async def test_messages_after_limit(storage: Storage, seeded: Seed) -> None:
    """limit caps how many messages after the given seq are returned."""
    await storage.create_contact(new_contact("c1"))
    for i in range(10):
        await storage.append_message(patient_message("c1", f"m{i}"))
    assert [m.seq for m in await storage.messages_after("c1", 2, limit=3)] == [3, 4, 5]
    assert [m.seq for m in await storage.messages_after("c1", 8, limit=5)] == [9, 10]
    assert await storage.messages_after("c1", 0, limit=0) == []
    assert await storage.messages_after("c404", 0) == []


async def test_resend_returns_original(storage: Storage, seeded: Seed) -> None:
    """Re-sending a client_id returns the original (even with another body) and writes nothing."""
    await storage.create_contact(new_contact("c1"))
    original = await storage.append_message(patient_message("c1", "m1", "första", T0))
    resent = await storage.append_message(patient_message("c1", "m1", "ändrad", T0 + 9))
    assert resent == AppendResult(
        original.message, duplicate=True, status=original.status, assigned_user_id=None
    )
    assert resent.message.body == "första"
    assert [m.body for m in await storage.messages_after("c1", 0)] == ["första"]
    nxt = await storage.append_message(patient_message("c1", "m2"))
    assert nxt.message.seq == 2


async def test_same_client_id_other_sender_or_contact(storage: Storage, seeded: Seed) -> None:
    """The same client_id from another sender, or in another contact, is a new message."""
    await storage.create_contact(new_contact("c1"))
    await storage.create_contact(new_contact("c2"))
    a = await storage.append_message(patient_message("c1", "x"))
    b = await storage.append_message(staff_message("c1", seeded.alice, "x"))
    c = await storage.append_message(patient_message("c2", "x"))
    system = dataclasses.replace(patient_message("c1", "x"), sender="system", sender_key="sys")
    d = await storage.append_message(system)
    e = await storage.append_message(dataclasses.replace(system, contact_id="c2"))
    assert [(r.message.contact_id, r.message.seq, r.duplicate) for r in (a, b, c, d, e)] == [
        ("c1", 1, False),
        ("c1", 2, False),
        ("c2", 1, False),
        ("c1", 3, False),
        ("c2", 2, False),
    ]


async def test_duplicate_within_one_batch(storage: Storage, seeded: Seed) -> None:
    """The same client_id twice in one burst: the second is a duplicate of the first."""
    await storage.create_contact(new_contact("c1"))
    results = await asyncio.gather(
        storage.append_message(patient_message("c1", "a", "ett")),
        storage.append_message(patient_message("c1", "b", "två")),
        storage.append_message(patient_message("c1", "a", "igen")),
        storage.append_message(patient_message("c1", "c", "tre")),
    )
    assert [(r.message.seq, r.message.body, r.duplicate) for r in results] == [
        (1, "ett", False),
        (2, "två", False),
        (1, "ett", True),
        (3, "tre", False),
    ]
    assert [m.client_id for m in await storage.messages_after("c1", 0)] == ["a", "b", "c"]


async def test_append_to_closed_or_unknown(storage: Storage, seeded: Seed) -> None:
    """Conflict on a closed contact, NotFound on an unknown one; a resend still dedupes."""
    await storage.create_contact(new_contact("c1"))
    await storage.append_message(patient_message("c1", "m1"))
    await storage.close_contact("c1", outcome="done", at=T0 + 1, actor_user_id=None)
    with pytest.raises(Conflict):
        await storage.append_message(patient_message("c1", "m2"))
    with pytest.raises(NotFound):
        await storage.append_message(patient_message("c404", "m1"))
    resend = await storage.append_message(patient_message("c1", "m1"))
    assert (resend.message.seq, resend.duplicate) == (1, True)
    assert [m.seq for m in await storage.messages_after("c1", 0)] == [1]


async def test_first_staff_reply_at(storage: Storage, seeded: Seed) -> None:
    """first_staff_reply_at is the time of the first staff message only."""
    await storage.create_contact(new_contact("c1"))
    await storage.append_message(patient_message("c1", "p1", at=T0 + 1))
    contact = await storage.get_contact("c1")
    assert contact is not None
    assert contact.first_staff_reply_at is None
    await storage.append_message(staff_message("c1", seeded.alice, "s1", at=T0 + 5))
    await storage.append_message(staff_message("c1", seeded.alice, "s2", at=T0 + 7))
    contact = await storage.get_contact("c1")
    assert contact is not None
    assert (contact.first_staff_reply_at, contact.last_seq) == (T0 + 5, 3)


async def test_concurrent_appends_are_gapless(storage: Storage, seeded: Seed) -> None:
    """500 concurrent appends over 5 contacts give each contact seqs 1..100 in call order."""
    ids = [f"c{i}" for i in range(5)]
    for cid in ids:
        await storage.create_contact(new_contact(cid))
    calls = [(ids[i % 5], f"m{i}") for i in range(500)]
    results = await asyncio.gather(
        *(storage.append_message(patient_message(cid, mid, body=mid)) for cid, mid in calls)
    )
    assert all(not r.duplicate for r in results)
    for cid in ids:
        mine = [r.message for r in results if r.message.contact_id == cid]
        assert [m.seq for m in mine] == list(range(1, 101))
        stored = await storage.messages_after(cid, 0)
        assert stored == mine
        contact = await storage.get_contact(cid)
        assert contact is not None
        assert contact.last_seq == 100


async def test_failing_ops_in_a_burst_do_not_affect_others(storage: Storage, seeded: Seed) -> None:
    """In one burst, failing appends and writes get their own errors; the rest is stored."""
    await storage.create_contact(new_contact("open"))
    await storage.create_contact(new_contact("shut"))
    await storage.close_contact("shut", outcome="done", at=T0, actor_user_id=None)
    results = await asyncio.gather(
        storage.append_message(patient_message("open", "m1")),
        storage.append_message(patient_message("shut", "m1")),
        storage.create_contact(new_contact("open")),  # id taken
        storage.append_message(patient_message("c404", "m1")),
        storage.create_contact(new_contact("new")),
        storage.append_message(patient_message("open", "m2")),
        return_exceptions=True,
    )
    assert [type(r).__name__ for r in results] == [
        "AppendResult",
        "Conflict",
        "Conflict",
        "NotFound",
        "Contact",
        "AppendResult",
    ]
    assert [m.client_id for m in await storage.messages_after("open", 0)] == ["m1", "m2"]
    assert await storage.messages_after("shut", 0) == []
    assert await storage.get_contact("new") is not None


async def test_data_survives_reopen(backend: Backend) -> None:
    """Everything acknowledged is there after close and reopen (migrations run again, no-op)."""
    first = backend.make()
    await first.open()
    seeded = await seed(first)
    await first.create_contact(new_contact("c1"))
    await asyncio.gather(*(first.append_message(patient_message("c1", f"m{i}")) for i in range(20)))
    await first.pick(["u1:nurse"], user_id=seeded.alice.id, staff_name="A", at=T0 + 1)
    await first.close()

    second = backend.make()
    await second.open()
    try:
        contact = await second.get_contact("c1")
        assert contact is not None
        assert (contact.status, contact.last_seq, contact.assigned_user_id) == (
            "assigned",
            20,
            seeded.alice.id,
        )
        assert [m.seq for m in await second.messages_after("c1", 0)] == list(range(1, 21))
        assert [e.kind for e in await second.events("c1")] == ["intake", "pick"]
        nxt = await second.append_message(patient_message("c1", "after"))
        assert nxt.message.seq == 21
    finally:
        await second.close()


async def test_close_drains_pending_writes(backend: Backend) -> None:
    """close() completes every write already queued before it closes the connections."""
    store = backend.make()
    await store.open()
    await seed(store)
    await store.create_contact(new_contact("c1"))
    tasks = [
        asyncio.create_task(store.append_message(patient_message("c1", f"m{i}")))
        for i in range(100)
    ]
    await asyncio.sleep(0)  # let every task enqueue its append
    await store.close()
    assert [t.result().message.seq for t in tasks] == list(range(1, 101))
    reopened = backend.make()
    await reopened.open()
    try:
        assert len(await reopened.messages_after("c1", 0)) == 100
    finally:
        await reopened.close()


async def test_random_bursts_with_resends(storage: Storage, seeded: Seed) -> None:
    """Random bursts mixing new messages and resends keep seqs gapless and resends stable."""
    rng = random.Random(20240601)
    ids = ["c0", "c1", "c2"]
    for cid in ids:
        await storage.create_contact(new_contact(cid))
    first_seen: dict[tuple[str, str], int] = {}
    sent: dict[str, int] = dict.fromkeys(ids, 0)
    for _round in range(20):
        burst = []
        for _ in range(rng.randint(1, 40)):
            cid = rng.choice(ids)
            if sent[cid] and rng.random() < 0.3:
                mid = f"m{rng.randrange(sent[cid])}"
            else:
                mid = f"m{sent[cid]}"
                sent[cid] += 1
            burst.append((cid, mid))
        results = await asyncio.gather(
            *(storage.append_message(patient_message(c, m)) for c, m in burst)
        )
        for (cid, mid), r in zip(burst, results, strict=True):
            key = (cid, mid)
            if key in first_seen:
                assert (r.duplicate, r.message.seq) == (True, first_seen[key])
            else:
                assert r.duplicate is False
                first_seen[key] = r.message.seq
    for cid in ids:
        stored = await storage.messages_after(cid, 0)
        assert [m.seq for m in stored] == list(range(1, sent[cid] + 1))


async def test_require_assigned_user(storage: Storage, seeded: Seed) -> None:
    """A staff message that requires its sender's assignment is refused otherwise."""
    await storage.create_contact(new_contact("c1"))
    staff_msg = NewMessage(
        contact_id="c1",
        sender="staff",
        sender_key=f"s:{seeded.alice.id}",
        sender_name="Nina",
        client_id="s1",
        body="hej",
        sent_at=T0 + 5,
        require_assigned_user=seeded.alice.id,
    )
    with pytest.raises(NotAssigned):
        await storage.append_message(staff_msg)
    picked = await storage.pick(["u1:nurse"], user_id=seeded.alice.id, staff_name="Nina", at=T0 + 6)
    assert picked is not None
    result = await storage.append_message(staff_msg)
    assert (result.message.seq, result.status, result.assigned_user_id) == (
        1,
        "assigned",
        seeded.alice.id,
    )
