"""Where photos live: the ``attachments`` table (migration 0015), on either engine.

A photo is stored in the same transaction as the message that carries it:
:func:`append_photo` runs the ordinary row-locked append
(:func:`chatserver.storage.messages.append_one`: the next gapless ``seq``,
the (sender, ``client_id``) idempotency, the closed-contact and assignment
refusals) and then inserts the image with that ``seq``. A re-send inserts
nothing and answers with the original message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chatserver.storage.base import AppendResult, NewMessage
from chatserver.storage.messages import append_one, duplicate_of
from chatserver.storage.plan import Database, Dialect, Plan, execute, one

from .image import Photo

__all__ = ["AttachmentStore", "StoredImage", "append_photo"]

Size = Literal["full", "thumb"]


@dataclass(frozen=True, slots=True)
class StoredImage:
    """One photo (or its thumbnail) as read back, with whose contact it is."""

    id: str
    contact_id: str
    content_type: str
    data: bytes


def append_photo(
    d: Dialect, new: NewMessage, attachment_id: str, photo: Photo, at: float
) -> Plan[AppendResult]:
    """Append the message ``new`` (whose ``attachment`` describes ``photo``)
    and store the photo with its ``seq``, in one transaction."""
    result = yield from append_one(d, new)
    if result.duplicate:
        return result
    yield execute(
        "INSERT INTO attachments (id, contact_id, seq, sha256, content_type, bytes, width,"
        " height, data, thumb_type, thumb, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        attachment_id,
        new.contact_id,
        result.message.seq,
        photo.sha256,
        photo.content_type,
        len(photo.data),
        photo.width,
        photo.height,
        photo.data,
        photo.thumb_type,
        photo.thumb,
        at,
    )
    return result


def _image(attachment_id: str, size: Size) -> Plan[StoredImage | None]:
    columns = "content_type, data" if size == "full" else "thumb_type, thumb"
    row = yield one(
        f"SELECT contact_id, {columns} FROM attachments WHERE id = ?",  # noqa: S608 - constant columns
        attachment_id,
    )
    if row is None:
        return None
    return StoredImage(attachment_id, row[0], row[1], bytes(row[2]))


class AttachmentStore:
    """Photos on either engine (a :class:`~chatserver.storage.plan.Database`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def append(
        self, new: NewMessage, attachment_id: str, photo: Photo, at: float
    ) -> AppendResult:
        return await self.db.write(append_photo(self.db.dialect, new, attachment_id, photo, at))

    async def original(self, new: NewMessage) -> AppendResult | None:
        """The stored message when ``new`` is a re-send (checked before decoding)."""
        return await self.db.read(duplicate_of(new))

    async def image(self, attachment_id: str, size: Size = "full") -> StoredImage | None:
        return await self.db.read(_image(attachment_id, size))
