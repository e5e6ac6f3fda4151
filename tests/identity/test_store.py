"""The identity store (chatserver/identity/store.py) on both engines: binding a
contact to a person, the person's contacts and access log, and retention."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from chatserver.admin.retention import DAY_S, run_retention
from chatserver.admin.store import OperationsStore
from chatserver.audit.chain import AuditEvent
from chatserver.audit.store import AuditStore
from chatserver.identity.personnummer import Personnummer, parse
from chatserver.identity.store import AccessEntry, ContactIdentity, IdentityStore, PersonContact
from chatserver.storage import Conflict, NotFound, Storage
from tests.pg import pg_server
from tests.storage.conftest import backend, seeded, storage
from tests.storage.factories import T0, Seed, new_contact

# The storage fixtures of tests/storage, run on SQLite and PostgreSQL.
__all__ = ["backend", "pg_server", "seeded", "storage"]

TODAY = date(2026, 12, 2)
PERSON = parse("19121212-1212", today=TODAY)
OTHER = parse("20121212-1212", today=TODAY)
KEY = b"k" * 32


async def _contacts(storage: Storage, *ids: str) -> None:
    for i, cid in enumerate(ids):
        await storage.create_contact(new_contact(cid, created_at=T0 + i))


async def test_bind_and_read_back(storage: Storage, seeded: Seed) -> None:
    """A bound contact reads back its person; an unbound one is anonymous (None)."""
    await _contacts(storage, "c1", "c2")
    store = IdentityStore(storage)
    assert await store.bind("c1", PERSON, "Tolvan Tolvansson", "bankid", T0 + 5) is True
    assert await store.identity_of("c1") == ContactIdentity(
        "c1", PERSON, "Tolvan Tolvansson", "bankid", T0 + 5
    )
    assert await store.identity_of("c2") is None
    assert await store.identity_of("nobody") is None


async def test_bind_is_idempotent_for_the_same_person(storage: Storage, seeded: Seed) -> None:
    """Binding the same person again changes nothing; the first verification stays."""
    await _contacts(storage, "c1")
    store = IdentityStore(storage)
    assert await store.bind("c1", PERSON, "Tolvan", "bankid", T0 + 5) is True
    assert await store.bind("c1", PERSON, "Tolvan T", "freja", T0 + 9) is False
    assert await store.identity_of("c1") == ContactIdentity(
        "c1", PERSON, "Tolvan", "bankid", T0 + 5
    )


async def test_bind_refuses_another_person_and_unknown_contacts(
    storage: Storage, seeded: Seed
) -> None:
    """Another person for a bound contact is a Conflict; an unknown contact NotFound."""
    await _contacts(storage, "c1")
    store = IdentityStore(storage)
    await store.bind("c1", PERSON, "Tolvan", "bankid", T0)
    with pytest.raises(Conflict):
        await store.bind("c1", OTHER, "Tolva", "bankid", T0 + 1)
    with pytest.raises(NotFound):
        await store.bind("nobody", PERSON, "Tolvan", "bankid", T0)
    assert await store.identity_of("c1") == ContactIdentity("c1", PERSON, "Tolvan", "bankid", T0)


async def test_identified_flags_a_list_cheaply(storage: Storage, seeded: Seed) -> None:
    """Of a list of contacts, exactly the bound ones are identified."""
    await _contacts(storage, "c1", "c2", "c3")
    store = IdentityStore(storage)
    await store.bind("c1", PERSON, "Tolvan", "bankid", T0)
    await store.bind("c3", OTHER, "Tolva", "freja", T0)
    assert await store.identified(["c1", "c2", "c3", "nobody"]) == {"c1", "c3"}
    assert await store.identified([]) == set()


async def test_contacts_of_a_person_newest_first(storage: Storage, seeded: Seed) -> None:
    """The person's own contacts only, newest first, with status and times."""
    await _contacts(storage, "old", "theirs", "new")
    await storage.close_contact("old", outcome="resolved_in_chat", at=T0 + 50, actor_user_id=None)
    store = IdentityStore(storage)
    await store.bind("old", PERSON, "Tolvan", "bankid", T0)
    await store.bind("theirs", OTHER, "Tolva", "bankid", T0)
    await store.bind("new", PERSON, "Tolvan", "bankid", T0 + 2)
    assert await store.contacts_of(PERSON) == [
        PersonContact("new", "u1", "queued", T0 + 2, None),
        PersonContact("old", "u1", "closed", T0, T0 + 50),
    ]
    assert await store.contacts_of(parse("19701063-2391")) == []


async def test_reissue_token_replaces_an_open_contacts_token(
    storage: Storage, seeded: Seed
) -> None:
    """A fresh token hash replaces the old one while the contact is open; a
    closed or unknown contact keeps what it has (False)."""
    await _contacts(storage, "open", "done")
    await storage.close_contact("done", outcome="resolved_in_chat", at=T0 + 5, actor_user_id=None)
    store = IdentityStore(storage)
    assert await store.reissue_token("open", "h" * 64) is True
    found = await storage.get_contact_by_token_hash("h" * 64)
    assert found is not None
    assert found.id == "open"
    assert await store.reissue_token("done", "g" * 64) is False
    assert await storage.get_contact_by_token_hash("g" * 64) is None
    assert await store.reissue_token("nobody", "f" * 64) is False


