"""Feature stores on PostgreSQL (operations, survey, canned responses): the SQL
that differs from SQLite's — retention purge with jsonb, banners, hours, users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from chatserver.operations.store import UNSET
from chatserver.storage.postgres import PostgresStorage
from chatserver.storage.postgres_operations import PostgresOperationsStore
from chatserver.storage.postgres_survey_canned import PostgresCannedStore, PostgresSurveyStore
from chatserver.survey import SurveyAnswer
from tests.storage.factories import T0, Seed, new_contact, patient_message, seed

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[tuple[PostgresStorage, Seed]]:
    store = PostgresStorage(pg_url)
    await store.open()
    try:
        yield store, await seed(store)
    finally:
        await store.close()


async def test_retention_purge_removes_free_text_only(pg: tuple[PostgresStorage, Seed]) -> None:
    """Closed contacts past the cut-off lose name, text, matched words, bodies and notes;
    legal holds, open contacts and already purged ones are left alone."""
    store, people = pg
    ops = PostgresOperationsStore(store)
    for cid in ("old", "held", "open"):
        await store.create_contact(new_contact(cid, created_at=T0))
        await store.append_message(patient_message(cid, "m1", body="hemligt"))
    await store.add_event(
        "old",
        kind="note",
        at=T0 + 1,
        actor_user_id=people.alice.id,
        data={"note": "anteckning", "queue_id": "u1:nurse"},
    )
    for cid in ("old", "held"):
        await store.close_contact(cid, outcome="resolved_in_chat", at=T0 + 10, actor_user_id=None)
    assert await ops.set_legal_hold("held", hold=True, reason="IVO", at=T0, by=None) is True
    assert await ops.set_legal_hold("held", hold=True, reason="IVO", at=T0, by=None) is False

    assert await ops.purge_before(T0 + 100, at=T0 + 200) == ["old"]
    assert await ops.purge_before(T0 + 100, at=T0 + 300) == []

    old = await store.get_contact("old")
    assert old is not None
    assert (old.name, old.text) == ("", "")
    assert [dict(r) for r in old.reasons] == [{"rule_id": "r1", "level": "standard"}]
    assert [m.body for m in await store.messages_after("old", 0)] == [""]
    note = next(e for e in await store.events("old") if e.kind == "note")
    assert dict(note.data) == {"queue_id": "u1:nurse"}
    held = await store.get_contact("held")
    assert held is not None
    assert (held.name, held.text) == ("Patient held", "Jag hostar.")
    assert [m.body for m in await store.messages_after("open", 0)] == ["hemligt"]


async def test_banners_hours_queues_and_users(pg: tuple[PostgresStorage, Seed]) -> None:
    """A new banner ends the open one; hours round-trip; queue and user edits stick."""
    store, people = pg
    ops = PostgresOperationsStore(store)
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
    assert (await ops.end_banner(second.id, at=T0 + 9, by=None)).ended_at == T0 + 9  # type: ignore[union-attr]

    await ops.set_hours("u1", {"weekly": {"mon": [["08:00", "17:00"]]}}, at=T0, by=None)
    assert await ops.all_hours() == {"u1": {"weekly": {"mon": [["08:00", "17:00"]]}}}
    await ops.set_hours("u1", None, at=T0, by=None)
    assert await ops.all_hours() == {}

    q = await ops.update_queue("u1:nurse", name="SSK", max_waiting=None)
    assert (q.name, q.max_waiting) == ("SSK", None)  # type: ignore[union-attr]
    q = await ops.update_queue("u1:nurse", name=None, max_waiting=UNSET)
    assert (q.name, q.max_waiting) == ("SSK", None)  # type: ignore[union-attr]

    u = await ops.update_user(
        people.alice.id, display_name="Alice B", role=None, unit_ids=["u2", "u1"], disabled=True
    )
    assert (u.display_name, u.unit_ids, u.disabled) == ("Alice B", ("u1", "u2"), True)  # type: ignore[union-attr]
    assert await ops.set_totp_secret(people.alice.id, "S") is True
    assert await ops.set_totp_secret(999, "S") is False
    assert [x.username for x in await ops.list_users()] == ["alice", "bob"]


async def test_survey_and_canned(pg: tuple[PostgresStorage, Seed]) -> None:
    """One survey answer per contact with its summary; canned responses with their limit."""
    store, people = pg
    survey, canned = PostgresSurveyStore(store), PostgresCannedStore(store)
    await store.create_contact(new_contact("c1"))
    await store.close_contact("c1", outcome="resolved_in_chat", at=T0 + 10, actor_user_id=None)
    answer = SurveyAnswer("c1", "u1", 4, None, T0 + 20)
    assert (await survey.add(answer), await survey.add(answer)) == (True, False)
    assert await survey.get("c1") == answer
    summary = await survey.summary("u1", T0, T0 + 100)
    assert (summary.responses, summary.eligible, summary.mean_rating) == (1, 1, 4.0)

    made = await canned.create(
        "u1", title="Hej", body="Hej!", user_id=people.alice.id, at=T0, limit=1
    )
    assert made is not None
    assert (
        await canned.create("u1", title="Två", body="2", user_id=people.alice.id, at=T0, limit=1)
        is None
    )
    assert [c.title for c in await canned.list("u1")] == ["Hej"]
    assert (await canned.delete("u1", made.id), await canned.delete("u1", made.id)) == (True, False)
