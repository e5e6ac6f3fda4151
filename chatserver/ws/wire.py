"""WebSocket wire format: the one place that knows the JSON shape of frames.

Client frames are parsed into frozen pydantic models (strict: ``"1"`` is not an
int, ``true`` is not an int). Parsing never raises anything but
:class:`~chatserver.errors.InvalidInput`, whose ``code`` is one of
``invalid_json``, ``invalid_message``, ``unknown_type``, ``invalid_field``.
:func:`parse_patient` and :func:`parse_staff` return the role's union
(:data:`PatientFrame`, :data:`StaffFrame`), which the sockets dispatch with
``match``.

Server frames are frozen dataclasses (the :data:`ServerFrame` union), built by
the core and the adapters and turned into JSON only here: :func:`to_dict` is
one ``match`` over the union, exhaustive by ``assert_never``. Outgoing frames
skip pydantic on purpose: a relayed chat message costs one small dict and one
``orjson.dumps``, as a bare relay would.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar, assert_never

import orjson
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError
from pydantic_core import PydanticCustomError

from chatserver.access.policy import CLINICAL_ROLES
from chatserver.core.handover import Handover
from chatserver.core.identification import VerifiedIdentity
from chatserver.core.lifecycle import OUTCOMES, ContactStatus
from chatserver.core.urgency import LEVEL_RANK, LEVELS
from chatserver.core.wait_estimate import Place
from chatserver.core.waiting_room import QueueSummary, WaitingEntry
from chatserver.errors import ChatError, InvalidInput
from chatserver.storage.base import Contact, Message, Queue, User
from chatserver.text_hygiene import SAFE_BODY, SAFE_OPTIONAL_BODY, UNSAFE_TEXT

MAX_FRAME_BYTES = 64 * 1024  # PROTOCOL.md: frames over 64 KiB close with 1009
MAX_BODY_CHARS = 4000  # PROTOCOL.md: "body": 1..4000 chars
MAX_CLIENT_ID_CHARS = 64  # PROTOCOL.md: "client_id": 1..64 chars
SEQ_MAX = 2**31 - 1  # PostgreSQL INTEGER
# PROTOCOL.md "Photo attachments": what a message frame says about its photo.
ATTACHMENT_FRAME_KEYS = ("id", "content_type", "width", "height", "bytes")

ClientId = Annotated[str, Field(min_length=1, max_length=MAX_CLIENT_ID_CHARS)]
# Free text people type (messages, notes): chatserver/text_hygiene.py.
Body = Annotated[str, Field(min_length=1, max_length=MAX_BODY_CHARS), SAFE_BODY]
ContactId = Annotated[str, Field(min_length=1, max_length=64)]
# messages.seq is INTEGER on PostgreSQL: a larger after_seq/last_seq makes the
# driver raise (docs/security.md "Input limits").
Seq = Annotated[int, Field(ge=0, le=SEQ_MAX)]

_EXPECTED_LEVELS = ", ".join(repr(x) for x in LEVELS[:-1]) + f" or {LEVELS[-1]!r}"


def _level(value: object) -> str:
    """A triage level name (the one urgency order), with pydantic's Literal error."""
    if isinstance(value, str) and value in LEVEL_RANK:
        return value
    raise PydanticCustomError(
        "literal_error", "Input should be {expected}", {"expected": _EXPECTED_LEVELS}
    )


LevelName = Annotated[str, PlainValidator(_level)]


# -- client → server ------------------------------------------------------------


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
    # Staff only: ask the patient to send a photo (ignored from a patient).
    photo_request: bool = False


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
    # The newest seq the closing client has shown: a newer patient message
    # refuses the close (``unseen_messages``). Absent: closed regardless (v1).
    last_seen_seq: Seq | None = None


class Transfer(_Frame):
    type: Literal["transfer"]
    contact_id: ContactId
    queue: Annotated[str, Field(min_length=1, max_length=128)]
    note: Annotated[str, Field(max_length=MAX_BODY_CHARS), SAFE_OPTIONAL_BODY] | None = None