def _event(i: int, contact_id: str | None, **actor: object) -> AuditEvent:
    return AuditEvent(
        at=f"2026-11-24T06:00:{i:02d}.000000Z",
        action=str(actor.pop("action", "contact_read")),
        result=str(actor.pop("result", "ok")),
        request_id=f"r{i}",
        contact_id=contact_id,
        unit_id="u1" if contact_id else None,
        **actor,  # type: ignore[arg-type]
    )


async def test_access_log_lists_staff_accesses_newest_first(storage: Storage, seeded: Seed) -> None:
    """Successful staff events on the person's contacts, newest first; not the
    patient's own, the system's, refused ones, or other people's contacts."""
    await _contacts(storage, "c1", "c2", "theirs")
    store = IdentityStore(storage)
    await store.bind("c1", PERSON, "Tolvan", "bankid", T0)
    await store.bind("c2", PERSON, "Tolvan", "bankid", T0)
    await store.bind("theirs", OTHER, "Tolva", "bankid", T0)
    alice = {"actor_user_id": seeded.alice.id, "actor_username": "alice", "actor_role": "nurse"}
    bob = {"actor_user_id": seeded.bob.id, "actor_username": "bob", "actor_role": "doctor"}
    audit = AuditStore(storage)
    for event in [
        _event(1, "c1", **alice, action="contact_pick"),
        _event(2, "c1"),  # the patient (no account)
        _event(3, "c2", **bob),
        _event(4, "c1", **bob, result="forbidden"),
        _event(5, "theirs", **alice),
        _event(6, "c1", action="retention_purge"),  # the system
        _event(7, None, **alice, action="login"),
        _event(8, "c2", **alice, action="contact_close"),
    ]:
        await audit.append(event, KEY)

    def entry(i: int, contact_id: str, action: str, name: str, role: str) -> AccessEntry:
        at = f"2026-11-24T06:00:{i:02d}.000000Z"
        return AccessEntry(at, contact_id, action, name, role, "u1", "Vårdcentral Ett")

    expected = [
        entry(8, "c2", "contact_close", "Alice A", "nurse"),
        entry(3, "c2", "contact_read", "Bob B", "doctor"),
        entry(1, "c1", "contact_pick", "Alice A", "nurse"),
    ]
    assert await store.access_log(PERSON, limit=10) == expected
    assert await store.access_log(PERSON, limit=2) == expected[:2]
    assert await store.access_log(parse("19701063-2391"), limit=10) == []


async def test_forget_purged_deletes_identities_of_purged_contacts(
    storage: Storage, seeded: Seed
) -> None:
    """Once retention purged a contact's free text its binding goes too; others stay."""
    await _contacts(storage, "old", "open")
    await storage.close_contact("old", outcome="resolved_in_chat", at=T0 + 10, actor_user_id=None)
    store = IdentityStore(storage)
    await store.bind("old", PERSON, "Tolvan", "bankid", T0)
    await store.bind("open", PERSON, "Tolvan", "bankid", T0)
    assert await store.forget_purged() == 0

    assert await OperationsStore(storage).purge_before(T0 + 100, at=T0 + 200) == ["old"]
    assert await store.forget_purged() == 1
    assert await store.forget_purged() == 0
    assert await store.identity_of("old") is None
    assert await store.identified(["old", "open"]) == {"open"}


async def test_retention_run_forgets_identities(storage: Storage, seeded: Seed) -> None:
    """The retention run deletes the binding of each contact it purges."""
    await _contacts(storage, "old", "open")
    await storage.close_contact("old", outcome="resolved_in_chat", at=T0 + 10, actor_user_id=None)
    store = IdentityStore(storage)
    await store.bind("old", PERSON, "Tolvan", "bankid", T0)
    await store.bind("open", PERSON, "Tolvan", "bankid", T0)
    audited: list[str | None] = []

    async def audit_event(*_: Any, contact_id: str | None = None, **__: Any) -> None:
        audited.append(contact_id)

    state: Any = SimpleNamespace(
        settings=SimpleNamespace(retention_days=1), storage=storage, audit_event=audit_event
    )
    assert await run_retention(state, OperationsStore(storage), now=T0 + 2 * DAY_S) == 1
    assert audited == ["old"]
    assert await store.identified(["old", "open"]) == {"open"}


def test_identity_repr_masks_the_personnummer() -> None:
    """A ContactIdentity in a log line or traceback shows only the masked number."""
    identity = ContactIdentity("c1", PERSON, "Tolvan", "bankid", T0)
    assert "1212-1212" not in repr(identity)
    assert "19121212-****" in repr(identity)
    assert isinstance(identity.personnummer, Personnummer)
