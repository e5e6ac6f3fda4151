"""A photo upload from start to delivery, and reading one back.

The order is chosen so that cheap refusals come first and a re-send costs no
decode: the fields are checked, the content type sniffed, a re-sent
``client_id`` answered from the database, a closed contact refused; only then
is the image decoded and re-encoded, on a worker thread, at most
``attachment_decode_workers`` at a time. The message is stored with the image
in one transaction and delivered like every message
(:meth:`chatserver.flow.handling.Conversations.append_with`): the next
``seq``, the ack rules, every participant's connections.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chatserver.core import decisions as decide
from chatserver.core.effects import contact_closed
from chatserver.core.lifecycle import ContactStatus
from chatserver.errors import InvalidInput, ServiceUnavailable, UnsupportedType
from chatserver.flow.handling import Conversations
from chatserver.storage.base import ATTACHMENT_KEYS, AppendResult, Contact, NewMessage, User
from chatserver.text_hygiene import checked
from chatserver.ws.wire import MAX_BODY_CHARS, MAX_CLIENT_ID_CHARS, attachment_dict

from .image import InvalidImage, Photo, reencode
from .sniff import SNIFF_BYTES, Kind, sniff
from .store import AttachmentStore
from .upload import Upload

__all__ = ["BUSY_RETRY_S", "WAITING_PER_WORKER", "AttachmentService", "Uploaded"]

# Uploads in the decoders at once, waiting ones included, per decode worker;
# more are refused at once (503 busy): each holds its photo (up to
# CHATSERVER_ATTACHMENT_MAX_BYTES) in memory while it waits, and 8 is
# several seconds of work (a 12 MP photo takes ~0.5–1 s to re-encode).
WAITING_PER_WORKER = 8
BUSY_RETRY_S = 2


@dataclass(frozen=True, slots=True)
class Uploaded:
    """The answer to an upload: 201 for a new photo, 200 for a re-send."""

    body: dict[str, Any]
    duplicate: bool


def _client_id(fields: dict[str, str]) -> str:
    value = fields.get("client_id")
    if value is None or not 1 <= len(value) <= MAX_CLIENT_ID_CHARS:
        raise InvalidInput(
            "invalid_field",
            f"client_id must be 1..{MAX_CLIENT_ID_CHARS} characters",
            fields={"client_id": "required" if value is None else "length"},
        )
    return value


def _caption(fields: dict[str, str]) -> str:
    value = fields.get("caption", "")
    if len(value) > MAX_BODY_CHARS:
        raise InvalidInput(
            "invalid_field", "the caption is too long", fields={"caption": f"max {MAX_BODY_CHARS}"}
        )
    # A blank caption is no caption (the photo is the message).
    return checked(value, "caption", multiline=True) if value.strip() else ""


def _kind(upload: Upload) -> tuple[bytes, Kind]:
    if not upload.file:
        raise InvalidInput("invalid_field", "the photo is missing", fields={"file": "required"})
    kind = sniff(upload.file[:SNIFF_BYTES])
    if kind is None:
        raise UnsupportedType("unsupported_type", "send a JPEG, PNG, WebP or HEIC photo")
    return upload.file, kind


def answer(result: AppendResult) -> Uploaded:
    """The response body for a stored (or re-sent) photo message."""
    m = result.message
    if m.attachment is None:  # the client_id was used for a text message
        raise InvalidInput(
            "invalid_field",
            "this client_id was already used for a message without a photo",
            fields={"client_id": "already used"},
        )
    body: dict[str, Any] = {
        "contact_id": m.contact_id,
        "seq": m.seq,
        "attachment": attachment_dict(m.attachment),
    }
    if result.duplicate:
        body["duplicate"] = True
    return Uploaded(body, result.duplicate)


class AttachmentService:
    def __init__(
        self,
        store: AttachmentStore,
        conversations: Conversations,
        clock: Callable[[], float],
        decode_workers: int,
    ) -> None:
        self.store = store
        self.conversations = conversations
        self.clock = clock
        self._decoders = asyncio.Semaphore(decode_workers)
        self._max_in_flight = decode_workers * WAITING_PER_WORKER
        self._in_flight = 0

    def _message(
        self, contact: Contact, user: User | None, client_id: str, caption: str
    ) -> NewMessage:
        now = self.clock()
        if user is None:
            return decide.patient_message(contact, client_id, caption, now)
        return decide.staff_message(user, contact.id, client_id, caption, now)

    async def decode(self, data: bytes, kind: Kind) -> Photo:
        """``reencode`` on a worker thread, at most ``decode_workers`` at once;
        503 ``busy`` when too many wait already."""
        if self._in_flight >= self._max_in_flight:
            raise ServiceUnavailable(
                "busy",
                "too many photos are being processed; try again shortly",
                extra={"retryable": True, "retry_after_s": BUSY_RETRY_S},
            )
        self._in_flight += 1
        try:
            async with self._decoders:
                return await asyncio.to_thread(reencode, data, kind)
        except InvalidImage as exc:
            raise InvalidInput("invalid_image", str(exc)) from None
        finally:
            self._in_flight -= 1

    async def upload(self, contact: Contact, user: User | None, upload: Upload) -> Uploaded:
        """Store and deliver the photo in ``upload`` on ``contact``, sent by its
        patient (``user`` None) or by ``user``; the documented error otherwise."""
        client_id = _client_id(upload.fields)
        caption = _caption(upload.fields)
        data, kind = _kind(upload)
        msg = self._message(contact, user, client_id, caption)
        original = await self.store.original(msg)
        if original is not None:
            return answer(original)
        if contact.status == ContactStatus.CLOSED:
            raise contact_closed().error
        photo = await self.decode(data, kind)
        attachment_id = secrets.token_urlsafe(16)
        meta = {
            "id": attachment_id,
            "content_type": photo.content_type,
            "bytes": len(photo.data),
            "sha256": photo.sha256,
            "width": photo.width,
            "height": photo.height,
        }
        assert tuple(meta) == ATTACHMENT_KEYS
        msg = dataclasses.replace(msg, attachment=meta)

        async def write(new: NewMessage) -> AppendResult:
            return await self.store.append(new, attachment_id, photo, new.sent_at)

        _, result = await self.conversations.append_with(write, msg, None, user)
        return answer(result)
