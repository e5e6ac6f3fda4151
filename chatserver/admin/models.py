"""Response models of the admin API and the public banner, and the opening
hours document (request and response): schemas of ``/openapi.json``.

Request bodies are :mod:`chatserver.admin.validation`'s models; the hours
document is parsed by :func:`chatserver.admin.hours.parse_hours`, which this
model describes. Responses are open (fields may be added).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatserver.admin.hours import MAX_EXCEPTIONS, MAX_INTAKE_STOP_MIN, MAX_INTERVALS_PER_DAY

__all__ = [
    "Banner",
    "BannerList",
    "ClosingText",
    "ClosingTexts",
    "HoursDoc",
    "HoursReply",
    "LegalHoldReply",
    "PatientClosing",
    "PublicBanner",
    "QueueOut",
    "RetentionReply",
    "UnitList",
    "UnitOut",
    "UserList",
    "UserOut",
    "UserReply",
    "UserReset",
    "UserUpdated",
]

# "HH:MM", 00:00..24:00 (chatserver/admin/hours.py _HHMM).
HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")]
Interval = Annotated[list[HHMM], Field(min_length=2, max_length=2)]
Intervals = Annotated[list[Interval], Field(max_length=MAX_INTERVALS_PER_DAY)]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class HoursDoc(BaseModel):
    """A unit's opening hours: ``[open, close]`` intervals per weekday and per date."""

    weekly: dict[Day, Intervals] = {}
    exceptions: Annotated[
        dict[str, Intervals], Field(max_length=MAX_EXCEPTIONS, description="YYYY-MM-DD → intervals")
    ] = {}
    intake_stop_min: Annotated[int, Field(ge=0, le=MAX_INTAKE_STOP_MIN)] | None = None


class Holiday(_Out):
    date: str
    name: str


class QueueOut(_Out):
    id: str
    unit_id: str
    competence: str
    name: str
    max_waiting: int | None


class UnitOut(_Out):
    id: str
    name: str
    rollout: Literal["live", "pilot"]
    identification: Literal["optional", "required"] | None
    created_at: float
    open: bool
    always_open: bool
    next_change: str | None
    next_open: str | None
    hours: HoursDoc
    queues: list[QueueOut]
    public_holidays: bool | None = None
    next_holidays: list[Holiday] | None = None


class UnitList(_Out):
    units: list[UnitOut]


class HoursReply(_Out):
    unit_id: str
    always_open: bool
    configured: bool
    hours: HoursDoc
    open: bool
    next_change: str | None
    next_open: str | None


class BannerMessage(_Out):
    sv: str
    en: str | None


class Banner(_Out):
    id: int
    severity: Literal["info", "warning", "critical"]
    message: BannerMessage
    created_at: float
    ends_at: float | None
    ended_at: float | None


class PublicBanner(_Out):
    banner: Banner | None


class BannerList(_Out):
    active: Banner | None
    history: list[Banner]


class LegalHoldReply(_Out):
    contact_id: str
    legal_hold: bool
    changed: bool


class RetentionReply(_Out):
    purged: int
    retention_days: int


class UserOut(_Out):
    id: int
    username: str
    display_name: str | None
    role: Literal["nurse", "doctor", "manager", "admin"]
    units: list[str]
    disabled: bool
    second_factor: bool
    must_change_password: bool
    created_at: float


class UserList(_Out):
    users: list[UserOut]


class UserReply(_Out):
    user: UserOut


class UserUpdated(UserReply):
    sessions_ended: int


class UserReset(_Out):
    user_id: int
    sessions_ended: int


class ClosingText(_Out):
    """One outcome's text after a closed chat: the unit's own or the default."""

    outcome: str
    sv: str
    en: str
    custom: bool
    default_sv: str
    default_en: str


class ClosingTexts(_Out):
    unit_id: str
    texts: list[ClosingText]


class ClosingTextPair(_Out):
    sv: str
    en: str


class PatientClosing(_Out):
    contact_id: str
    outcome: str
    texts: ClosingTextPair
