"""Request bodies of the admin API (pydantic, strict) and their 422 mapping."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chatserver.admin.hours import TZ
from chatserver.errors import InvalidInput
from chatserver.http.params import parse_moment
from chatserver.text_hygiene import SAFE_BODY, SAFE_NAME

M = TypeVar("M", bound=BaseModel)

# Unit ids and competences are URL path segments and queue-id parts.
ID_PATTERN = r"^[a-z0-9_-]+$"
# Display names: a person's or unit's name, not an essay.
MAX_NAME = 100
# A banner is read at a glance on a phone: two or three sentences.
MAX_BANNER = 500
# Passwords: length and strength are chatserver/access/password_policy.py's
# (422 weak_password with feedback); the cap keeps argon2 input bounded.
MIN_PASSWORD, MAX_PASSWORD = 1, 1024

# Text people type: no control characters, bidi overrides removed, something
# visible (chatserver/text_hygiene.py); 422 invalid_field naming the field.
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME), SAFE_NAME]
BannerText = Annotated[str, Field(min_length=1, max_length=MAX_BANNER), SAFE_BODY]
Role = Literal["nurse", "doctor", "manager", "admin"]
UnitId = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="forbid")


class UnitCreate(_Body):
    id: UnitId
    name: Name
    always_open: bool = False
    rollout: Literal["live", "pilot"] = "pilot"
    # Patient identification; null = CHATSERVER_PATIENT_IDENTIFICATION.
    identification: Literal["optional", "required"] | None = None
    # Closed on Swedish public holidays (migration 0018).
    public_holidays: bool = True


class UnitUpdate(_Body):
    name: Name | None = None
    always_open: bool | None = None
    rollout: Literal["live", "pilot"] | None = None
    # Present and null = back to the global setting; absent = unchanged.
    identification: Literal["optional", "required"] | None = None
    public_holidays: bool | None = None


class QueueCreate(_Body):
    competence: Annotated[str, Field(min_length=1, max_length=32, pattern=ID_PATTERN)]
    name: Name
    max_waiting: Annotated[int, Field(ge=1, le=10000)] | None = None


class QueueUpdate(_Body):
    name: Name | None = None
    # Present and null = no limit; absent = unchanged.
    max_waiting: Annotated[int, Field(ge=1, le=10000)] | None = None


class UserCreate(_Body):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")]
    display_name: Name | None = None
    role: Role
    units: Annotated[list[UnitId], Field(min_length=1, max_length=50)]
    password: Annotated[str, Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]


class PasswordReset(_Body):
    password: Annotated[str, Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]


class UserUpdate(_Body):
    display_name: Name | None = None
    role: Role | None = None
    units: Annotated[list[UnitId], Field(min_length=1, max_length=50)] | None = None
    disabled: bool | None = None


class BannerCreate(_Body):
    severity: Literal["info", "warning", "critical"]
    message_sv: BannerText
    message_en: BannerText | None = None
    # ISO 8601; without an offset it is Stockholm time.
    ends_at: Annotated[str, Field(max_length=40)] | None = None


class LegalHold(_Body):
    hold: bool
    reason: Annotated[str, Field(min_length=1, max_length=200), SAFE_BODY]


class CannedCreate(_Body):
    title: Annotated[str, Field(min_length=1, max_length=80), SAFE_NAME]
    body: Annotated[str, Field(min_length=1, max_length=4000), SAFE_BODY]


def parse(model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise InvalidInput("invalid_body", "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = {
            ".".join(str(p) for p in e["loc"]) or "body": e["msg"]
            for e in exc.errors(include_url=False, include_input=False)
        }
        raise InvalidInput(
            "invalid_field", "a field is missing or invalid", fields=fields
        ) from None


def parse_time(value: str, field: str) -> float:
    """ISO 8601 → epoch seconds; a time without offset is Stockholm time
    (bounded: :func:`chatserver.http.params.parse_moment`)."""
    return parse_moment(value, field, zone=TZ).timestamp()
