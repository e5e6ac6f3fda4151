"""The identified patient's side of the service (PROTOCOL.md, "Patient and
staff sign-in with e-legitimation"):

- an intake made with a patient session is bound to that person, with the
  e-legitimation of the sign-in (:class:`PatientIdentification`, the core's
  ``hooks.intake_identity``); to a unit that requires identification (its own
  setting, else ``CHATSERVER_PATIENT_IDENTIFICATION``) an anonymous one is
  refused (401 ``identification_required``) before anything is stored;
- ``GET /api/patient/contacts`` → their contacts, newest first, each open one
  with a fresh ``patient_token`` (the way back after closing the tab);
- ``GET /api/patient/access-log`` → who in the staff read or changed their data
  (PDL 8 kap. 5 §).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver.access.sessions import hash_secret
from chatserver.contract.spec import PATIENT_SESSION, Operation, Reply, operation
from chatserver.core.lifecycle import ContactStatus
from chatserver.errors import Unauthenticated
from chatserver.hooks import BindContact, Identification, identification_required
from chatserver.http.util import json_response
from chatserver.identity import models as im
from chatserver.identity.sessions import PatientSession, patient_of
from chatserver.identity.store import IdentityStore
from chatserver.storage.base import Unit

if TYPE_CHECKING:
    from chatserver.state import AppState

__all__ = ["PatientIdentification", "routes", "unit_identification"]

# Entries of the access log one request returns.
ACCESS_LOG_LIMIT = 200
NO_STORE = {"cache-control": "no-store"}


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


def unit_identification(unit_setting: str | None, default: str) -> Identification:
    """A unit's identification with a patient issuer configured: its own
    setting, or the global one (``default``) when it has none."""
    return "required" if (unit_setting or default) == "required" else "optional"


class PatientIdentification:
    """The intake hook while a patient issuer is configured; ``default`` is
    ``CHATSERVER_PATIENT_IDENTIFICATION``."""

    def __init__(self, default: str) -> None:
        self.default = default

    def mode(self, unit: Unit) -> Identification:
        return unit_identification(unit.identification, self.default)

    async def __call__(self, request: Request, unit: Unit) -> BindContact | None:
        """How to bind the new contact, None for an anonymous intake; raises
        ``identification_required`` when the unit asks for a person."""
        state = _state(request)
        session = await patient_of(request)
        if session is None:
            if self.mode(unit) == "required":
                raise identification_required()
            return None
        store = IdentityStore(state.storage)

        async def bind(contact_id: str) -> None:
            await store.bind(
                contact_id, session.personnummer, session.name, session.method, state.clock()
            )

        return bind


async def _signed_in(request: Request) -> tuple[AppState, PatientSession]:
    session = await patient_of(request)
    if session is None:
        raise Unauthenticated("not_authenticated", "sign in with e-legitimation first")
    return _state(request), session


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


@operation(
    Operation(
        "The signed-in patient's contacts, newest first (fresh tokens for open ones)",
        PATIENT_SESSION,
        "identity",
        {200: Reply(im.PatientContacts, headers=("Cache-Control",))},
        errors={503: ("audit_unavailable",)},
    )
)
async def patient_contacts(request: Request) -> Response:
    state, session = await _signed_in(request)
    store = IdentityStore(state.storage)
    out: list[dict[str, Any]] = []
    for c in await store.contacts_of(session.personnummer):
        item: dict[str, Any] = {
            "contact_id": c.contact_id,
            "status": c.status,
            "created_at": _iso(c.created_at),
        }
        if c.status != ContactStatus.CLOSED:
            token = secrets.token_urlsafe(32)
            if await store.reissue_token(c.contact_id, hash_secret(token)):
                item["patient_token"] = token
            else:  # closed in between
                item["status"] = ContactStatus.CLOSED
        out.append(item)
    # The patient's own read: no staff account, so not in their access log.
    await state.audit_event(
        request, None, "patient_contacts_listed", result="ok", detail={"count": len(out)}
    )
    return json_response({"contacts": out}, headers=NO_STORE)


@operation(
    Operation(
        "Staff reads and changes of this person's contacts, newest first",
        PATIENT_SESSION,
        "identity",
        {200: Reply(im.AccessLog, headers=("Cache-Control",))},
    )
)
async def patient_access_log(request: Request) -> Response:
    state, session = await _signed_in(request)
    entries = await IdentityStore(state.storage).access_log(session.personnummer, ACCESS_LOG_LIMIT)
    return json_response(
        {
            "entries": [
                {
                    "at": e.at,
                    "contact_id": e.contact_id,
                    "action": e.action,
                    "name": e.user_name,
                    "role": e.role,
                    "unit_id": e.unit_id,
                    "unit_name": e.unit_name,
                }
                for e in entries
            ]
        },
        headers=NO_STORE,
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/api/patient/contacts", patient_contacts),
        Route("/api/patient/access-log", patient_access_log),
    ]
