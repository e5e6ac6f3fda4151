"""Canned responses (snabbsvar): short standard replies kept per care unit.

Clinical staff (nurses, doctors) of a unit list, add and delete their unit's
canned responses; changes need the session's CSRF token like every staff change.

- ``GET /api/units/{unit_id}/canned`` → ``{"canned": [{"id", "title", "body", ...}]}``
- ``POST /api/units/{unit_id}/canned`` ``{"title", "body"}`` → 201 with the new one
- ``DELETE /api/units/{unit_id}/canned/{id}`` → 200 ``{"deleted": id}``

The table (migration 0003) is self-contained, so the SQL lives here behind
:class:`CannedStore`; a PostgreSQL backend implements the same three methods.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver import access
from chatserver.errors import InvalidInput, NotFoundError, StateConflict
from chatserver.http_util import json_response, read_json_object
from chatserver.staff_http import current_session, staff_session_for_change
from chatserver.storage.base import User

if TYPE_CHECKING:
    from chatserver.app import AppState

# A title fits on a button; a body is a chat message (4,000 chars, PROTOCOL.md).
MAX_TITLE_CHARS = 80
MAX_BODY_CHARS = 4000
# A unit's snabbsvar fit in one short menu; more is a sign of a script gone wrong.
MAX_PER_UNIT = 100


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


class CannedStore(Protocol):
    async def list(self, unit_id: str) -> list[Canned]: ...

    async def create(
        self, unit_id: str, *, title: str, body: str, user_id: int, at: float, limit: int
    ) -> Canned | None:
        """The new row, or None when the unit already has ``limit`` of them."""
        ...

    async def delete(self, unit_id: str, canned_id: int) -> bool: ...


_COLUMNS = "id, unit_id, title, body, created_by, created_at"


class SqliteCannedStore:
    """:class:`CannedStore` on the SQLite backend's single writer and readers."""

    def __init__(self, storage: Any) -> None:
        self.storage = storage

    async def list(self, unit_id: str) -> list[Canned]:
        def read(c: sqlite3.Connection) -> list[Canned]:
            rows = c.execute(
                f"SELECT {_COLUMNS} FROM canned_responses WHERE unit_id = ? ORDER BY id",  # noqa: S608
                (unit_id,),
            )
            return [Canned(*r) for r in rows]

        result: list[Canned] = await self.storage.run_read(read)
        return result

    async def create(
        self, unit_id: str, *, title: str, body: str, user_id: int, at: float, limit: int
    ) -> Canned | None:
        def write(c: sqlite3.Connection) -> Canned | None:
            (count,) = c.execute(
                "SELECT COUNT(*) FROM canned_responses WHERE unit_id = ?", (unit_id,)
            ).fetchone()
            if count >= limit:
                return None
            cur = c.execute(
                "INSERT INTO canned_responses (unit_id, title, body, created_by, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (unit_id, title, body, user_id, at),
            )
            assert cur.lastrowid is not None
            return Canned(cur.lastrowid, unit_id, title, body, user_id, at)

        result: Canned | None = await self.storage.run_write(write)
        return result

    async def delete(self, unit_id: str, canned_id: int) -> bool:
        def write(c: sqlite3.Connection) -> bool:
            cur = c.execute(
                "DELETE FROM canned_responses WHERE unit_id = ? AND id = ?", (unit_id, canned_id)
            )
            return cur.rowcount == 1

        result: bool = await self.storage.run_write(write)
        return result


def store_for(storage: Any) -> CannedStore:
    """The canned-response store of a storage backend (SQLite now)."""
    if hasattr(storage, "run_write") and hasattr(storage, "run_read"):
        return SqliteCannedStore(storage)
    from chatserver.storage.postgres import PostgresStorage  # noqa: PLC0415

    if isinstance(storage, PostgresStorage):
        from chatserver.storage.postgres_survey_canned import PostgresCannedStore  # noqa: PLC0415

        return PostgresCannedStore(storage)
    raise NotImplementedError(f"no canned-response store for {type(storage).__name__}")


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
    return value.strip()


async def list_canned(request: Request) -> Response:
    active = await current_session(request)
    unit_id = _unit_for(active.user, request)
    rows = await store_for(_state(request).storage).list(unit_id)
    return json_response({"canned": [r.to_dict() for r in rows]})


async def create_canned(request: Request) -> Response:
    state = _state(request)
    active = await staff_session_for_change(request)
    unit_id = _unit_for(active.user, request)
    data = await read_json_object(request)
    title = _text(data, "title", MAX_TITLE_CHARS)
    body = _text(data, "body", MAX_BODY_CHARS)
    row = await store_for(state.storage).create(
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


async def delete_canned(request: Request) -> Response:
    state = _state(request)
    active = await staff_session_for_change(request)
    unit_id = _unit_for(active.user, request)
    canned_id = request.path_params["canned_id"]
    if not await store_for(state.storage).delete(unit_id, canned_id):
        raise NotFoundError("unknown_canned", "no such canned response")
    return json_response({"deleted": canned_id})


def routes() -> list[BaseRoute]:
    return [
        Route("/api/units/{unit_id}/canned", list_canned, methods=["GET"]),
        Route("/api/units/{unit_id}/canned", create_canned, methods=["POST"]),
        Route("/api/units/{unit_id}/canned/{canned_id:int}", delete_canned, methods=["DELETE"]),
    ]
