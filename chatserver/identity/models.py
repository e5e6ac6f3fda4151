"""Query and response models of the e-legitimation routes (``/auth/*``,
``/api/patient/*``, ``/api/auth/methods``, the staff identity view): schemas
of ``/openapi.json``. Responses are open (fields may be added)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AccessLog",
    "Callback",
    "ContactIdentity",
    "LoginQuery",
    "Methods",
    "PatientContacts",
    "PatientMe",
]

Personnummer = Annotated[str, Field(pattern=r"^[0-9]{12}$")]


class LoginQuery(BaseModel):
    return_to: (
        Annotated[str, Field(max_length=2048, description="a path of this service")] | None
    ) = None


class Callback(BaseModel):
    """What the identity provider sends back (OpenID Connect code flow)."""

    state: Annotated[str, Field(max_length=512)] | None = None
    code: Annotated[str, Field(max_length=2048)] | None = None
    iss: Annotated[str, Field(max_length=2048)] | None = None
    error: Annotated[str, Field(max_length=256)] | None = None


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Methods(_Out):
    patient: bool
    staff: bool


class PatientMe(_Out):
    identified: Literal[True]
    name: str | None
    personnummer: Personnummer


class PatientContact(_Out):
    contact_id: str
    status: Literal["emergency_advised", "queued", "assigned", "closed"]
    created_at: str
    patient_token: str | None = None


class PatientContacts(_Out):
    contacts: list[PatientContact]


class AccessEntry(_Out):
    at: str
    contact_id: str
    action: str
    name: str | None
    role: str | None
    unit_id: str | None
    unit_name: str | None


class AccessLog(_Out):
    entries: list[AccessEntry]


class ContactIdentity(_Out):
    identified: bool
    identity_method: str | None = None
    personnummer: Personnummer | None = None
    name: str | None = None
    age: int | None = None
