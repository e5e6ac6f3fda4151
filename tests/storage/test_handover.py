"""What travels with a contact: notes, transfer notes and screen answers, read
in one query for many contacts with their authors' names (both engines)."""

from __future__ import annotations

from chatserver.core.handover import Handover, HandoverNote, ScreenAnswer, handovers
from chatserver.storage import Storage
from chatserver.storage.base import HandoverEvent

from .factories import T0, Seed, new_contact


async def test_handover_events_of_many_contacts(storage: Storage, seeded: Seed) -> None:
    """Notes, transfers and screen answers of the contacts asked for, oldest
    first per contact, with the author's display name; other events and other
    contacts stay out."""
    for cid in ("c1", "c2", "c3"):
        await storage.create_contact(new_contact(cid))
    alice = seeded.alice
    await storage.add_event(
        "c1",
        kind="screening",
        at=T0,
        actor_user_id=None,
        data={"answers": {"chest_pain_now": False}, "yes": []},
    )
    await storage.pick(["u1:nurse"], user_id=alice.id, staff_name="Alice", at=T0 + 1)
    await storage.add_event(
        "c1", kind="note", at=T0 + 2, actor_user_id=alice.id, data={"body": "Feber"}
    )
    await storage.transfer(
        "c1",
        queue_id="u2:nurse",
        priority_tier=1,
        priority_key=T0,
        at=T0 + 3,
        actor_user_id=alice.id,
        note="Till enhet två",
    )
    await storage.add_event(
        "c3", kind="note", at=T0 + 4, actor_user_id=seeded.bob.id, data={"body": "Annan"}
    )

    events = await storage.handover_events(["c1", "c2"])
    assert [(e.contact_id, e.kind, e.at, e.author) for e in events] == [
        ("c1", "screening", T0, None),
        ("c1", "note", T0 + 2, alice.display_name),
        ("c1", "transfer", T0 + 3, alice.display_name),
    ]
    assert events[2].data["note"] == "Till enhet två"
    assert events[2].data["to_queue_id"] == "u2:nurse"
    assert await storage.handover_events([]) == []
    assert await storage.handover_events(["c404"]) == []

    by_contact = handovers(await storage.handover_events(["c1", "c3"]))
    assert by_contact["c1"].notes == (
        HandoverNote("note", "Feber", alice.display_name, T0 + 2),
        HandoverNote("transfer", "Till enhet två", alice.display_name, T0 + 3, "u2:nurse"),
    )
    assert [a.id for a in by_contact["c1"].screening] == ["chest_pain_now"]
    assert by_contact["c3"] == Handover(
        (HandoverNote("note", "Annan", seeded.bob.display_name, T0 + 4),), ()
    )


def test_handovers_pure() -> None:
    """Empty notes and note-less transfers hand nothing over; unknown screen ids
    and non-boolean answers are left out; the questions come in both languages."""
    events = [
        HandoverEvent("c1", "note", 1.0, "Nina", {"body": ""}),
        HandoverEvent("c1", "transfer", 2.0, "Nina", {"note": None, "to_queue_id": "q"}),
        HandoverEvent("c2", "transfer", 3.0, None, {"note": "Ring upp"}),
        HandoverEvent(
            "c3",
            "screening",
            4.0,
            None,
            {"answers": {"chest_pain_now": True, "nope": True, "stroke_signs": "yes"}},
        ),
        HandoverEvent("c4", "screening", 5.0, None, {"answers": "broken"}),
        HandoverEvent("c5", "model_raise", 6.0, None, {}),
    ]
    out = handovers(events)
    assert set(out) == {"c2", "c3"}
    assert out["c2"].notes == (HandoverNote("transfer", "Ring upp", None, 3.0, None),)
    [answer] = out["c3"].screening
    assert answer.id == "chest_pain_now"
    assert answer.answer is True
    assert answer.sv
    assert answer.en
    assert answer.sv != answer.en
    assert isinstance(answer, ScreenAnswer)
