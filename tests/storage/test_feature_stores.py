"""The feature stores (operations, survey, canned responses, audit) on both engines:
one implementation each, run as plans by SQLite's writer and by asyncpg."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from chatserver.admin.store import PURGE_BATCH, UNSET, OperationsStore
from chatserver.audit.chain import GENESIS_HASH, AuditEvent, verify
from chatserver.audit.store import AuditQuery, AuditStore
from chatserver.canned import CannedStore
from chatserver.storage import Conflict, NotFound, Queue, Session, Storage
from chatserver.survey import SurveyAnswer, SurveyStore

from .conftest import Backend
from .factories import T0, Seed, new_contact, patient_message

KEY = b"k" * 32


def _event(i: int, **changes: Any) -> AuditEvent:
    event = AuditEvent(
        at=f"2026-11-24T06:00:{i:02d}.000000Z",
        action="sync",
        result="ok",
        request_id=f"r{i}",
        detail={"i": i},
    )
    return replace(event, **changes)


async def test_retention_purge_removes_free_text_only(storage: Storage, seeded: Seed) -> None:
    """Closed contacts past the cut-off lose name, text, matched words, bodies and notes;
    legal holds, open contacts and already purged ones are left alone."""
    ops = OperationsStore(storage)
    for cid in ("old", "held", "open"):
        await storage.create_contact(new_contact(cid, created_at=T0))
        await storage.append_message(patient_message(cid, "m1", body="hemligt"))
    await storage.add_event(
        "old",
        kind="note",
        at=T0 + 1,
        actor_user_id=seeded.alice.id,
        data={"note": "anteckning", "queue_id": "u1:nurse"},
    )
    for cid in ("old", "held"):
        await storage.close_contact(cid, outcome="resolved_in_chat", at=T0 + 10, actor_user_id=None)
    assert await ops.set_legal_hold("held", hold=True, reason="IVO", at=T0, by=None) is True
    assert await ops.set_legal_hold("held", hold=True, reason="IVO", at=T0, by=None) is False
    assert await ops.legal_hold("held") is True
    assert await ops.legal_hold("old") is False

    assert await ops.purge_before(T0 + 100, at=T0 + 200) == ["old"]
    assert await ops.purge_before(T0 + 100, at=T0 + 300) == []

    old = await storage.get_contact("old")
    assert old is not None
    assert (old.name, old.text) == ("", "")
    assert [dict(r) for r in old.reasons] == [{"rule_id": "r1", "level": "standard"}]
    assert [m.body for m in await storage.messages_after("old", 0)] == [""]
    note = next(e for e in await storage.events("old") if e.kind == "note")
    assert dict(note.data) == {"queue_id": "u1:nurse"}
    held = await storage.get_contact("held")
    assert held is not None
    assert (held.name, held.text) == ("Patient held", "Jag hostar.")
    assert [m.body for m in await storage.messages_after("open", 0)] == ["hemligt"]

    assert await ops.set_legal_hold("held", hold=False, reason="done", at=T0, by=None) is True
    assert await ops.set_legal_hold("held", hold=False, reason="done", at=T0, by=None) is False
    assert await ops.purge_before(T0 + 100, at=T0 + 400) == ["held"]
    with pytest.raises(NotFound):
        await ops.set_legal_hold("nobody", hold=True, reason="x", at=T0, by=None)


async def test_retention_purge_goes_in_batches(storage: Storage, seeded: Seed) -> None:
    """One call purges at most PURGE_BATCH contacts, in id order; the next call the rest."""
    for i in range(PURGE_BATCH + 3):
        cid = f"c{i:04d}"
        await storage.create_contact(new_contact(cid, status="emergency_advised"))
    ops = OperationsStore(storage)
    first = await ops.purge_before(T0 + 1, at=T0 + 2)
    assert first == [f"c{i:04d}" for i in range(PURGE_BATCH)]
    assert await ops.purge_before(T0 + 1, at=T0 + 2) == [
        f"c{i:04d}" for i in range(PURGE_BATCH, PURGE_BATCH + 3)
    ]


async def test_banners_hours_queues_and_users(storage: Storage, seeded: Seed) -> None:
    """A new banner ends the open one; hours round-trip; queue and user edits stick."""
    ops = OperationsStore(storage)
    first = await ops.add_banner(
        severity="info", message_sv="a", message_en="a", at=T0, by=None, ends_at=None
    )
    second = await ops.add_banner(
        severity="critical", message_sv="b", message_en="b", at=T0 + 5, by=None, ends_at=T0 + 60
    )
    assert [(b.id, b.ended_at) for b in await ops.banners(10)] == [
        (second.id, None),
        (first.id, T0 + 5),
    ]
    assert (second.severity, second.ends_at, second.created_at) == ("critical", T0 + 60, T0 + 5)
    assert (await ops.end_banner(second.id, at=T0 + 9, by=None)).ended_at == T0 + 9  # type: ignore[union-attr]
    assert await ops.end_banner(999, at=T0 + 9, by=None) is None

    await ops.set_hours("u1", {"weekly": {"mon": [["08:00", "17:00"]]}}, at=T0, by=None)
    await ops.set_hours("u1", {"weekly": {"tue": [["08:00", "12:00"]]}}, at=T0, by=None)
    assert await ops.all_hours() == {"u1": {"weekly": {"tue": [["08:00", "12:00"]]}}}
    await ops.set_hours("u1", None, at=T0, by=None)
    assert await ops.all_hours() == {}
    with pytest.raises(NotFound):
        await ops.set_hours("nowhere", {}, at=T0, by=None)

    unit = await ops.update_unit("u1", name="VC 1", always_open=True, rollout=None)
    assert (unit.name, unit.always_open, unit.rollout) == ("VC 1", True, "live")  # type: ignore[union-attr]
    assert await ops.update_unit("nowhere", name="x", always_open=None, rollout=None) is None

    q = await ops.update_queue("u1:nurse", name="SSK", max_waiting=None)
    assert (q.name, q.max_waiting) == ("SSK", None)  # type: ignore[union-attr]
    q = await ops.update_queue("u1:nurse", name=None, max_waiting=UNSET)
    assert (q.name, q.max_waiting) == ("SSK", None)  # type: ignore[union-attr]
    q = await ops.update_queue("u1:nurse", name=None, max_waiting=7)
    assert (q.name, q.max_waiting) == ("SSK", 7)  # type: ignore[union-attr]

    await ops.add_queue(Queue("u2:doctor", "u2", "doctor", "Läkare 2"))
    assert (await storage.get_queue("u2:doctor")) == Queue("u2:doctor", "u2", "doctor", "Läkare 2")
    with pytest.raises(Conflict):
        await ops.add_queue(Queue("u2:doctor", "u2", "doctor", "again"))
    with pytest.raises(NotFound):
        await ops.add_queue(Queue("u9:nurse", "u9", "nurse", "none"))


async def test_user_changes(storage: Storage, seeded: Seed) -> None:
    """User edits stick; unknown units refuse the whole change; sessions end together."""
    ops = OperationsStore(storage)
    alice = seeded.alice.id
    u = await ops.update_user(
        alice, display_name="Alice B", role=None, unit_ids=["u2", "u1"], disabled=True
    )
    assert (u.display_name, u.role, u.unit_ids, u.disabled) == (  # type: ignore[union-attr]
        "Alice B",
        "nurse",
        ("u1", "u2"),
        True,
    )
    u = await ops.update_user(alice, display_name=None, role=None, unit_ids=[], disabled=False)
    assert (u.display_name, u.unit_ids, u.disabled) == ("Alice B", (), False)  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        await ops.update_user(alice, display_name="X", role=None, unit_ids=["u9"], disabled=None)
    assert (await storage.get_user(alice)).display_name == "Alice B"  # type: ignore[union-attr]
    assert (
        await ops.update_user(999, display_name="X", role=None, unit_ids=None, disabled=None)
        is None
    )

    assert await ops.set_totp_secret(alice, "S") is True
    assert await ops.set_totp_secret(999, "S") is False
    assert (await storage.get_user(alice)).totp_secret == "S"  # type: ignore[union-attr]
    assert [x.username for x in await ops.list_users()] == ["alice", "bob"]
    assert [x.unit_ids for x in await ops.list_users()] == [(), ("u1", "u2")]

    for h in ("h1", "h2"):
        await storage.create_session(Session(h, alice, "csrf", T0, T0))
    await storage.create_session(Session("h3", seeded.bob.id, "csrf", T0, T0))
    assert sorted(await ops.delete_sessions(alice)) == ["h1", "h2"]
    assert await ops.delete_sessions(alice) == []
    assert await storage.get_session("h3") is not None


async def test_survey_and_canned(storage: Storage, seeded: Seed) -> None:
    """One survey answer per contact with its summary; canned responses with their limit."""
    survey = SurveyStore(storage)
    canned = CannedStore(storage)
    await storage.create_contact(new_contact("c1"))
    await storage.create_contact(new_contact("c2"))
    await storage.create_contact(new_contact("c3"))
    for cid in ("c1", "c2", "c3"):
        await storage.close_contact(cid, outcome="resolved_in_chat", at=T0 + 10, actor_user_id=None)
    answer = SurveyAnswer("c1", "u1", 4, None, T0 + 20)
    assert (await survey.add(answer), await survey.add(answer)) == (True, False)
    assert await survey.add(SurveyAnswer("c2", "u1", 5, "Tack!", T0 + 20)) is True
    assert await survey.get("c1") == answer
    assert await survey.get("c3") is None
    summary = await survey.summary("u1", T0, T0 + 100)
    assert (summary.responses, summary.eligible, summary.mean_rating) == (2, 3, 4.5)
    assert summary.response_rate == 0.6667
    empty = await survey.summary("u2", T0, T0 + 100)
    assert (empty.responses, empty.eligible, empty.mean_rating, empty.response_rate) == (
        0,
        0,
        None,
        0.0,
    )

    made = await canned.create(
        "u1", title="Hej", body="Hej!", user_id=seeded.alice.id, at=T0, limit=1
    )
    assert made is not None
    assert (made.unit_id, made.title, made.body, made.created_by, made.created_at) == (
        "u1",
        "Hej",
        "Hej!",
        seeded.alice.id,
        T0,
    )
    assert (
        await canned.create("u1", title="Två", body="2", user_id=seeded.alice.id, at=T0, limit=1)
        is None
    )
    assert await canned.list("u1") == [made]
    assert await canned.delete("u2", made.id) is False
    assert (await canned.delete("u1", made.id), await canned.delete("u1", made.id)) == (True, False)
    assert await canned.list("u1") == []


async def test_audit_chain_query_and_sample(storage: Storage, seeded: Seed) -> None:
    """Appends chain from the genesis hash; queries filter; a seed draws the same sample."""
    audit = AuditStore(storage)
    assert await audit.head() == (0, GENESIS_HASH)
    assert await audit.scan(0, 10) == []
    units = ["u1", "u_1", "u1", None, "u2", "u1"]
    for i, unit in enumerate(units):
        actor = seeded.alice if i % 2 == 0 else seeded.bob
        await audit.append(
            _event(
                i,
                unit_id=unit,
                contact_id=f"c{i}" if unit else None,
                actor_user_id=actor.id,
                actor_username=actor.username,
                # "ux1" would match the pattern "u_1" if "_" were a wildcard.
                actor_units="ux1" if i == 3 else ",".join(actor.unit_ids),
                action="audit_query" if i == 5 else "sync",
            ),
            KEY,
        )
    events = await audit.scan(0, 100)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[0].prev_hash == GENESIS_HASH
    assert verify(events, KEY, None).ok
    assert await audit.head() == (6, events[-1].hash)
    assert [e.seq for e in await audit.scan(4, 1)] == [5]

    async def seqs(**filters: Any) -> list[int]:
        return [e.seq for e in await audit.query(AuditQuery(**filters))]

    assert await seqs() == [1, 2, 3, 4, 5, 6]
    assert await seqs(limit=2) == [1, 2]
    assert await seqs(user_id=seeded.alice.id) == [1, 3, 5]
    assert await seqs(username="bob") == [2, 4, 6]
    assert await seqs(contact_id="c2") == [3]
    # The event's unit, or a unit of the actor (bob: u1 and u2, but "ux1" on event 4).
    assert await seqs(unit_id="u_1") == [2]
    assert await seqs(unit_id="u2") == [2, 5, 6]
    assert await seqs(action="audit_query") == [6]
    assert await seqs(since=events[2].at, until=events[4].at) == [3, 4]
    assert await seqs(patient_data_only=True) == [1, 2, 3, 5]

    q = AuditQuery(patient_data_only=True)
    drawn = [e.seq for e in await audit.sample(q, 2, seed=7)]
    assert drawn == [1, 3]  # sorted(random.Random(7).sample([1, 2, 3, 5], 2)) on both engines
    assert [e.seq for e in await audit.sample(q, 10, seed=7)] == [1, 2, 3, 5]
    assert await audit.sample(AuditQuery(contact_id="none"), 3, seed=7) == []


async def test_audit_appends_through_two_storages_form_one_chain(backend: Backend) -> None:
    """Concurrent appends through two storages on one database (two instances, or the
    server and the CLI): seqs 1..100 without gaps and the chain verifies."""
    a, b = backend.make(), backend.make()
    await a.open()
    await b.open()
    try:
        stores = [AuditStore(a), AuditStore(b)]
        await asyncio.gather(*(stores[i % 2].append(_event(i), KEY) for i in range(100)))
        events = await stores[1].scan(0, 1000)
        assert [e.seq for e in events] == list(range(1, 101))
        assert verify(events, KEY, None).ok
        assert await stores[0].head() == (100, events[-1].hash)
    finally:
        await a.close()
        await b.close()


async def test_banners_published_at_once_leave_one_open(backend: Backend, seeded: Seed) -> None:
    """Banners published at once through two storages: exactly one stays open."""
    a, b = backend.make(), backend.make()
    await a.open()
    await b.open()
    try:
        stores = [OperationsStore(a), OperationsStore(b)]
        await asyncio.gather(
            *(
                stores[i % 2].add_banner(
                    severity="info",
                    message_sv=f"{i}",
                    message_en=f"{i}",
                    at=T0 + i,
                    by=None,
                    ends_at=None,
                )
                for i in range(20)
            )
        )
        banners = await stores[0].banners(100)
        assert len(banners) == 20
        assert len([x for x in banners if x.ended_at is None]) == 1
    finally:
        await a.close()
        await b.close()
