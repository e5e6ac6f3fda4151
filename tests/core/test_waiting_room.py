"""Waiting-room order, the ageing rule, positions and summaries."""

from __future__ import annotations

import random

from chatserver.core.waiting_room import (
    AGEING_CREDIT_S,
    TIER_FRONT,
    TIER_NORMAL,
    WaitingEntry,
    WaitingRoom,
    priority_key,
    tier_for,
)

MIN = 60.0


def entry(cid: str, level: str, at: float, *, red_flag: bool = False) -> WaitingEntry:
    return WaitingEntry(
        contact_id=cid,
        level=level,
        tags=(),
        red_flag=red_flag,
        priority_tier=tier_for(level, red_flag=red_flag),
        priority_key=priority_key(level, at),
        queued_at=at,
        created_at=at,
    )


def order(*entries: WaitingEntry) -> list[str]:
    return [e.contact_id for e in WaitingRoom(entries).entries]


def test_levels_then_arrival() -> None:
    """Within an hour of each other: urgent, standard, non_urgent, then arrival."""
    room = order(
        entry("n1", "non_urgent", 0),
        entry("s1", "standard", 1 * MIN),
        entry("u1", "urgent", 2 * MIN),
        entry("s2", "standard", 3 * MIN),
        entry("u2", "urgent", 4 * MIN),
    )
    assert room == ["u1", "u2", "s1", "s2", "n1"]


def test_acknowledged_emergency_first() -> None:
    """A red-flag contact goes before an urgent one that waited for hours."""
    assert order(
        entry("u1", "urgent", 0),
        entry("e1", "emergency", 5 * 3600, red_flag=True),
    ) == ["e1", "u1"]


def test_ageing_non_urgent_overtakes_standard_after_an_hour() -> None:
    """A non-urgent contact waiting 60+ minutes longer goes before a standard one."""
    assert order(entry("n1", "non_urgent", 0), entry("s1", "standard", 59 * MIN)) == ["s1", "n1"]
    assert order(entry("n1", "non_urgent", 0), entry("s1", "standard", 61 * MIN)) == ["n1", "s1"]


def test_ageing_non_urgent_overtakes_urgent_after_two_hours() -> None:
    """The urgent head start is 120 minutes: nobody starves."""
    assert order(entry("n1", "non_urgent", 0), entry("u1", "urgent", 119 * MIN)) == ["u1", "n1"]
    assert order(entry("n1", "non_urgent", 0), entry("u1", "urgent", 121 * MIN)) == ["n1", "u1"]


def test_sent_back_keeps_its_level_and_arrival() -> None:
    """A contact sent back (its nurse vanished, or a transfer) is ordered as if it
    had never been picked: after a more urgent level, before its own level's
    later arrivals (tier and key as chatserver.core.decisions.decide_requeue
    gives them)."""
    first = entry("s-back", "standard", 0)  # picked at 5 min, sent back at 30 min
    later = [entry("u1", "urgent", 10 * MIN), entry("s1", "standard", 12 * MIN)]
    room = WaitingRoom(later)
    room.add(first)
    assert [e.contact_id for e in room.entries] == ["u1", "s-back", "s1"]
    head = room.first()
    assert head is not None
    assert head.contact_id == "u1"
    # The front tier is for red flags and emergencies only, never for "sent back".
    assert first.priority_tier == TIER_NORMAL


def test_credits_documented_values() -> None:
    """The ageing credits are the documented ones."""
    assert dict(AGEING_CREDIT_S) == {
        "emergency": 86400.0,
        "urgent": 7200.0,
        "standard": 3600.0,
        "non_urgent": 0.0,
    }
    assert priority_key("unknown-level", 100.0) == 100.0


def test_tiers() -> None:
    """Red flag or emergency level means the front tier."""
    assert tier_for("urgent", red_flag=True) == TIER_FRONT
    assert tier_for("emergency", red_flag=False) == TIER_FRONT
    assert tier_for("standard", red_flag=False) == TIER_NORMAL


