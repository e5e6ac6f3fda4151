"""The photo routes: upload to a contact, read one back (docs/protocol.md
"Photo attachments").

Who: the patient with ``Authorization: Bearer <patient_token>`` (their own
contact only: a valid token of another contact is 403 ``forbidden``, a
missing, wrong or expired token 401 ``not_authenticated``, as for the chat's
other token routes), or staff with their session (an upload also needs
``X-CSRF-Token``). Staff who may not read the contact get the same 404 as
for a contact that does not exist. Every staff read of a photo is audited
(``attachment_view``) before the bytes are sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver.access.sessions import hash_secret
from chatserver.contract.spec import (
    PATIENT_OR_STAFF,
    PATIENT_OR_STAFF_CHANGE,
    Body,
    Operation,
    Reply,
    operation,
)
from chatserver.core import decisions as decide
from chatserver.core.effects import Refusal
from chatserver.core.patient_access import token_expired
from chatserver.errors import Forbidden, InvalidInput, NotFoundError, Unauthenticated
from chatserver.http.staff import check_csrf, current_session
from chatserver.http.util import json_response
from chatserver.storage.base import Contact, User

from . import models as am
from .service import AttachmentService
from .store import AttachmentStore, Size
from .upload import read_upload

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["routes"]

# A patient token is 43 characters (32 random bytes); anything this long is not one.
MAX_TOKEN_CHARS: Final = 256
MAX_ID_CHARS: Final = 64
# Photos are patient data: never cached, never sniffed into another type,
# shown in the page rather than saved under a file name.
IMAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
}


@dataclass(frozen=True, slots=True)
class Caller:
    """The patient of ``contact`` (``user`` None), or a staff member."""

    contact: Contact | None
    user: User | None


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


def _path_id(request: Request, name: str) -> str:
    value = str(request.path_params[name])
    if not 1 <= len(value) <= MAX_ID_CHARS:
        raise NotFoundError("not_found", "no such thing")
    return value


def _bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if auth is None:
        return None
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise Unauthenticated("not_authenticated", "the chat's token is missing or wrong")
    return token


async def _caller(request: Request, *, change: bool) -> Caller:
    """The patient (by bearer token) or the signed-in staff member."""
    state = _state(request)
    token = _bearer(request)
    if token is not None:
        contact = await state.storage.get_contact_by_token_hash(hash_secret(token))
        after_close_s = state.settings.patient_token_after_close_s
        if contact is None or token_expired(contact, state.clock(), after_close_s):
            raise Unauthenticated("not_authenticated", "the chat's token is missing or wrong")
        return Caller(contact, None)
    active = await current_session(request)
    if change:
        check_csrf(request, active)
    return Caller(None, active.user)


def _own(caller: Caller, contact_id: str) -> Contact:
    """The patient's own contact; 403 for another one."""
    assert caller.contact is not None
    if caller.contact.id != contact_id:
        raise Forbidden("forbidden", "not your contact")
    return caller.contact


@operation(
    Operation(
        "Send a photo in the chat (the patient, or the staff member it is assigned to)",
        PATIENT_OR_STAFF_CHANGE,
        "attachments",
        {
            201: Reply(am.Uploaded, description="stored as the next message"),
            200: Reply(am.Uploaded, description="a re-send of the same client_id"),
        },
        errors={
            403: ("forbidden", "not_assigned"),
            404: ("unknown_contact", "not_found"),
            409: ("contact_closed", "not_assigned", "contact_message_limit"),
            413: ("too_large",),
            415: ("unsupported_type",),
            422: ("invalid_image", "invalid_field", "invalid_body"),
            429: ("rate_limited",),
            503: ("busy",),
        },
        path=am.ContactPath,
        body=Body(("multipart/form-data",), am.UploadForm),
    )
)
async def upload(request: Request) -> Response:
    """``POST /api/contacts/{contact_id}/attachments`` (multipart/form-data)."""
    state = _state(request)
    contact_id = _path_id(request, "contact_id")
    caller = await _caller(request, change=True)
    if caller.user is None:
        contact = _own(caller, contact_id)
        # A photo is a patient message: the same per-contact rate and total as
        # on the socket (and decoding costs far more than a text).
        volume = state.limits.contact_messages
        volume.seen(contact.id, contact.last_seq)
        refused = volume.refusal(contact.id)
        if refused is not None:
            raise refused
    else:
        found = decide.readable(caller.user, await state.storage.get_contact(contact_id))
        if isinstance(found, Refusal):
            raise found.error
        contact = found
    # Only now, for a caller who may write here, is the body read.
    form = await read_upload(request, state.settings.attachment_max_bytes)
    done = await state.extensions.get(AttachmentService).upload(contact, caller.user, form)
    return json_response(done.body, 200 if done.duplicate else 201)


def _size(request: Request) -> Size:
    size = request.query_params.get("size", "full")
    if size not in ("full", "thumb"):
        raise InvalidInput("invalid_field", "size is thumb or absent", fields={"size": "thumb"})
    return "thumb" if size == "thumb" else "full"


@operation(
    Operation(
        "A photo's bytes (re-encoded, no metadata); staff reads are audited",
        PATIENT_OR_STAFF,
        "attachments",
        {
            200: Reply(
                None,
                media_type="image/jpeg",
                also=("image/png",),
                headers=tuple(IMAGE_HEADERS),
            )
        },
        errors={
            403: ("forbidden",),
            404: ("not_found",),
            422: ("invalid_field",),
            503: ("audit_unavailable",),
        },
        path=am.AttachmentPath,
        query=am.ImageQuery,
    )
)
async def read(request: Request) -> Response:
    """``GET /api/attachments/{id}[?size=thumb]``: the photo's bytes."""
    state = _state(request)
    attachment_id = _path_id(request, "attachment_id")
    size = _size(request)
    caller = await _caller(request, change=False)
    image = await AttachmentStore(state.storage).image(attachment_id, size)
    if image is None:
        raise NotFoundError("not_found", "no such photo")
    if caller.user is None:
        _own(caller, image.contact_id)
    else:
        contact = await state.storage.get_contact(image.contact_id)
        found = decide.readable(caller.user, contact)
        detail = {"attachment_id": attachment_id, "size": size}
        if isinstance(found, Refusal):
            await state.audit_event(
                request, caller.user, "attachment_view", result="denied", detail=detail
            )
            raise NotFoundError("not_found", "no such photo")
        # A photo is patient data: the read is recorded first, refused if it cannot be.
        await state.audit_event(
            request,
            caller.user,
            "attachment_view",
            result="ok",
            unit_id=found.unit_id,
            contact_id=found.id,
            detail=detail,
        )
    return Response(image.data, media_type=image.content_type, headers=IMAGE_HEADERS)


def routes() -> list[BaseRoute]:
    return [
        Route("/api/contacts/{contact_id}/attachments", upload, methods=["POST"]),
        Route("/api/attachments/{attachment_id}", read, methods=["GET"]),
    ]
