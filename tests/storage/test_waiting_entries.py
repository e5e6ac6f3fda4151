"""The waiting room read straight into entries equals entry_of over the contacts."""

from __future__ import annotations

from chatserver.flow.waiting import entry_of
from chatserver.storage import Storage
from chatserver.storage.waiting_entries import waiting_entries

from .factories import T0, Seed, new_contact

LONG = "Jag har   haft ont i halsen\n i tre dagar och " + "feber " * 40


async def test_entries_equal_entry_of_each_waiting_contact(storage: Storage, seeded: Seed) -> None:
    """Same fields, same order, a NULL key and a long text included; other queues left out."""
    await storage.create_contact(new_contact("late", priority_key=T0 + 50, text=LONG))
    await storage.create_contact(
        new_contact(
            "front",
            priority_tier=0,
            level="emergency",
            red_flag=True,
            tags=("chest_pain", "breathing"),
            reasons=({"rule_id": "R1", "level": "emergency", "matched": ["bröst"]},),
        )
    )
    await storage.create_contact(new_contact("nokey", priority_key=None, created_at=T0 + 5))
    await storage.create_contact(new_contact("doctor", queue_id="u1:doctor"))
    entries = await storage.read(waiting_entries("u1:nurse"))
    expected = [entry_of(c) for c in await storage.waiting(["u1:nurse"])]
    assert [e.contact_id for e in entries] == ["front", "late", "nokey"]
    assert entries == expected
    assert [(e.reasons, e.name, e.lang, e.preview) for e in entries] == [
        (e.reasons, e.name, e.lang, e.preview) for e in expected
    ]  # (reasons are left out of entry equality)
