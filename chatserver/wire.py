"""WebSocket wire format: the one place that knows the JSON shape of frames.

Client frames are parsed into frozen pydantic models (strict: ``"1"`` is not an
int, ``true`` is not an int). Parsing never raises anything but
:class:`~chatserver.errors.InvalidInput`, whose ``code`` is one of
``invalid_json``, ``invalid_message``, ``unknown_type``, ``invalid_field``.
Server frames are plain dicts built by the ``*_frame`` functions and encoded
with :func:`encode`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chatserver.core.lifecycle import OUTCOMES
from chatserver.errors import InvalidInput
from chatserver.storage.base import Contact, Message

MAX_FRAME_BYTES = 64 * 1024  # PROTOCOL.md: frames over 64 KiB close with 1009
MAX_BODY_CHARS = 4000  # PROTOCOL.md: "body": 1..4000 chars
MAX_CLIENT_ID_CHARS = 64  # PROTOCOL.md: "client_id": 1..64 chars

ClientId = Annotated[str, Field(min_length=1, max_length=MAX_CLIENT_ID_CHARS)]
Body = Annotated[str, Field(min_length=1, max_length=MAX_BODY_CHARS)]
ContactId = Annotated[str, Field(min_length=1, max_length=64)]
Seq = Annotated[int, Field(ge=0, le=2**53)]


class _Frame(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")


class Hello(_Frame):
    type: Literal["hello"]
    token: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    last_seq: Seq = 0


class SendMessage(_Frame):
    type: Literal["message"]
    client_id: ClientId
    body: Body
    contact_id: ContactId | None = None


class Sync(_Frame):
    type: Literal["sync"]
    after_seq: Seq = 0
    contact_id: ContactId | None = None


class Typing(_Frame):
    type: Literal["typing"]
    contact_id: ContactId | None = None


class Leave(_Frame):
    """Patient ends the chat themself (closed as ``patient_left``)."""

    type: Literal["leave"]


class Pick(_Frame):
    type: Literal["pick"]
    queue: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    contact_id: ContactId | None = None


class Close(_Frame):
    type: Literal["close"]
    contact_id: ContactId
    outcome: str


class Transfer(_Frame):
    type: Literal["transfer"]
    contact_id: ContactId
    queue: Annotated[str, Field(min_length=1, max_length=128)]
    note: Annotated[str, Field(max_length=MAX_BODY_CHARS)] | None = None


class Note(_Frame):
    """Internal note on a contact: stored, shown to staff, never to the patient."""

    type: Literal["note"]
    contact_id: ContactId
    body: Body


class Override(_Frame):
    """Staff changes the triage level, with a reason."""

    type: Literal["override"]
    contact_id: ContactId
    level: Literal["emergency", "urgent", "standard", "non_urgent"]
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class FollowupAnswers(_Frame):
    """The patient's yes/no answers to follow-up questions (question id -> answer)."""

    type: Literal["followup_answers"]
    answers: Annotated[dict[Annotated[str, Field(max_length=64)], bool], Field(max_length=32)]


class Ping(_Frame):
    """Application-level keep-alive for clients that cannot see protocol pings."""

    type: Literal["ping"]


PatientFrame = Hello | SendMessage | Sync | Typing | Leave | Ping
StaffFrame = Hello | SendMessage | Sync | Typing | Pick | Close | Transfer | Note | Override | Ping

PATIENT_TYPES: Mapping[str, type[_Frame]] = {
    "hello": Hello,
    "message": SendMessage,
    "sync": Sync,
    "typing": Typing,
    "leave": Leave,
    "followup_answers": FollowupAnswers,
    "ping": Ping,
}
STAFF_TYPES: Mapping[str, type[_Frame]] = {
    "hello": Hello,
    "message": SendMessage,
    "sync": Sync,
    "typing": Typing,
    "pick": Pick,
    "close": Close,
    "transfer": Transfer,
    "note": Note,
    "override": Override,
    "ping": Ping,
}


def _field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "frame"
        fields.setdefault(loc, err["msg"])
    return fields


def parse(raw: str | bytes, types: Mapping[str, type[_Frame]]) -> _Frame:
    """Parse one client frame for a role (``PATIENT_TYPES`` or ``STAFF_TYPES``)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput("invalid_json", "frame is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("invalid_message", "frame must be a JSON object")
    kind = data.get("type")
    if not isinstance(kind, str):
        raise InvalidInput("invalid_message", 'frame needs a string "type"')
    model = types.get(kind)
    if model is None:
        raise InvalidInput("unknown_type", f"unknown frame type {kind[:40]!r}")
    try:
        frame = model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(
            "invalid_field", "a field is missing or invalid", fields=_field_errors(exc)
        ) from None
    if isinstance(frame, Close) and frame.outcome not in OUTCOMES:
        raise InvalidInput(
            "invalid_field", "unknown outcome", fields={"outcome": "unknown outcome"}
        )
    return frame


def client_id_of(raw: str | bytes) -> str | None:
    """The client_id of a rejected frame, so the client can match the error to it."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    cid = data.get("client_id") if isinstance(data, dict) else None
    if isinstance(cid, str) and 0 < len(cid) <= MAX_CLIENT_ID_CHARS:
        return cid
    return None


def encode(frame: Mapping[str, Any]) -> str:
    return orjson.dumps(frame).decode()


def iso(ts: float | None) -> str | None:
    """UTC ISO 8601 with milliseconds and a Z, as every time stamp on the wire."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_dict(m: Message) -> dict[str, Any]:
    return {
        "type": "message",
        "contact_id": m.contact_id,
        "seq": m.seq,
        "sender": m.sender,
        "sender_name": m.sender_name,
        "body": m.body,
        "client_id": m.client_id,
        "sent_at": iso(m.sent_at),
    }


def messages_list(ms: Iterable[Message]) -> list[dict[str, Any]]:
    return [message_dict(m) for m in ms]


def triage_dict(c: Contact) -> dict[str, Any]:
    return {
        "level": c.level,
        "intake_level": c.intake_level,
        "tags": list(c.tags),
        "reasons": [dict(r) for r in c.reasons],
        "red_flag": c.red_flag,
    }


def contact_dict(c: Contact) -> dict[str, Any]:
    """What staff see of a contact (patient data: only sent to authorised staff)."""
    return {
        "contact_id": c.id,
        "unit_id": c.unit_id,
        "queue": c.queue_id,
        "status": c.status,
        "triage": triage_dict(c),
        "text": c.text,
        "name": c.name,
        "age": c.age,
        "lang": c.lang,
        "would_otherwise": c.would_otherwise,
        "created_at": iso(c.created_at),
        "queued_at": iso(c.queued_at),
        "assigned_name": c.assigned_name,
        "last_seq": c.last_seq,
        "outcome": c.outcome,
    }
