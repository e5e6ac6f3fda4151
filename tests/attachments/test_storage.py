"""The photo plans on both engines: stored with its message in one transaction,
read back, idempotent, refused without a trace, exposed with sha256 in history,
purged by retention."""

from __future__ import annotations

import dataclasses

import pytest

from chatserver.admin.store import OperationsStore
from chatserver.attachments.image import reencode
from chatserver.attachments.store import AttachmentStore
from chatserver.storage import Storage
from chatserver.storage.base import ATTACHMENT_KEYS, Conflict, NotAssigned
from tests.attachments import images
from tests.storage.factories import T0, new_contact, patient_message, seed, staff_message

PHOTO = reencode(images.jpeg((400, 300)), "image/jpeg")


def _meta(attachment_id: str) -> dict[str, object]:
    return {
        "id": attachment_id,
        "content_type": PHOTO.content_type,
        "bytes": len(PHOTO.data),
        "sha256": PHOTO.sha256,
        "width": PHOTO.width,
        "height": PHOTO.height,
    }


def _with_photo(client_id: str, attachment_id: str, contact_id: str = "c1"):  # type: ignore[no-untyped-def]
    msg = patient_message(contact_id, client_id, body="", at=T0 + 1)
    return dataclasses.replace(msg, attachment=_meta(attachment_id))


async def test_photo_stored_with_next_seq_and_read_back(storage: Storage) -> None:
    """The photo takes the next seq; history has its metadata with sha256; bytes and thumb too."""
    await seed(storage)
    await storage.create_contact(new_contact("c1"))
    await storage.append_message(patient_message("c1", "t1"))
    store = AttachmentStore(storage)
    result = await store.append(_with_photo("p1", "att-1"), "att-1", PHOTO, T0 + 1)
    assert (result.message.seq, result.duplicate) == (2, False)
    history = await storage.messages_after("c1", 0)
    assert [m.attachment for m in history] == [None, _meta("att-1")]
    assert tuple(history[1].attachment or {}) == ATTACHMENT_KEYS
    full = await store.image("att-1")
    thumb = await store.image("att-1", "thumb")
    assert full is not None
    assert thumb is not None
    assert (full.contact_id, full.content_type, full.data) == ("c1", "image/jpeg", PHOTO.data)
    assert thumb.data == PHOTO.thumb
    assert await store.image("nope") is None
    # The next plain message follows it.
    after = await storage.append_message(patient_message("c1", "t2"))
    assert after.message.seq == 3


async def test_resend_stores_nothing_new(storage: Storage) -> None:
    """The same client_id again answers with the original and inserts no second photo."""
    await seed(storage)
    await storage.create_contact(new_contact("c1"))
    store = AttachmentStore(storage)
    first = await store.append(_with_photo("p1", "att-1"), "att-1", PHOTO, T0)
    again = await store.append(_with_photo("p1", "att-2"), "att-2", PHOTO, T0)
    assert again.duplicate
    assert again.message == first.message
    assert await store.image("att-2") is None
    original = await store.original(_with_photo("p1", "att-3"))
    assert original is not None
    assert original.message.attachment == _meta("att-1")
    assert await store.original(_with_photo("p9", "att-3")) is None


async def test_refused_append_leaves_no_photo(storage: Storage) -> None:
    """A closed contact or an unassigned staff sender: refused, no row, no seq used."""
    s = await seed(storage)
    await storage.create_contact(new_contact("c1"))
    await storage.close_contact("c1", outcome="patient_left", at=T0 + 1, actor_user_id=None)
    store = AttachmentStore(storage)
    with pytest.raises(Conflict):
        await store.append(_with_photo("p1", "att-1"), "att-1", PHOTO, T0 + 2)
    await storage.create_contact(new_contact("c2", patient_token_hash="tok-c2b"))
    staff_photo = dataclasses.replace(
        staff_message("c2", s.alice, "s1"),
        attachment=_meta("att-2"),
        require_assigned_user=s.alice.id,
    )
    with pytest.raises(NotAssigned):
        await store.append(staff_photo, "att-2", PHOTO, T0 + 2)
    assert await store.image("att-1") is None
    assert await store.image("att-2") is None
    c1, c2 = await storage.get_contact("c1"), await storage.get_contact("c2")
    assert c1 is not None
    assert c2 is not None
    assert (c1.last_seq, c2.last_seq) == (0, 0)


async def test_photo_request_round_trip(storage: Storage) -> None:
    """photo_request is stored and read back (the batched and the single append)."""
    s = await seed(storage)
    await storage.create_contact(new_contact("c1"))
    await storage.pick(["u1:nurse"], user_id=s.alice.id, staff_name="Alice A", at=T0 + 1)
    ask = dataclasses.replace(
        staff_message("c1", s.alice, "s1", "Skicka en bild"),
        photo_request=True,
        require_assigned_user=s.alice.id,
    )
    stored = await storage.append_message(ask)
    assert stored.message.photo_request is True
    again = await storage.append_message(ask)
    assert again.duplicate
    assert again.message.photo_request is True
    [m] = await storage.messages_after("c1", 0)
    assert (m.photo_request, m.attachment) == (True, None)


async def test_retention_purges_photos(storage: Storage) -> None:
    """A purged contact loses its photos and their hashes; another contact keeps its own."""
    await seed(storage)
    await storage.create_contact(new_contact("c1"))
    await storage.create_contact(new_contact("c2"))
    store = AttachmentStore(storage)
    await store.append(_with_photo("p1", "att-1"), "att-1", PHOTO, T0)
    await store.append(_with_photo("p2", "att-2", "c2"), "att-2", PHOTO, T0)
    await storage.close_contact("c1", outcome="resolved_in_chat", at=T0 + 10, actor_user_id=None)
    purged = await OperationsStore(storage).purge_before(T0 + 100, at=T0 + 200)
    assert purged == ["c1"]
    assert await store.image("att-1") is None
    assert await store.image("att-2") is not None
    [m] = await storage.messages_after("c1", 0)
    kept_meta = {k: v for k, v in _meta("att-1").items() if k != "sha256"}
    assert (m.seq, m.body, m.attachment) == (1, "", kept_meta)
    [kept] = await storage.messages_after("c2", 0)
    assert kept.attachment == _meta("att-2")