def test_positions_and_changes() -> None:
    """Positions are 1-based; changed_since reports moved and new contacts."""
    before = WaitingRoom([entry("a", "standard", 0), entry("b", "standard", 10)])
    assert before.position("a") == 1
    assert before.position("b") == 2
    assert before.position("zz") is None
    assert before.first() is not None
    assert before.first().contact_id == "a"  # type: ignore[union-attr]
    after = WaitingRoom([entry("b", "standard", 10), entry("c", "standard", 20)])
    assert after.changed_since(before.positions()) == {"b": 1, "c": 2}
    assert len(after) == 2
    assert WaitingRoom().first() is None


def test_summary() -> None:
    """Summary counts, red flags, per level and the oldest wait in whole seconds."""
    room = WaitingRoom(
        [
            entry("a", "standard", 100.0),
            entry("b", "urgent", 160.5),
            entry("c", "emergency", 170.0, red_flag=True),
        ]
    )
    s = room.summary(now=400.0)
    assert (s.count, s.oldest_wait_s, s.red_flags) == (3, 300, 1)
    assert dict(s.by_level) == {"standard": 1, "urgent": 1, "emergency": 1}
    empty = WaitingRoom().summary(now=5.0)
    assert (empty.count, empty.oldest_wait_s, empty.red_flags) == (0, 0, 0)


def test_add_and_remove_keep_the_order_of_a_fresh_sort() -> None:
    """Random arrivals, departures and level changes: the copy kept by add and
    remove equals a room sorted afresh, positions and summary included."""
    rng = random.Random(7)
    room = WaitingRoom()
    truth: dict[str, WaitingEntry] = {}
    levels = ("urgent", "standard", "non_urgent", "emergency")
    for step in range(600):
        cid = f"c{rng.randrange(60)}"
        if cid in truth and rng.random() < 0.5:
            assert room.remove(cid) is True
            del truth[cid]
        else:
            e = entry(cid, rng.choice(levels), rng.randrange(0, 3 * 3600), red_flag=step % 9 == 0)
            room.add(e)
            truth[cid] = e
        fresh = WaitingRoom(truth.values())
        assert room.same_as(fresh)
        assert dict(room.positions()) == dict(fresh.positions())
        assert room.summary(now=20_000.0) == fresh.summary(now=20_000.0)
    assert room.remove("absent") is False
    assert len(room) == len(truth)


def test_changes_since_the_last_positions_after_bursts() -> None:
    """Bursts of arrivals, departures and level changes between two pushes:
    changed_since the room's last map and the map itself equal a full renumbering."""
    rng = random.Random(11)
    room = WaitingRoom()
    truth: dict[str, WaitingEntry] = {}
    levels = ("urgent", "standard", "non_urgent", "emergency")
    pushed = room.positions()
    for _ in range(200):
        for _ in range(rng.randrange(0, 6)):
            cid = f"c{rng.randrange(80)}"
            if cid in truth and rng.random() < 0.4:
                room.remove(cid)
                del truth[cid]
            else:
                e = entry(cid, rng.choice(levels), rng.randrange(0, 3 * 3600))
                room.add(e)
                truth[cid] = e
        expected = dict(WaitingRoom(truth.values()).positions())
        moved = {cid: pos for cid, pos in expected.items() if pushed.get(cid) != pos}
        assert room.changed_since(pushed) == moved
        old, old_copy = pushed, dict(pushed)
        pushed = room.positions()
        assert dict(pushed) == expected
        assert dict(old) == old_copy  # a map once handed out never changes


def test_head_and_membership() -> None:
    """head(n) lists the first n in line; removing the oldest updates the wait."""
    room = WaitingRoom([entry("a", "standard", 0), entry("b", "standard", 10)])
    room.add(entry("c", "urgent", 20))
    assert [e.contact_id for e in room.head(2)] == ["c", "a"]
    assert "b" in room
    assert room.summary(now=100.0).oldest_wait_s == 100
    room.remove("a")
    assert room.summary(now=100.0).oldest_wait_s == 90
    assert dict(room.summary(now=100.0).by_level) == {"standard": 1, "urgent": 1}
    assert room.position("b") == 2
