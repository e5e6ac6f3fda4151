"""Request and response models of the core HTTP routes (public, staff sign-in,
own account): the schemas of ``/openapi.json`` (chatserver/contract/).

Responses are open (unknown fields allowed: extensions may add fields, as the
contract permits); requests are what the handlers accept.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

__all__ = [
    "AccountState",
    "Advice",
    "Alive",
    "Confirm",
    "EmergencyReply",
    "Enrolment",
    "IntakeQuery",
    "LoggedOut",
    "Login",
    "Me",
    "OwnSession",
    "PasswordChange",
    "PasswordChanged",
    "Place",
    "Question",
    "Questions",
    "QueuedReply",
    "Ready",
    "ReadyChecks",
    "Revoked",
    "SessionList",
    "StaffUser",
    "Triage",
    "TriageReason",
    "UnitList",
    "UnitPublic",
    "UnitsQuery",
]

# The one urgency order (chatserver/core/urgency.py LEVELS; tests/contract pins it).
Level = Literal["emergency", "urgent", "standard", "non_urgent"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Alive(_Out):
    status: Literal["ok"]


class ReadyChecks(_Out):
    storage: bool
    writes: bool
    fanout: bool


class Ready(_Out):
    status: Literal["ok", "unavailable"]
    checks: ReadyChecks


class UnitsQuery(BaseModel):
    unit: Annotated[str, Field(max_length=64, description="a pilot unit's id")] | None = None


class UnitPublic(_Out):
    id: str
    name: str
    rollout: Literal["live", "pilot"]
    identification: Literal["none", "optional", "required"]
    open: bool
    always_open: bool
    # Whether the intake takes an optional `phone` for the "your turn" SMS (chatserver/notify).
    sms: bool


class UnitList(RootModel[list[UnitPublic]]):
    pass


class IntakeQuery(BaseModel):
    lang: Literal["sv", "en"] = "sv"
    age: Annotated[int, Field(ge=0, le=120)]


class Question(_Out):
    id: str
    text: str
    help: str | None = None


class Questions(_Out):
    questions: list[Question]


class TriageReason(_Out):
    rule_id: str
    level: Level
    matched: list[str]
    question: str | None = None
    model: str | None = None
    probability: float | None = None


class Triage(_Out):
    level: Level
    tags: list[str]
    reasons: list[TriageReason]


class Advice(_Out):
    level: Level
    lang: Literal["sv", "en"]
    text: str
    phone_numbers: list[str]


class Place(_Out):
    position: Annotated[int, Field(ge=1)]
    estimated_wait_s: Annotated[int, Field(ge=0)]


class Followup(_Out):
    questions: list[Question]


class QueuedReply(_Out):
    contact_id: str
    status: Literal["queued"]
    patient_token: str
    triage: Triage
    queue: Place
    advice: Advice | None = None
    followup: Followup | None = None


class EmergencyReply(_Out):
    contact_id: str
    status: Literal["emergency"]
    triage: Triage
    advice: Advice


class Login(BaseModel):
    username: Annotated[str, Field(max_length=200)]
    password: Annotated[str, Field(max_length=1024)]
    otp: str | None = None


class StaffUser(_Out):
    id: int
    username: str
    display_name: str | None
    role: Literal["nurse", "doctor", "manager", "admin"]
    units: list[str]


class AccountState(_Out):
    user: StaffUser
    must_change_password: bool
    must_enrol_totp: bool


class Me(AccountState):
    csrf_token: str


class LoggedOut(_Out):
    status: Literal["logged_out"]


class PasswordChange(BaseModel):
    current_password: Annotated[str, Field(min_length=1, max_length=1024)]
    new_password: Annotated[str, Field(min_length=1, max_length=1024)]


class PasswordChanged(AccountState):
    sessions_ended: Annotated[int, Field(ge=0)]


class Enrolment(_Out):
    otpauth_uri: str
    secret: str


class Confirm(BaseModel):
    otp: Annotated[str, Field(min_length=1, max_length=20)]


class OwnSession(_Out):
    id: str
    created_at: float
    last_seen_at: float
    current: bool


class SessionList(_Out):
    sessions: list[OwnSession]
    limit: int


class Revoked(_Out):
    status: Literal["revoked"]
    current: bool