class Note(_Frame):
    """Internal note on a contact: stored, shown to staff, never to the patient."""

    type: Literal["note"]
    contact_id: ContactId
    body: Body


class Override(_Frame):
    """Staff changes the triage level, with a reason."""

    type: Literal["override"]
    contact_id: ContactId
    level: LevelName
    reason: Annotated[str, Field(min_length=1, max_length=500), SAFE_BODY]


class FollowupAnswers(_Frame):
    """The patient's yes/no answers to follow-up questions (question id -> answer)."""

    type: Literal["followup_answers"]
    answers: Annotated[dict[Annotated[str, Field(max_length=64)], bool], Field(max_length=32)]


class Ping(_Frame):
    """Application-level keep-alive for clients that cannot see protocol pings."""

    type: Literal["ping"]


PatientFrame = Hello | SendMessage | Sync | Typing | Leave | FollowupAnswers | Ping
StaffFrame = Hello | SendMessage | Sync | Typing | Pick | Close | Transfer | Note | Override | Ping

PATIENT_TYPES: Mapping[str, type[PatientFrame]] = {
    "hello": Hello,
    "message": SendMessage,
    "sync": Sync,
    "typing": Typing,
    "leave": Leave,
    "followup_answers": FollowupAnswers,
    "ping": Ping,
}
STAFF_TYPES: Mapping[str, type[StaffFrame]] = {
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

F = TypeVar("F", bound=_Frame)


def _field_errors(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in err["loc"]) or "frame"
        fields.setdefault(loc, err["msg"])
    return fields


def parse(raw: str | bytes, types: Mapping[str, type[F]]) -> F:
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
        if any(e["type"] == UNSAFE_TEXT for e in exc.errors(include_url=False)):
            # A control character, or nothing visible (chatserver/text_hygiene.py).
            raise InvalidInput(
                "invalid_message", "a text is not allowed", fields=_field_errors(exc)
            ) from None
        raise InvalidInput(
            "invalid_field", "a field is missing or invalid", fields=_field_errors(exc)
        ) from None
    if isinstance(frame, Close) and frame.outcome not in OUTCOMES:
        raise InvalidInput(
            "invalid_field", "unknown outcome", fields={"outcome": "unknown outcome"}
        )
    return frame


def parse_patient(raw: str | bytes) -> PatientFrame:
    return parse(raw, PATIENT_TYPES)


def parse_staff(raw: str | bytes) -> StaffFrame:
    return parse(raw, STAFF_TYPES)


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


# -- server → client ------------------------------------------------------------
# One class per frame shape; the ``type`` on the wire is in each docstring.


@dataclass(frozen=True, slots=True)
class MessageFrame:
    """``message``: one chat message, to every participant connection."""

    message: Message


@dataclass(frozen=True, slots=True)
class AckFrame:
    """``ack``: the sender's message is durably stored (``duplicate``: it already was);
    ``sent_at``: the stored message's time stamp (epoch seconds)."""

    client_id: str
    contact_id: str
    seq: int
    duplicate: bool = False
    sent_at: float | None = None


@dataclass(frozen=True, slots=True)
class TypingFrame:
    """``typing``: relayed to the other side (staff typing carries their name)."""

    contact_id: str
    sender: Literal["patient", "staff"]
    sender_name: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryFrame:
    """``history``: the answer to ``sync``."""

    contact_id: str
    messages: Sequence[Message]


@dataclass(frozen=True, slots=True)
class StaffAssignedFrame:
    """``assigned`` to staff: the picked contact and its transcript (and who
    the patient is, when identified: ``identity``)."""

    contact: Contact
    messages: Sequence[Message]
    identity: VerifiedIdentity | None = None
    # What travels with the contact: notes, transfer notes, screen answers.
    handover: Handover | None = None


@dataclass(frozen=True, slots=True)
class PatientAssignedFrame:
    """``assigned`` to the patient: who picked them."""

    contact_id: str
    staff_name: str


@dataclass(frozen=True, slots=True)
class ClosedFrame:
    """``closed``: to every participant."""

    contact_id: str
    outcome: str


@dataclass(frozen=True, slots=True)
class TransferredFrame:
    """``transferred``: the contact waits in ``queue`` again."""

    contact_id: str
    queue: str


@dataclass(frozen=True, slots=True)
class NoteFrame:
    """``note``: an internal note, to staff only (``at`` in epoch seconds)."""

    contact_id: str
    body: str
    author: str
    at: float


@dataclass(frozen=True, slots=True)
class TriageFrame:
    """``triage`` raised by the patient's words or answers (the patient's copy has advice)."""

    contact_id: str
    level: str
    tags: Sequence[str]
    reasons: Sequence[Mapping[str, Any]]
    advice: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TriageOverrideFrame:
    """``triage`` set by a staff member."""

    contact_id: str
    level: str
    previous_level: str
    tags: Sequence[str]
    by: str


@dataclass(frozen=True, slots=True)
class FollowupFrame:
    """``followup``: questions to the patient (each as ``Question.to_dict(lang)``)."""

    contact_id: str
    questions: Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class FollowupAckFrame:
    """``followup_ack``: answers stored; ``raised`` when one raised the level."""

    contact_id: str
    raised: bool
    level: str


@dataclass(frozen=True, slots=True)
class QueueFrame:
    """``queue``: a waiting patient's new place in line."""

    contact_id: str
    position: int
    estimated_wait_s: int


@dataclass(frozen=True, slots=True)
class QueueView:
    """One queue as staff see it: counts and the head of the line at ``now``."""

    queue: Queue
    summary: QueueSummary
    head: Sequence[WaitingEntry]
    now: float


@dataclass(frozen=True, slots=True)
class QueuesFrame:
    """``queues``: the queues a staff member sees. ``counts_only`` (managers and
    admins): the counts per queue and level, never a waiting contact's row."""

    queues: Sequence[QueueView]
    counts_only: bool = False


@dataclass(frozen=True, slots=True)
class PatientWelcomeFrame:
    """``welcome`` to a patient; ``extra`` are features' fields (the banner)."""

    contact: Contact
    queue: Place | None
    messages: Sequence[Message]
    last_seq: int
    followup: Sequence[Mapping[str, Any]] | None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StaffWelcomeFrame:
    """``welcome`` to staff; ``extra`` are features' fields (the banner);
    ``identities`` who the identified ``assigned`` contacts are, by contact id."""

    user: User
    queues: Sequence[QueueView]
    assigned: Sequence[Contact]
    extra: Mapping[str, Any] = field(default_factory=dict)
    identities: Mapping[str, VerifiedIdentity] = field(default_factory=dict)
    # What travels with each assigned contact, by contact id (none: nothing).
    handovers: Mapping[str, Handover] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ErrorFrame:
    """``error``: a refused frame; the connection stays open."""

    code: str
    message: str
    fields: Mapping[str, str] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    client_id: str | None = None

    @classmethod
    def of(cls, exc: ChatError, *, client_id: str | None = None) -> ErrorFrame:
        return cls(exc.code, exc.message, exc.fields, exc.extra, client_id)


@dataclass(frozen=True, slots=True)
class PongFrame:
    """``pong``: the answer to ``ping``."""


@dataclass(frozen=True, slots=True)
class BannerFrame:
    """``banner``: the active operations banner changed (None: no banner)."""

    banner: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class EscalationFrame:
    """``escalation``: a contact waits past its target, to staff of the unit."""

    contact_id: str
    unit_id: str
    queue_id: str
    level: str
    red_flag: bool
    waited_s: int
    target_s: int


@dataclass(frozen=True, slots=True)
class PresenceFrame:
    """``presence``: to the assigned staff member, the patient's socket came or
    went (``since``: when, epoch seconds); leaving the chat is ``closed``."""

    contact_id: str
    patient: Literal["connected", "disconnected"]
    since: float


@dataclass(frozen=True, slots=True)
class Relayed:
    """A frame another instance built and serialised (:func:`to_dict`), relayed as is."""

    data: Mapping[str, Any]


ServerFrame = (
    MessageFrame
    | AckFrame
    | TypingFrame
    | HistoryFrame
    | StaffAssignedFrame
    | PatientAssignedFrame
    | ClosedFrame
    | TransferredFrame
    | NoteFrame
    | TriageFrame
    | TriageOverrideFrame
    | FollowupFrame
    | FollowupAckFrame
    | QueueFrame
    | QueuesFrame
    | PatientWelcomeFrame
    | StaffWelcomeFrame
    | ErrorFrame
    | PongFrame
    | BannerFrame
    | EscalationFrame
    | PresenceFrame
    | Relayed
)

PONG = PongFrame()


def to_dict(frame: ServerFrame) -> dict[str, Any]:
    """The JSON object of a server frame (the hot frames are matched first)."""
    match frame:
        case MessageFrame(message=m):
            return message_dict(m)
        case AckFrame():
            ack: dict[str, Any] = {
                "type": "ack",
                "client_id": frame.client_id,
                "contact_id": frame.contact_id,
                "seq": frame.seq,
            }
            if frame.sent_at is not None:
                ack["sent_at"] = iso(frame.sent_at)
            if frame.duplicate:
                ack["duplicate"] = True
            return ack
        case TypingFrame():
            typing: dict[str, Any] = {
                "type": "typing",
                "contact_id": frame.contact_id,
                "sender": frame.sender,
            }
            if frame.sender_name is not None:
                typing["sender_name"] = frame.sender_name
            return typing
        case HistoryFrame():
            return {
                "type": "history",
                "contact_id": frame.contact_id,
                "messages": messages_list(frame.messages),
            }
        case StaffAssignedFrame():
            return {
                "type": "assigned",
                "contact": contact_dict(frame.contact, frame.identity, frame.handover),
                "messages": messages_list(frame.messages),
            }
        case PatientAssignedFrame():
            return {
                "type": "assigned",
                "contact_id": frame.contact_id,
                "staff_name": frame.staff_name,
            }
        case ClosedFrame():
            return {"type": "closed", "contact_id": frame.contact_id, "outcome": frame.outcome}
        case TransferredFrame():
            return {"type": "transferred", "contact_id": frame.contact_id, "queue": frame.queue}
        case NoteFrame():
            return {
                "type": "note",
                "contact_id": frame.contact_id,
                "body": frame.body,
                "author": frame.author,
                "at": frame.at,
            }
        case TriageFrame():
            triage: dict[str, Any] = {
                "type": "triage",
                "contact_id": frame.contact_id,
                "level": frame.level,
                "tags": list(frame.tags),
                "reasons": [dict(r) for r in frame.reasons],
            }
            if frame.advice is not None:
                triage["advice"] = dict(frame.advice)
            return triage
        case TriageOverrideFrame():
            return {
                "type": "triage",
                "contact_id": frame.contact_id,
                "level": frame.level,
                "previous_level": frame.previous_level,
                "tags": list(frame.tags),
                "by": frame.by,
            }
        case FollowupFrame():
            return {
                "type": "followup",
                "contact_id": frame.contact_id,
                "questions": [dict(q) for q in frame.questions],
            }
        case FollowupAckFrame():
            return {
                "type": "followup_ack",
                "contact_id": frame.contact_id,
                "raised": frame.raised,
                "level": frame.level,
            }
        case QueueFrame():
            return {
                "type": "queue",
                "contact_id": frame.contact_id,
                "position": frame.position,
                "estimated_wait_s": frame.estimated_wait_s,
            }
        case QueuesFrame():
            return {"type": "queues", "queues": queues_list(frame.queues, frame.counts_only)}
        case PatientWelcomeFrame(contact=c):
            return {
                "type": "welcome",
                "contact_id": c.id,
                "status": c.status,
                "queue": frame.queue.to_dict() if frame.queue is not None else None,
                "messages": messages_list(frame.messages),
                "staff_name": c.assigned_name if c.status == ContactStatus.ASSIGNED else None,
                "outcome": c.outcome,
                "lang": c.lang,
                "last_seq": frame.last_seq,
                "followup": (
                    {"questions": [dict(q) for q in frame.followup]}
                    if frame.followup is not None
                    else None
                ),
                **frame.extra,
            }
        case StaffWelcomeFrame(user=u):
            return {
                "type": "welcome",
                "user": {
                    "id": u.id,
                    "username": u.username,
                    "display_name": u.display_name,
                    "role": u.role,
                    "units": list(u.unit_ids),
                },
                "queues": queues_list(frame.queues, counts_only=u.role not in CLINICAL_ROLES),
                "assigned": [
                    contact_dict(c, frame.identities.get(c.id), frame.handovers.get(c.id))
                    for c in frame.assigned
                ],
                **frame.extra,
            }
        case ErrorFrame():
            error: dict[str, Any] = {"type": "error", "code": frame.code, "message": frame.message}
            if frame.fields:
                error["fields"] = dict(frame.fields)
            error.update(frame.extra)
            if frame.client_id is not None:
                error["client_id"] = frame.client_id
            return error
        case PongFrame():
            return {"type": "pong"}
        case BannerFrame():
            return {"type": "banner", "banner": frame.banner}
        case EscalationFrame():
            return {
                "type": "escalation",
                "contact_id": frame.contact_id,
                "unit_id": frame.unit_id,
                "queue_id": frame.queue_id,
                "level": frame.level,
                "red_flag": frame.red_flag,
                "waited_s": frame.waited_s,
                "target_s": frame.target_s,
            }
        case PresenceFrame():
            return {
                "type": "presence",
                "contact_id": frame.contact_id,
                "patient": frame.patient,
                "since": iso(frame.since),
            }
        case Relayed(data=data):
            return dict(data)
        case _:
            assert_never(frame)


def encode(frame: ServerFrame) -> str:
    """The text of a server frame."""
    return orjson.dumps(to_dict(frame)).decode()


# The last frame encoded, with its text and seq. A chat message goes to the
# patient's and the staff member's connections: encoded once for both. Frames
# are immutable, and the tuple is swapped whole, so a hit is always right.
_last_encoded: tuple[object, str, int | None] = (None, "", None)


def encoded(frame: ServerFrame) -> tuple[str, int | None]:
    """The text of a server frame and, for a chat message, its ``seq`` (a
    reconnecting client's replay skips messages its welcome already carried)."""
    global _last_encoded  # noqa: PLW0603 - a one-entry memo, see above
    last = _last_encoded
    if last[0] is frame:
        return last[1], last[2]
    seq: int | None = None
    if isinstance(frame, MessageFrame):
        seq = frame.message.seq
    elif isinstance(frame, Relayed) and frame.data.get("type") == "message":
        value = frame.data.get("seq")
        seq = value if isinstance(value, int) else None
    text = encode(frame)
    _last_encoded = (frame, text, seq)
    return text, seq


# -- nested shapes ----------------------------------------------------------------


# The last whole second formatted by :func:`iso` (messages of one second share it).
_last_second: tuple[int, str] = (0, "1970-01-01T00:00:00")


def iso(ts: float | None) -> str | None:
    """UTC ISO 8601 with milliseconds and a Z, as every time stamp on the wire.

    The same text as ``datetime.fromtimestamp(ts, UTC).isoformat(timespec=
    "milliseconds")`` with a Z (microseconds rounded half to even, then
    truncated to milliseconds), at a fraction of its cost: every relayed
    message carries one.
    """
    global _last_second  # noqa: PLW0603 - a one-entry memo, see above
    if ts is None:
        return None
    frac, whole = math.modf(ts)
    us = round(frac * 1e6)
    second = int(whole)
    if us >= 1_000_000:
        second, us = second + 1, us - 1_000_000
    elif us < 0:
        second, us = second - 1, us + 1_000_000
    last = _last_second
    if last[0] == second:
        prefix = last[1]
    else:
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _last_second = (second, prefix)
    return f"{prefix}.{us // 1000:03d}Z"


def message_dict(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "message",
        "contact_id": m.contact_id,
        "seq": m.seq,
        "sender": m.sender,
        "sender_name": m.sender_name,
        "body": m.body,
        "client_id": m.client_id,
        "sent_at": iso(m.sent_at),
    }
    if m.attachment is not None:
        out["attachment"] = attachment_dict(m.attachment)
    if m.photo_request:
        out["photo_request"] = True
    return out


def attachment_dict(meta: Mapping[str, Any]) -> dict[str, Any]:
    """A photo as the ``message`` frame shows it (the stored sha256 stays inside)."""
    return {key: meta[key] for key in ATTACHMENT_FRAME_KEYS}


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


def contact_dict(
    c: Contact, identity: VerifiedIdentity | None = None, handover: Handover | None = None
) -> dict[str, Any]:
    """What staff see of a contact (patient data: only sent to authorised staff).

    ``handover`` (the staff's ``assigned`` and ``welcome``): the internal
    notes and transfer notes written so far and the screen's answers, which
    travel with the contact to whoever has it (empty lists when none).

    An identified contact (``identity``) carries ``identified: true``, the
    method, the personnummer (12 digits; null when withheld) and the age from
    the personnummer in place of the self-reported one (kept as
    ``reported_age``); an anonymous one ``identified: false``.
    """
    out: dict[str, Any] = {
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
        "identified": identity is not None,
        "handover": handover_dict(handover),
    }
    if identity is not None:
        out["identity_method"] = identity.method
        out["personnummer"] = identity.personnummer
        out["age"] = identity.age
        out["reported_age"] = c.age
    return out


def handover_dict(handover: Handover | None) -> dict[str, Any]:
    """``contact.handover``: notes (``kind`` note|transfer) and screen answers."""
    if handover is None:
        return {"notes": [], "screening": []}
    return {
        "notes": [
            {
                "kind": n.kind,
                "body": n.body,
                "author": n.author,
                "at": iso(n.at),
                "to_queue": n.to_queue,
            }
            for n in handover.notes
        ],
        "screening": [
            {"id": a.id, "answer": a.answer, "sv": a.sv, "en": a.en} for a in handover.screening
        ],
    }


def queue_dict(view: QueueView, counts_only: bool = False) -> dict[str, Any]:
    """One queue of the staff's ``queues`` list (at most the head of the line).

    ``counts_only`` (managers, admins: no care relation): ``contacts`` is empty,
    so no names, previews, tags, reasons (quotes of the text) or ids reach
    them; the counts stay. Nurses' and doctors' snapshots are audited
    (``queue_preview_read``, :mod:`chatserver.core.preview_audit`).
    """
    q, s, now = view.queue, view.summary, view.now
    head = () if counts_only else view.head
    return {
        "id": q.id,
        "unit_id": q.unit_id,
        "competence": q.competence,
        "name": q.name,
        "count": s.count,
        "oldest_wait_s": s.oldest_wait_s,
        "red_flags": s.red_flags,
        "levels": dict(s.by_level),
        "contacts": [
            {
                "contact_id": e.contact_id,
                "position": i,
                "name": e.name,
                "lang": e.lang,
                "preview": e.preview,
                "level": e.level,
                "tags": list(e.tags),
                "red_flag": e.red_flag,
                "identified": e.identified,
                "reasons": [dict(r) for r in e.reasons],
                "queued_at": iso(e.queued_at),
                "waited_s": max(0, int(now - e.queued_at)),
            }
            for i, e in enumerate(head, 1)
        ],
    }


def queues_list(views: Iterable[QueueView], counts_only: bool = False) -> list[dict[str, Any]]:
    return [queue_dict(v, counts_only) for v in views]
