"""Push subscriptions and the SMS number (storage/reach.py), on both engines:
bound to their owner, pruned, and deleted with the close or the session."""

from __future__ import annotations

from chatserver.storage import Storage, reach
from chatserver.storage.base import Session
from chatserver.storage.reach import Subscription

from .factories import T0, Seed, new_contact


def sub(n: int, **owner: object) -> Subscription:
    return Subscription(f"https://push.example/{n}", f"key{n}", f"auth{n}", **owner)  # type: ignore[arg-type]


async def test_phone_kept_while_open_and_deleted_at_close(storage: Storage, seeded: Seed) -> None:
    """The number is stored for an open contact and goes in the close's transaction."""
    await storage.create_contact(new_contact("c1"))
    assert await storage.write(reach.put_phone("c1", "+46701234567", T0)) is True
    assert await storage.write(reach.put_phone("c1", "+46731234567", T0 + 1)) is True
    assert await storage.read(reach.phone_of("c1")) == "+46731234567"
    closed = await storage.close_contact(
        "c1", outcome="resolved_in_chat", at=T0 + 2, actor_user_id=seeded.alice.id
    )
    assert closed is not None
    assert await storage.read(reach.phone_of("c1")) is None
    # Closed or unknown contacts take no number.
    assert await storage.write(reach.put_phone("c1", "+46701234567", T0 + 3)) is False
    assert await storage.write(reach.put_phone("nope", "+46701234567", T0 + 3)) is False


async def test_patient_subscriptions_pruned_and_forgotten(storage: Storage, seeded: Seed) -> None:
    """At most MAX_PER_OWNER per contact, newest kept; forget_closed clears closed ones."""
    await storage.create_contact(new_contact("c1"))
    await storage.create_contact(new_contact("c2"))
    for n in range(reach.MAX_PER_OWNER + 2):
        await storage.write(reach.put_subscription(sub(n, contact_id="c1"), T0 + n))
    await storage.write(reach.put_subscription(sub(99, contact_id="c2"), T0))
    kept = await storage.read(reach.patient_subscriptions("c1"))
    assert [s.endpoint[-1] for s in kept] == ["2", "3", "4", "5", "6"]
    assert kept[0] == sub(2, contact_id="c1")
    await storage.close_contact("c1", outcome="no_response", at=T0 + 9, actor_user_id=None)
    assert await storage.write(reach.forget_closed()) == 5
    assert [s.endpoint for s in await storage.read(reach.patient_subscriptions("c2"))] == [
        "https://push.example/99"
    ]
    assert await storage.write(reach.forget_contact_subscriptions("c2")) == 1
    assert await storage.write(reach.delete_subscription("https://push.example/99")) == 0


async def test_staff_subscriptions_follow_unit_and_session(storage: Storage, seeded: Seed) -> None:
    """A unit's enabled staff only; a deleted session takes its subscription along."""
    for user, h in ((seeded.alice, "h-a"), (seeded.bob, "h-b")):
        await storage.create_session(Session(h, user.id, "csrf", T0, T0))
    await storage.write(
        reach.put_subscription(sub(1, user_id=seeded.alice.id, session_hash="h-a"), T0)
    )
    await storage.write(
        reach.put_subscription(sub(2, user_id=seeded.bob.id, session_hash="h-b"), T0)
    )
    u1 = await storage.read(reach.unit_staff_subscriptions("u1"))
    assert [(s.user_id, s.session_hash) for s in u1] == [
        (seeded.alice.id, "h-a"),
        (seeded.bob.id, "h-b"),
    ]
    u2 = await storage.read(reach.unit_staff_subscriptions("u2"))
    assert [s.user_id for s in u2] == [seeded.bob.id]
    await storage.delete_session("h-b")
    assert [s.user_id for s in await storage.read(reach.unit_staff_subscriptions("u1"))] == [
        seeded.alice.id
    ]
