"""``GET /api/contacts/{contact_id}/fhir``: one contact as a FHIR R4 Bundle.

Who may: clinical staff who may read the contact (:func:`policy.can_read_contact`,
as for the transcript). Every call is audited as ``fhir_export`` (refusals with
their error code) before anything leaves, and an identified patient's
personnummer is a further ``personnummer_read`` (``detail.via``: ``fhir``). An
export that cannot be audited is not sent (503 ``audit_unavailable``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver.access import policy
from chatserver.contract.spec import STAFF, Operation, Reply, operation
from chatserver.core.identification import PERSONNUMMER_READ
from chatserver.errors import ChatError, Forbidden, NotFoundError
from chatserver.http.staff import current_session

from .collect import contact_record
from .mapping import bundle
from .models import Bundle

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["FHIR_EXPORT", "FHIR_JSON", "routes"]

FHIR_EXPORT = "fhir_export"  # the audit action
FHIR_JSON = "application/fhir+json"
NO_STORE = {"cache-control": "no-store"}
MAX_CONTACT_ID_CHARS = 64  # as the WebSocket frames' contact_id


@operation(
    Operation(
        "One contact as a FHIR R4 Bundle (audited as fhir_export)",
        STAFF,
        "fhir",
        {200: Reply(Bundle, media_type=FHIR_JSON, headers=("Cache-Control",))},
        errors={403: ("forbidden",), 404: ("unknown_contact",), 503: ("audit_unavailable",)},
        roles=("nurse", "doctor"),
    )
)
async def contact_bundle(request: Request) -> Response:
    state: AppState = request.app.state.chat
    user = (await current_session(request)).user
    contact_id: str = request.path_params["contact_id"]
    try:
        if not policy.is_clinical(user):
            raise Forbidden("forbidden", "only nurses and doctors export a contact")
        contact = None
        if len(contact_id) <= MAX_CONTACT_ID_CHARS:
            contact = await state.storage.get_contact(contact_id)
        if contact is None:
            raise NotFoundError("unknown_contact", "no such contact")
        if not policy.can_read_contact(user, contact):
            raise Forbidden("forbidden", "the contact belongs to another unit")
    except ChatError as refused:
        await state.audit_event(
            request,
            user,
            FHIR_EXPORT,
            result=refused.code,
            contact_id=contact_id[:MAX_CONTACT_ID_CHARS],
        )
        raise
    base_url = state.settings.public_url or str(request.base_url)
    record = await contact_record(state.storage, state.hooks.identities, contact, base_url)
    # Audited before it leaves (no answer when it cannot be).
    await state.audit_event(
        request,
        user,
        FHIR_EXPORT,
        result="ok",
        unit_id=contact.unit_id,
        contact_id=contact.id,
        detail={"via": "http", "identified": record.personnummer is not None},
    )
    if record.personnummer is not None:
        # A personnummer handed to staff is an access of its own, as after a pick.
        await state.audit_event(
            request,
            user,
            PERSONNUMMER_READ,
            result="ok",
            unit_id=contact.unit_id,
            contact_id=contact.id,
            detail={"via": "fhir"},
        )
    body = bundle(record, state.clock())
    return Response(orjson.dumps(body), media_type=FHIR_JSON, headers=NO_STORE)


def routes() -> list[BaseRoute]:
    return [Route("/api/contacts/{contact_id}/fhir", contact_bundle)]
