"""Later messages' triage off the socket's read loop: in order, none skipped."""

from __future__ import annotations

import asyncio

import pytest

from chatserver.core.lifecycle import ContactStatus as S
from chatserver.flow import reassess
from chatserver.flow.reassess import Reassessments
from chatserver.storage.base import Contact, StorageUnavailable
from tests.core.builders import contact as make_contact


def contact(contact_id: str) -> Contact:
    return make_contact(S.QUEUED, id=contact_id)


async def test_each_contacts_messages_are_assessed_in_order() -> None:
    seen: list[tuple[str, str]] = []

    async def assess(c: Contact, body: str) -> None:
        await asyncio.sleep(0)  # interleave the contacts' tasks
        seen.append((c.id, body))

    work = Reassessments(assess)
    for n in range(5):
        work.submit(contact("a"), f"a{n}")
        if n < 3:
            work.submit(contact("b"), f"b{n}")
    assert work.pending() == 8
    await work.settle()
    assert [b for c, b in seen if c == "a"] == [f"a{n}" for n in range(5)]
    assert [b for c, b in seen if c == "b"] == ["b0", "b1", "b2"]
    assert work.pending() == 0


async def test_settle_waits_for_messages_queued_meanwhile() -> None:
    seen: list[str] = []
    work: Reassessments

    async def assess(c: Contact, body: str) -> None:
        seen.append(body)
        if body == "first":
            work.submit(contact("b"), "queued while settling")

    work = Reassessments(assess)
    work.submit(contact("a"), "first")
    await work.settle()
    assert seen == ["first", "queued while settling"]


async def test_a_database_that_cannot_write_is_waited_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reassess, "FIRST_PAUSE_S", 0.001)
    attempts: list[str] = []

    async def assess(c: Contact, body: str) -> None:
        attempts.append(body)
        if len(attempts) < 3:
            raise StorageUnavailable("restarting")

    work = Reassessments(assess)
    work.submit(contact("a"), "chest pain")
    work.submit(contact("a"), "next")
    await work.settle()
    assert attempts == ["chest pain", "chest pain", "chest pain", "next"]


async def test_retries_end_and_a_failure_does_not_stop_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reassess, "FIRST_PAUSE_S", 0.001)
    monkeypatch.setattr(reassess, "RETRY_FOR_S", 0.01)
    done: list[str] = []

    async def assess(c: Contact, body: str) -> None:
        if body == "down":
            raise StorageUnavailable("still down")
        if body == "bug":
            raise RuntimeError("a bug")
        done.append(body)

    work = Reassessments(assess)
    for body in ("down", "bug", "after"):
        work.submit(contact("a"), body)
    await work.settle()
    assert done == ["after"]
    assert work.pending() == 0
