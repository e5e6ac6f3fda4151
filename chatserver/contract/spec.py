"""How a route module declares one HTTP operation for the OpenAPI document.

A handler is decorated with :func:`operation`; the path and the methods come
from the ``Route`` it is mounted on, everything else from the declaration:
who may call it, the pydantic models of its query string, path and body, the
model of each success status and the error codes of each error status. The
document (:mod:`chatserver.contract.openapi`) is built from the mounted routes,
so a route without a declaration is found (``undeclared``) and a test fails.

Pure declarations: nothing here does I/O or imports a route module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from pydantic import BaseModel

__all__ = [
    "ADMIN",
    "ADMIN_CHANGE",
    "ANYONE",
    "PATIENT_OR_STAFF",
    "PATIENT_OR_STAFF_CHANGE",
    "PATIENT_SESSION",
    "PATIENT_TOKEN",
    "STAFF",
    "STAFF_CHANGE",
    "Auth",
    "Body",
    "Operation",
    "Reply",
    "contract_of",
    "operation",
]

# Who may call: each maps to OpenAPI security requirements (openapi.SECURITY).
Auth = Literal[
    "anyone",
    "patient_token",
    "patient_session",
    "staff",
    "staff_change",
    "admin",
    "admin_change",
    # Either the patient's bearer token or a staff session (photos, push).
    "patient_or_staff",
    "patient_or_staff_change",
]
ANYONE: Auth = "anyone"
PATIENT_TOKEN: Auth = "patient_token"  # noqa: S105 - a scheme name, not a secret
PATIENT_SESSION: Auth = "patient_session"
STAFF: Auth = "staff"
STAFF_CHANGE: Auth = "staff_change"
ADMIN: Auth = "admin"
ADMIN_CHANGE: Auth = "admin_change"
PATIENT_OR_STAFF: Auth = "patient_or_staff"
PATIENT_OR_STAFF_CHANGE: Auth = "patient_or_staff_change"

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Reply:
    """A success answer: its model (``None``: no JSON schema, e.g. a redirect
    or a text export) and media type."""

    model: type[BaseModel] | None
    media_type: str = JSON
    description: str = ""
    headers: tuple[str, ...] = ()
    # Other media types of the same status (a CSV export of the same rows).
    also: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Body:
    """A request body other than one JSON object (CSV, multipart)."""

    media_types: tuple[str, ...]
    model: type[BaseModel] | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Operation:
    summary: str
    auth: Auth
    tag: str
    ok: Mapping[int, Reply | type[BaseModel]]
    errors: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    query: type[BaseModel] | None = None
    path: type[BaseModel] | None = None
    body: type[BaseModel] | Body | None = None
    description: str = ""
    extension: bool = False
    # Staff roles that may call (documented as ``x-roles``); empty: any role.
    roles: tuple[str, ...] = ()

    def replies(self) -> dict[int, Reply]:
        return {s: r if isinstance(r, Reply) else Reply(r) for s, r in self.ok.items()}


H = TypeVar("H", bound=Callable[..., object])

_ATTR = "__contract__"


def operation(op: Operation) -> Callable[[H], H]:
    """Attach ``op`` to a handler (read back by :func:`contract_of`)."""

    def mark(handler: H) -> H:
        setattr(handler, _ATTR, op)
        return handler

    return mark


def contract_of(handler: object) -> Operation | None:
    found = getattr(handler, _ATTR, None)
    return found if isinstance(found, Operation) else None
