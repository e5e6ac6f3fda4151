"""``close_contact(seen_seq=...)``: refused while a newer patient message exists
(issue 21 point 5), on both engines; nothing is written when refused."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.storage import Conflict, Storage
from chatserver.storage.base import UnseenMessages

from .factories import T0, Seed, new_contact, patient_message, staff_message


async def _assigned(storage: Storage, seeded: Seed, contact_id: str) -> None:
    await storage.create_contact(new_contact(contact_id))
    picked = await storage.pick(
        ["u1:nurse"], user_id=seeded.alice.id, staff_name="Alice A", at=T0, contact_id=contact_id
    )
    assert picked is not None


async def test_a_newer_patient_message_refuses_the_close(storage: Storage, seeded: Seed) -> None:
    await _assigned(storage, seeded, "c1")
    await storage.append_message(patient_message("c1", "p1", "hej", T0 + 1))
    await storage.append_message(staff_message("c1", seeded.alice, "s1", "hej hej", T0 + 2))
    await storage.append_message(patient_message("c1", "p2", "feber nu", T0 + 3))
    await storage.append_message(staff_message("c1", seeded.alice, "s2", "okej", T0 + 4))
    with pytest.raises(UnseenMessages) as refused:
        await storage.close_contact(
            "c1", outcome="resolved_in_chat", at=T0 + 5, actor_user_id=seeded.alice.id, seen_seq=2
        )
    assert refused.value.newest_seq == 3
    contact = await storage.get_contact("c1")
    assert contact is not None
    assert (contact.status, contact.outcome) == ("assigned", None)
    assert [e.kind for e in await storage.events("c1")].count("close") == 0
    # Newer staff messages do not count; seen up to 3, the close goes through.
    closed = await storage.close_contact(
        "c1", outcome="resolved_in_chat", at=T0 + 6, actor_user_id=seeded.alice.id, seen_seq=3
    )
    assert closed is not None
    assert closed.status == "closed"


async def test_without_seen_seq_the_close_is_unconditional(storage: Storage, seeded: Seed) -> None:
    await _assigned(storage, seeded, "c2")
    await storage.append_message(patient_message("c2", "p1", "hej", T0 + 1))
    closed = await storage.close_contact(
        "c2", outcome="resolved_in_chat", at=T0 + 2, actor_user_id=seeded.alice.id
    )
    assert closed is not None


async def test_close_and_append_race_never_hides_a_message(storage: Storage, seeded: Seed) -> None:
    """A close seen up to seq 1 racing with patient messages: either the close is
    refused, or every message stored is <= 1 and later ones are refused."""
    for n in range(10):
        cid = f"r{n}"
        await _assigned(storage, seeded, cid)
        await storage.append_message(patient_message(cid, "p0", "hej", T0 + 1))

        async def close(cid: str = cid) -> bool:
            try:
                await storage.close_contact(
                    cid, outcome="resolved_in_chat", at=T0 + 2, actor_user_id=None, seen_seq=1
                )
            except UnseenMessages:
                return False
            return True

        async def append(cid: str = cid) -> None:
            try:
                await storage.append_message(patient_message(cid, "p1", "till", T0 + 2))
            except Conflict:  # refused because closed: fine here
                return

        closed, _ = await asyncio.gather(close(), append())
        seqs = [m.seq for m in await storage.messages_after(cid, 0)]
        if closed:
            assert seqs == [1]
        else:
            assert seqs == [1, 2]
