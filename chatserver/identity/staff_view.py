"""What staff see of an identified patient ("the nurse sees who it is").

- :class:`StoredIdentities` fills the core's ``hooks.identities``
  (:class:`chatserver.hooks.ContactIdentities`): the staff ``assigned`` frame and
  the staff ``welcome``'s ``assigned`` list carry ``identified``, the method, the
  personnummer and the age from it; waiting-queue rows only ``identified``. One
  query per set of contacts; never called on the message path.
- ``GET /api/contacts/{contact_id}/identity``: the same for one contact, for the
  staff client's "Visa personnummer", with ``Cache-Control: no-store``.

Every personnummer handed to staff is audited as ``personnummer_read``
(:data:`chatserver.core.identification.PERSONNUMMER_READ`; ``detail.via``:
``pick``, ``welcome`` or ``identity`` for this route) before it leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver.access import policy
from chatserver.audit.staff_actions import audit_personnummer_read
from chatserver.contract.spec import STAFF, Operation, Reply, operation
from chatserver.core.identification import (
    PERSONNUMMER_READ,
    VerifiedIdentity,
    identity_method,
)
from chatserver.errors import ChatError, Forbidden, NotFoundError
from chatserver.http.staff import current_session
from chatserver.http.util import json_response
from chatserver.identity import models as im
from chatserver.identity.store import ContactIdentity, IdentityStore
from chatserver.storage.base import Storage

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["StoredIdentities", "routes", "verified_identity"]

# Ages are counted on the calendar day of the care unit (Sweden).
STOCKHOLM = ZoneInfo("Europe/Stockholm")
NO_STORE = {"cache-control": "no-store"}
MAX_CONTACT_ID_CHARS = 64  # as the WebSocket frames' contact_id


def verified_identity(found: ContactIdentity, today: date) -> VerifiedIdentity:
    """What staff see of a bound person on ``today``."""
    pnr = found.personnummer
    return VerifiedIdentity(
        contact_id=found.contact_id,
        method=identity_method(found.method),
        personnummer=pnr.digits,
        name=found.name,
        age=pnr.age_on(today),
    )


class StoredIdentities:
    """``hooks.identities`` of the identity feature: ``contact_identities``."""

    def __init__(self, storage: Storage, clock: Callable[[], float]) -> None:
        self.store = IdentityStore(storage)
        self.clock = clock

    async def identified(self, contact_ids: Sequence[str]) -> set[str]:
        return await self.store.identified(contact_ids)

    async def verified(self, contact_ids: Sequence[str]) -> dict[str, VerifiedIdentity]:
        found = await self.store.identities_of(contact_ids)
        if not found:
            return {}
        today = datetime.fromtimestamp(self.clock(), STOCKHOLM).date()
        return {cid: verified_identity(i, today) for cid, i in found.items()}


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


@operation(
    Operation(
        "Who the patient of a contact is (audited as personnummer_read)",
        STAFF,
        "identity",
        {200: Reply(im.ContactIdentity, headers=("Cache-Control",))},
        errors={403: ("forbidden",), 404: ("unknown_contact",), 503: ("audit_unavailable",)},
        roles=("nurse", "doctor"),
        extension=True,
    )
)
async def contact_identity(request: Request) -> Response:
    """``GET /api/contacts/{contact_id}/identity`` (staff who may read the contact)."""
    state = _state(request)
    user = (await current_session(request)).user
    contact_id: str = request.path_params["contact_id"]
    try:
        if not policy.is_clinical(user):
            raise Forbidden("forbidden", "only nurses and doctors see who a patient is")
        contact = None
        if len(contact_id) <= MAX_CONTACT_ID_CHARS:
            contact = await state.storage.get_contact(contact_id)
        # "No such contact" and "another unit's": the same answer, no probing.
        if contact is None or not policy.can_read_contact(user, contact):
            raise NotFoundError("unknown_contact", "no such contact")
    except ChatError as refused:
        await state.audit_event(
            request,
            user,
            PERSONNUMMER_READ,
            result=refused.code,
            contact_id=contact_id[:MAX_CONTACT_ID_CHARS],
        )
        raise
    identity = (await state.hooks.identities.verified([contact.id])).get(contact.id)
    if identity is None or identity.personnummer is None:
        return json_response({"identified": False}, headers=NO_STORE)
    # Audited before the number leaves (no answer when it cannot be).
    await audit_personnummer_read(state, request, user, contact, "identity")
    body: dict[str, Any] = {
        "identified": True,
        "identity_method": identity.method,
        "personnummer": identity.personnummer,
        "name": identity.name,
        "age": identity.age,
    }
    return json_response(body, headers=NO_STORE)


def routes() -> list[BaseRoute]:
    return [Route("/api/contacts/{contact_id}/identity", contact_identity)]
