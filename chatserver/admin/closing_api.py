"""HTTP routes of the closing texts (:mod:`.closing_texts`).

- ``GET /api/admin/units/{unit_id}/closing-texts`` (admins) → every outcome's
  text, the unit's own or the default;
- ``PUT /api/admin/units/{unit_id}/closing-texts/{outcome}`` ``{"sv", "en"}``
  sets the unit's own text, ``DELETE`` goes back to the default (both audited:
  ``admin_closing_text_set``, ``admin_closing_text_default``, with the outcome;
  the text is the unit's, not patient data, and stays out of the log);
- ``GET /api/contacts/closing`` with the patient's token (``Authorization:
  Bearer``) → the outcome of the patient's closed chat and its text in both
  languages (409 ``contact_open`` while the chat is open).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver.access.sessions import hash_secret
from chatserver.admin import models as am
from chatserver.admin import validation as v
from chatserver.admin.closing_texts import MAX_TEXT, ClosingTextStore
from chatserver.admin.guard import audit, require_admin, state_of
from chatserver.contract.spec import ADMIN, ADMIN_CHANGE, PATIENT_TOKEN, Operation, operation
from chatserver.core.lifecycle import OUTCOMES, ContactStatus
from chatserver.core.patient_access import token_expired
from chatserver.errors import NotFoundError, StateConflict, Unauthenticated
from chatserver.http.util import json_response, read_json_object
from chatserver.text_hygiene import SAFE_BODY

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["routes"]

# Tokens are token_urlsafe(32) (43 chars); anything far longer is not ours.
MAX_TOKEN_CHARS = 200

ClosingBody = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), SAFE_BODY]


class ClosingTextBody(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")

    sv: ClosingBody
    en: ClosingBody


async def _unit_id(state: AppState, request: Request) -> str:
    unit_id = request.path_params["unit_id"]
    if await state.storage.get_unit(unit_id) is None:
        raise NotFoundError("unknown_unit", "no such care unit")
    return str(unit_id)


def _outcome(request: Request) -> str:
    outcome = str(request.path_params["outcome"])
    if outcome not in OUTCOMES:
        raise NotFoundError("unknown_outcome", "no such outcome")
    return outcome


@operation(
    Operation(
        "Every outcome's closing text of a unit (its own or the default)",
        ADMIN,
        "admin",
        {200: am.ClosingTexts},
        errors={404: ("unknown_unit",)},
        extension=True,
    )
)
async def list_texts(request: Request) -> Response:
    await require_admin(request, change=False)
    state = state_of(request)
    unit_id = await _unit_id(state, request)
    texts = await ClosingTextStore(state.storage).of_unit(unit_id)
    return json_response({"unit_id": unit_id, "texts": [t.to_dict() for t in texts]})


@operation(
    Operation(
        "Set the unit's own closing text of an outcome",
        ADMIN_CHANGE,
        "admin",
        {200: am.ClosingText},
        errors={404: ("unknown_outcome", "unknown_unit")},
        body=ClosingTextBody,
        extension=True,
    )
)
async def put_text(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    unit_id = await _unit_id(state, request)
    outcome = _outcome(request)
    body = v.parse(ClosingTextBody, await read_json_object(request))
    store = ClosingTextStore(state.storage)
    sv, en = body.sv.strip(), body.en.strip()
    await store.set(unit_id, outcome, sv, en, at=state.clock(), by=active.user.id)
    await audit(
        request, active, "admin_closing_text_set", unit_id=unit_id, detail={"outcome": outcome}
    )
    return json_response((await store.text(unit_id, outcome)).to_dict())


@operation(
    Operation(
        "Back to the default closing text of an outcome",
        ADMIN_CHANGE,
        "admin",
        {200: am.ClosingText},
        errors={404: ("unknown_outcome", "unknown_unit")},
        extension=True,
    )
)
async def reset_text(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    unit_id = await _unit_id(state, request)
    outcome = _outcome(request)
    store = ClosingTextStore(state.storage)
    had_own = await store.reset(unit_id, outcome)
    await audit(
        request,
        active,
        "admin_closing_text_default",
        unit_id=unit_id,
        detail={"outcome": outcome, "changed": had_own},
    )
    return json_response((await store.text(unit_id, outcome)).to_dict())


@operation(
    Operation(
        "The patient's closed chat: its outcome and what happens next",
        PATIENT_TOKEN,
        "intake",
        {200: am.PatientClosing},
        errors={409: ("contact_open",)},
        extension=True,
    )
)
async def patient_closing(request: Request) -> Response:
    """The patient's own closed chat: its outcome and what happens next."""
    state = state_of(request)
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
    contact = None
    if token and len(token) <= MAX_TOKEN_CHARS:
        contact = await state.storage.get_contact_by_token_hash(hash_secret(token))
    if contact is None or token_expired(
        contact, state.clock(), state.settings.patient_token_after_close_s
    ):
        raise Unauthenticated("not_authenticated", "the chat's token is missing or wrong")
    if contact.status != ContactStatus.CLOSED or contact.outcome not in OUTCOMES:
        raise StateConflict("contact_open", "the chat is still open")
    text = await ClosingTextStore(state.storage).text(contact.unit_id, contact.outcome)
    return json_response(
        {
            "contact_id": contact.id,
            "outcome": contact.outcome,
            "texts": {"sv": text.sv, "en": text.en},
        }
    )


def routes() -> list[BaseRoute]:
    base = "/api/admin/units/{unit_id}/closing-texts"
    return [
        Route(base, list_texts),
        Route(f"{base}/{{outcome}}", put_text, methods=["PUT"]),
        Route(f"{base}/{{outcome}}", reset_text, methods=["DELETE"]),
        Route("/api/contacts/closing", patient_closing),
    ]
