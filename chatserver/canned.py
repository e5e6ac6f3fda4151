"""Canned responses (snabbsvar): short standard replies kept per care unit.

Clinical staff (nurses, doctors) of a unit list, add and delete their unit's
canned responses; changes need the session's CSRF token like every staff change.

- ``GET /api/units/{unit_id}/canned`` → ``{"canned": [{"id", "title", "body", ...}]}``
- ``POST /api/units/{unit_id}/canned`` ``{"title", "body"}`` → 201 with the new one
- ``DELETE /api/units/{unit_id}/canned/{id}`` → 200 ``{"deleted": id}``

The table (migration 0003) is self-contained, so the SQL lives here in
:class:`CannedStore`, whose plans run on either engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver.access import policy as access
from chatserver.contract.spec import STAFF, STAFF_CHANGE, Operation, operation
from chatserver.errors import InvalidInput, NotFoundError, StateConflict
from chatserver.http.params import path_id
from chatserver.http.staff import current_session, staff_session_for_change
from chatserver.http.util import json_response, read_json_object
from chatserver.storage.base import User
from chatserver.storage.plan import Database, Dialect, Plan, all_rows, count, execute, value
from chatserver.text_hygiene import checked

if TYPE_CHECKING:
    from chatserver.state import AppState

# A title fits on a button; a body is a chat message (4,000 chars, PROTOCOL.md).
MAX_TITLE_CHARS = 80
MAX_BODY_CHARS = 4000
# A unit's snabbsvar fit in one short menu; more is a sign of a script gone wrong.
MAX_PER_UNIT = 100


class CannedBody(BaseModel):
    """``POST /api/units/{unit_id}/canned`` (checked by ``_text``: trimmed,
    no control characters, something visible)."""

    title: Annotated[str, Field(min_length=1, max_length=MAX_TITLE_CHARS)]
    body: Annotated[str, Field(min_length=1, max_length=MAX_BODY_CHARS)]


class CannedOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    unit_id: str
    title: str
    body: str
    created_at: float


class CannedList(BaseModel):
    canned: list[CannedOut]


class CannedDeleted(BaseModel):
    deleted: int


@dataclass(frozen=True, slots=True)
class Canned:
    id: int
    unit_id: str
    title: str
    body: str
    created_by: int | None
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "unit_id": self.unit_id,
            "title": self.title,
            "body": self.body,
            "created_at": self.created_at,
        }


class CannedStore:
    """The ``canned_responses`` table on either engine (a :class:`Database`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def list(self, unit_id: str) -> list[Canned]:
        return await self.db.read(_list(unit_id))

    async def create(
        self, unit_id: str, *, title: str, body: str, user_id: int, at: float, limit: int
    ) -> Canned | None:
        """The new row, or None when the unit already has ``limit`` of them."""
        new = _create(self.db.dialect, unit_id, title, body, user_id, at, limit)
        return await self.db.write(new)

    async def delete(self, unit_id: str, canned_id: int) -> bool:
        return await self.db.write(_delete(unit_id, canned_id))


def _list(unit_id: str) -> Plan[list[Canned]]:
    rows = yield all_rows(
        "SELECT id, unit_id, title, body, created_by, created_at FROM canned_responses"
        " WHERE unit_id = ? ORDER BY id",
        unit_id,
    )
    return [Canned(*r) for r in rows]


def _create(
    d: Dialect, unit_id: str, title: str, body: str, user_id: int, at: float, limit: int
) -> Plan[Canned | None]:
    # The unit row lock (PostgreSQL) makes "count, then insert" atomic across instances.
    lock_unit = f"SELECT 1 FROM units WHERE id = ?{d.for_update}"  # noqa: S608 - a constant
    yield execute(lock_unit, unit_id)
    n = yield value("SELECT COUNT(*) FROM canned_responses WHERE unit_id = ?", unit_id)
    if n >= limit:
        return None
    new_id = yield value(
        "INSERT INTO canned_responses (unit_id, title, body, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?) RETURNING id",
        unit_id,
        title,
        body,
        user_id,
        at,
    )
    return Canned(int(new_id), unit_id, title, body, user_id, at)


def _delete(unit_id: str, canned_id: int) -> Plan[bool]:
    n = yield count("DELETE FROM canned_responses WHERE unit_id = ? AND id = ?", unit_id, canned_id)
    return bool(n == 1)


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


def _unit_for(user: User, request: Request) -> str:
    """The unit in the path, if the user is clinical staff there; else 404."""
    unit_id = str(request.path_params["unit_id"])
    # Same answer for "no such unit" and "not yours": no probing other units.
    if not access.is_clinical(user) or unit_id not in user.unit_ids:
        raise NotFoundError("unknown_unit", "no such care unit")
    return unit_id


def _text(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidInput(
            "invalid_field", f"{name} must be 1..{limit} characters", fields={name: f"1..{limit}"}
        )
    # No control characters, no bidi overrides, something visible; the title is one line.
    return checked(value.strip(), name, multiline=name == "body")


@operation(
    Operation(
        "The unit's canned responses (clinical staff of the unit)",
        STAFF,
        "canned",
        {200: CannedList},
        errors={404: ("unknown_unit",)},
        extension=True,
        roles=("nurse", "doctor"),
    )
)
async def list_canned(request: Request) -> Response:
    active = await current_session(request)
    unit_id = _unit_for(active.user, request)
    rows = await CannedStore(_state(request).storage).list(unit_id)
    return json_response({"canned": [r.to_dict() for r in rows]})


@operation(
    Operation(
        "Add a canned response",
        STAFF_CHANGE,
        "canned",
        {201: CannedOut},
        errors={404: ("unknown_unit",), 409: ("canned_limit",)},
        body=CannedBody,
        extension=True,
        roles=("nurse", "doctor"),
    )
)
async def create_canned(request: Request) -> Response:
    state = _state(request)
    active = await staff_session_for_change(request)
    unit_id = _unit_for(active.user, request)
    data = await read_json_object(request)
    title = _text(data, "title", MAX_TITLE_CHARS)
    body = _text(data, "body", MAX_BODY_CHARS)
    row = await CannedStore(state.storage).create(
        unit_id,
        title=title,
        body=body,
        user_id=active.user.id,
        at=state.clock(),
        limit=MAX_PER_UNIT,
    )
    if row is None:
        raise StateConflict("canned_limit", f"a unit keeps at most {MAX_PER_UNIT} canned responses")
    return json_response(row.to_dict(), 201)


@operation(
    Operation(
        "Delete a canned response",
        STAFF_CHANGE,
        "canned",
        {200: CannedDeleted},
        errors={404: ("unknown_canned", "unknown_unit")},
        extension=True,
        roles=("nurse", "doctor"),
    )
)
async def delete_canned(request: Request) -> Response:
    state = _state(request)
    active = await staff_session_for_change(request)
    unit_id = _unit_for(active.user, request)
    canned_id = path_id(
        request.path_params, "canned_id", "unknown_canned", "no such canned response"
    )
    if not await CannedStore(state.storage).delete(unit_id, canned_id):
        raise NotFoundError("unknown_canned", "no such canned response")
    return json_response({"deleted": canned_id})


def routes() -> list[BaseRoute]:
    return [
        Route("/api/units/{unit_id}/canned", list_canned, methods=["GET"]),
        Route("/api/units/{unit_id}/canned", create_canned, methods=["POST"]),
        # A str parameter: Starlette's int converter takes any number of digits.
        Route("/api/units/{unit_id}/canned/{canned_id}", delete_canned, methods=["DELETE"]),
    ]
