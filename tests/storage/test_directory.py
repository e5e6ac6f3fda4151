"""Units, queues, staff users and sessions."""

from __future__ import annotations

import pytest

from chatserver.storage import Conflict, NotFound, Queue, Session, Storage, Unit, User

from .factories import T0, Seed


async def test_ping(storage: Storage) -> None:
    """An open storage answers ping."""
    assert await storage.ping() is True


async def test_units_and_queues_round_trip(storage: Storage, seeded: Seed) -> None:
    """Units and queues come back exactly as added, ordered by id."""
    assert await storage.list_units() == [
        Unit("u1", "Vårdcentral Ett", always_open=False, rollout="live", created_at=T0),
        Unit("u2", "Vårdcentral Två", always_open=True, rollout="pilot", created_at=T0),
    ]
    assert await storage.get_unit("u2") == Unit(
        "u2", "Vårdcentral Två", always_open=True, rollout="pilot", created_at=T0
    )
    assert await storage.get_unit("nope") is None
    assert [q.id for q in await storage.list_queues()] == ["u1:doctor", "u1:nurse", "u2:nurse"]
    assert [q.id for q in await storage.list_queues(["u2"])] == ["u2:nurse"]
    assert await storage.list_queues([]) == []
    assert await storage.get_queue("u1:nurse") == Queue(
        "u1:nurse", "u1", "nurse", "Sjuksköterska", max_waiting=20
    )
    assert await storage.get_queue("u9:nurse") is None


async def test_add_unit_conflict(storage: Storage, seeded: Seed) -> None:
    """Adding a unit whose id exists raises Conflict and adds none of its queues."""
    with pytest.raises(Conflict):
        await storage.add_unit(
            Unit("u1", "Dup", always_open=False, rollout="live", created_at=T0),
            [Queue("u1:psych", "u1", "psych", "Psykolog")],
        )
    assert await storage.get_queue("u1:psych") is None
    assert (await storage.get_unit("u1")) is not None
    assert (await storage.get_unit("u1")).name == "Vårdcentral Ett"  # type: ignore[union-attr]


async def test_add_unit_with_clashing_queue_adds_nothing(storage: Storage, seeded: Seed) -> None:
    """A new unit whose queue id already exists raises Conflict and leaves no unit behind."""
    with pytest.raises(Conflict):
        await storage.add_unit(
            Unit("u3", "Tre", always_open=False, rollout="live", created_at=T0),
            [Queue("u1:nurse", "u3", "nurse", "Sjuksköterska")],
        )
    assert await storage.get_unit("u3") is None


async def test_users(storage: Storage, seeded: Seed) -> None:
    """Users round-trip with sorted unit ids, by id and by username."""
    bob = User(
        id=seeded.bob.id,
        username="bob",
        display_name="Bob B",
        role="doctor",
        password_hash="h-bob",
        totp_secret="SECRET",
        disabled=False,
        created_at=T0,
        unit_ids=("u1", "u2"),
    )
    assert seeded.bob == bob
    assert await storage.get_user(seeded.bob.id) == bob
    assert await storage.get_user_by_username("bob") == bob
    assert await storage.get_user(999_999) is None
    assert await storage.get_user_by_username("mallory") is None


async def test_add_user_conflict_and_unknown_unit(storage: Storage, seeded: Seed) -> None:
    """A taken username raises Conflict; an unknown unit raises NotFound and adds nobody."""
    with pytest.raises(Conflict):
        await storage.add_user(
            username="alice",
            display_name="A2",
            role="nurse",
            password_hash="x",
            totp_secret=None,
            unit_ids=["u1"],
            created_at=T0,
        )
    with pytest.raises(NotFound):
        await storage.add_user(
            username="carol",
            display_name="C",
            role="nurse",
            password_hash="x",
            totp_secret=None,
            unit_ids=["u1", "u404"],
            created_at=T0,
        )
    assert await storage.get_user_by_username("carol") is None


async def test_set_password_hash(storage: Storage, seeded: Seed) -> None:
    """The new hash is stored; an unknown user raises NotFound."""
    await storage.set_password_hash(seeded.alice.id, "h-new")
    user = await storage.get_user(seeded.alice.id)
    assert user is not None
    assert user.password_hash == "h-new"
    with pytest.raises(NotFound):
        await storage.set_password_hash(999_999, "h")


async def test_sessions(storage: Storage, seeded: Seed) -> None:
    """Sessions are created, read, touched, and deleted; duplicates conflict."""
    session = Session("sha-1", seeded.alice.id, "csrf", created_at=T0, last_seen_at=T0)
    await storage.create_session(session)
    assert await storage.get_session("sha-1") == session
    with pytest.raises(Conflict):
        await storage.create_session(session)
    await storage.touch_session("sha-1", T0 + 60)
    assert await storage.get_session("sha-1") == Session(
        "sha-1", seeded.alice.id, "csrf", created_at=T0, last_seen_at=T0 + 60
    )
    await storage.delete_session("sha-1")
    assert await storage.get_session("sha-1") is None
    await storage.delete_session("sha-1")  # deleting twice is harmless
    await storage.touch_session("sha-1", T0)  # so is touching a deleted one
    assert await storage.get_session("sha-1") is None


async def test_session_for_unknown_user(storage: Storage, seeded: Seed) -> None:
    """A session for a user that does not exist raises NotFound."""
    with pytest.raises(NotFound):
        await storage.create_session(Session("sha-2", 999_999, "c", T0, T0))
