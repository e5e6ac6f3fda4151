"""What the FHIR export reads (chatserver/fhir/store.py, collect.py), on SQLite
and PostgreSQL: authors of staff messages, photo SHA-1s from the stored bytes,
accounts with HSA-ids, contacts by creation time and unit."""

from __future__ import annotations

import hashlib

import orjson

from chatserver.fhir.collect import contact_record
from chatserver.fhir.mapping import ExportMessage, StaffMember
from chatserver.fhir.store import FhirStore
from chatserver.hooks import NoIdentities
from chatserver.identity.login_store import set_hsa_id
from chatserver.storage import Storage
from chatserver.storage.plan import Plan, execute
from tests.storage.factories import T0, new_contact, patient_message, seed, staff_message

PHOTO = b"\x89PNG stored bytes"
META = {
    "id": "ph1",
    "content_type": "image/png",
    "bytes": len(PHOTO),
    "sha256": hashlib.sha256(PHOTO).hexdigest(),
    "width": 2,
    "height": 1,
}


def _attach(contact_id: str, seq: int, with_bytes: bool) -> Plan[None]:
    yield execute(
        "UPDATE messages SET attachment = ? WHERE contact_id = ? AND seq = ?",
        orjson.dumps(META).decode(),
        contact_id,
        seq,
    )
    if with_bytes:
        yield execute(
            "INSERT INTO attachments (id, contact_id, seq, sha256, content_type, bytes, width,"
            " height, data, thumb_type, thumb, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "ph1",
            contact_id,
            seq,
            META["sha256"],
            "image/png",
            len(PHOTO),
            2,
            1,
            PHOTO,
            "image/png",
            PHOTO,
            T0,
        )


async def test_messages_with_authors_and_photo_sha1(storage: Storage) -> None:
    """Staff messages name their author; a photo carries the SHA-1 of its bytes."""
    s = await seed(storage)
    await storage.create_contact(new_contact("c1"))
    await storage.append_message(patient_message("c1", "p1", "hej", T0 + 1))
    await storage.append_message(staff_message("c1", s.alice, "s1", "hej på dig", T0 + 2))
    await storage.append_message(patient_message("c1", "p2", "", T0 + 3))
    await storage.write(_attach("c1", 3, with_bytes=True))
    got = await FhirStore(storage).messages("c1")
    assert got == [
        ExportMessage(1, "patient", "Patient", "hej", T0 + 1),
        ExportMessage(2, "staff", "Alice A", "hej på dig", T0 + 2, user_id=s.alice.id),
        ExportMessage(
            3,
            "patient",
            "Patient",
            "",
            T0 + 3,
            attachment={**META, "sha1": hashlib.sha1(PHOTO).digest()},
        ),
    ]


async def test_photo_without_bytes_has_no_sha1(storage: Storage) -> None:
    """Metadata whose bytes are gone (purged) reads without a SHA-1."""
    await seed(storage)
    await storage.create_contact(new_contact("c1"))
    await storage.append_message(patient_message("c1", "p1", "", T0 + 1))
    await storage.write(_attach("c1", 1, with_bytes=False))
    (msg,) = await FhirStore(storage).messages("c1")
    assert msg.attachment == META


async def test_staff_with_hsa_ids(storage: Storage) -> None:
    """The accounts asked for that exist, with their HSA-id when set."""
    s = await seed(storage)
    await storage.write(set_hsa_id("alice", "SE2321000016-1003"))
    store = FhirStore(storage)
    assert await store.staff([s.bob.id, s.alice.id, s.alice.id, 999]) == {
        s.alice.id: StaffMember(s.alice.id, "Alice A", "SE2321000016-1003"),
        s.bob.id: StaffMember(s.bob.id, "Bob B", None),
    }
    assert await store.staff([]) == {}


async def test_contacts_between_by_time_and_unit(storage: Storage) -> None:
    """[start, end) by creation time, oldest first, optionally of some units."""
    await seed(storage)
    await storage.create_contact(new_contact("a", created_at=T0 + 10))
    await storage.create_contact(new_contact("b", created_at=T0))
    await storage.create_contact(
        new_contact("c", created_at=T0 + 5, unit_id="u2", queue_id="u2:nurse")
    )
    await storage.create_contact(new_contact("late", created_at=T0 + 100))
    store = FhirStore(storage)
    assert await store.contacts_between(T0, T0 + 100) == ["b", "c", "a"]
    assert await store.contacts_between(T0, T0 + 100, ["u1"]) == ["b", "a"]
    assert await store.contacts_between(T0 + 1, T0 + 101, ["u2", "u1"]) == ["c", "a", "late"]


async def test_contact_record_gathers_participants(storage: Storage) -> None:
    """The record holds the unit, the transcript, and every staff member who
    picked or wrote; anonymous without an identity hook."""
    s = await seed(storage)
    await storage.create_contact(new_contact("c1"))
    picked = await storage.pick(["u1:nurse"], user_id=s.bob.id, staff_name="Bob B", at=T0 + 1)
    assert picked is not None
    await storage.append_message(staff_message("c1", s.alice, "s1", "hej", T0 + 2))
    rec = await contact_record(storage, NoIdentities(), picked, "https://x.se/")
    assert (rec.unit.name, rec.base_url, rec.personnummer) == (
        "Vårdcentral Ett",
        "https://x.se",
        None,
    )
    assert set(rec.staff) == {s.alice.id, s.bob.id}
    assert rec.actors == [s.bob.id]
    assert [m.user_id for m in rec.messages] == [s.alice.id]
