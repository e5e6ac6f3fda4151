"""The JSON of every server frame as pydantic models, for docs/asyncapi.yaml.

Server frames are dataclasses turned into JSON by hand in one place
(:func:`chatserver.ws.wire.to_dict`, kept off pydantic on the hot path), so
their schemas are written here, one model per frame class
(:data:`SERVER_MODELS`). Client frames need none: their wire models in
:mod:`chatserver.ws.wire` are the schemas. ``tests/contract/test_asyncapi.py``
fails when a ``ServerFrame`` class has no model here, and validates every
frame of a real conversation and every example of ``tests/app/test_frames.py``
against these models' schemas.

Frames are open objects: a feature may add a field (the banner in ``welcome``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chatserver.http.models import Level
from chatserver.ws import wire

__all__ = ["PATIENT_RECEIVES", "SERVER_MODELS", "STAFF_RECEIVES"]

# UTC ISO 8601 with a Z (wire.iso).
Time = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z$")]
Status = Literal["emergency_advised", "queued", "assigned", "closed"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Attachment(_Open):
    id: str
    content_type: str
    width: int
    height: int
    bytes: int


class ChatMessage(_Open):
    """``message``: one chat message, to every participant connection except the sender's."""

    type: Literal["message"]
    contact_id: str
    seq: Annotated[int, Field(ge=1)]
    sender: Literal["patient", "staff", "system"]
    sender_name: str | None
    body: str
    client_id: str | None
    sent_at: Time
    attachment: Attachment | None = None
    photo_request: bool | None = None


class Ack(_Open):
    """``ack``: the sender's message is stored (``duplicate``: it already was)."""

    type: Literal["ack"]
    client_id: str
    contact_id: str
    seq: Annotated[int, Field(ge=1)]
    sent_at: Time | None = None
    duplicate: Literal[True] | None = None


class TypingOut(_Open):
    """``typing``: relayed to the other side (staff typing carries the name)."""

    type: Literal["typing"]
    contact_id: str
    sender: Literal["patient", "staff"]
    sender_name: str | None = None


class History(_Open):
    """``history``: the answer to ``sync`` (messages after ``after_seq``)."""

    type: Literal["history"]
    contact_id: str
    messages: list[ChatMessage]


class Reason(_Open):
    rule_id: str
    level: Level
    matched: list[str]


class ContactTriage(_Open):
    level: Level
    intake_level: Level | None
    tags: list[str]
    reasons: list[Reason]
    red_flag: bool


class HandoverNote(_Open):
    kind: Literal["note", "transfer"]
    body: str
    author: str | None
    at: Time | None
    to_queue: str | None


class Handover(_Open):
    notes: list[HandoverNote]
    screening: list[dict[str, Any]]


class StaffContact(_Open):
    """The contact as staff see it (patient data: authorised staff only)."""

    contact_id: str
    unit_id: str
    queue: str | None
    status: Status
    triage: ContactTriage
    text: str | None
    name: str | None
    age: int | None
    lang: Literal["sv", "en"]
    would_otherwise: str | None
    created_at: Time | None
    queued_at: Time | None
    assigned_name: str | None
    last_seq: int
    outcome: str | None
    identified: bool
    handover: Handover | None = None
    identity_method: str | None = None
    personnummer: Annotated[str, Field(pattern=r"^[0-9]{12}$")] | None = None
    reported_age: int | None = None


class StaffAssigned(_Open):
    """``assigned`` to staff: the picked contact and every message so far."""

    type: Literal["assigned"]
    contact: StaffContact
    messages: list[ChatMessage]


class PatientAssigned(_Open):
    """``assigned`` to the patient: who picked them."""

    type: Literal["assigned"]
    contact_id: str
    staff_name: str


class Closed(_Open):
    """``closed``: to every participant."""

    type: Literal["closed"]
    contact_id: str
    outcome: str


class Transferred(_Open):
    """``transferred``: the contact waits in ``queue`` again."""

    type: Literal["transferred"]
    contact_id: str
    queue: str


class NoteOut(_Open):
    """``note``: an internal note, to staff only (``at`` epoch seconds)."""

    type: Literal["note"]
    contact_id: str
    body: str
    author: str
    at: float


class TriageRaised(_Open):
    """``triage``: the level raised by the patient's words or answers
    (the patient's copy carries the ``advice``)."""

    type: Literal["triage"]
    contact_id: str
    level: Level
    tags: list[str]
    reasons: list[dict[str, Any]]
    advice: dict[str, Any] | None = None


class TriageOverridden(_Open):
    """``triage``: the level set by a staff member."""

    type: Literal["triage"]
    contact_id: str
    level: Level
    previous_level: Level
    tags: list[str]
    by: str


class Question(_Open):
    id: str
    text: str
    help: str | None = None


class Followup(_Open):
    """``followup``: yes/no questions to the patient (each asked once)."""

    type: Literal["followup"]
    contact_id: str
    questions: list[Question]


class FollowupAck(_Open):
    """``followup_ack``: answers stored; ``raised`` when one raised the level."""

    type: Literal["followup_ack"]
    contact_id: str
    raised: bool
    level: Level


class QueuePlace(_Open):
    """``queue``: a waiting patient's place in line."""

    type: Literal["queue"]
    contact_id: str
    position: Annotated[int, Field(ge=1)]
    estimated_wait_s: Annotated[int, Field(ge=0)]


class Waiting(_Open):
    contact_id: str
    position: Annotated[int, Field(ge=1)]
    level: Level
    tags: list[str]
    red_flag: bool
    identified: bool
    reasons: list[dict[str, Any]]
    queued_at: Time | None
    waited_s: Annotated[int, Field(ge=0)]


class StaffQueue(_Open):
    id: str
    unit_id: str
    competence: str
    name: str
    count: Annotated[int, Field(ge=0)]
    oldest_wait_s: Annotated[int, Field(ge=0)] | None
    red_flags: Annotated[int, Field(ge=0)]
    levels: dict[str, int]
    contacts: Annotated[list[Waiting], Field(max_length=100)]


class Queues(_Open):
    """``queues``: the changed queues (managers and admins: counts only, no contacts)."""

    type: Literal["queues"]
    queues: list[StaffQueue]


class Place(_Open):
    position: Annotated[int, Field(ge=1)]
    estimated_wait_s: Annotated[int, Field(ge=0)]


class FollowupQuestions(_Open):
    questions: list[Question]


class PatientWelcome(_Open):
    """``welcome`` to the patient: the state of the chat after ``hello``."""

    type: Literal["welcome"]
    contact_id: str
    status: Status
    queue: Place | None
    messages: list[ChatMessage]
    staff_name: str | None
    outcome: str | None
    lang: Literal["sv", "en"]
    last_seq: Annotated[int, Field(ge=0)]
    followup: FollowupQuestions | None


class StaffUser(_Open):
    id: int
    username: str
    display_name: str | None
    role: Literal["nurse", "doctor", "manager", "admin"]
    units: list[str]


class StaffWelcome(_Open):
    """``welcome`` to staff: who they are, their queues, their assigned contacts."""

    type: Literal["welcome"]
    user: StaffUser
    queues: list[StaffQueue]
    assigned: list[StaffContact]


class Error(_Open):
    """``error``: a refused frame; the connection stays open. ``client_id``:
    the refused frame's, when it had one (retry the same frame)."""

    type: Literal["error"]
    code: str
    message: str
    fields: dict[str, str] | None = None
    client_id: str | None = None
    contact_id: str | None = None
    retryable: bool | None = None
    retry_after_s: int | None = None


class Pong(_Open):
    """``pong``: the answer to ``ping``."""

    type: Literal["pong"]


class BannerOut(_Open):
    """``banner``: the operations banner changed (``null``: withdrawn)."""

    type: Literal["banner"]
    banner: dict[str, Any] | None


class Escalation(_Open):
    """``escalation``: a contact waits past its target, to staff of the unit."""

    type: Literal["escalation"]
    contact_id: str
    unit_id: str
    queue_id: str
    level: Level
    red_flag: bool
    waited_s: Annotated[int, Field(ge=0)]
    target_s: Annotated[int, Field(ge=0)]


class Presence(_Open):
    """``presence``: to the assigned staff member, the patient's socket came or went."""

    type: Literal["presence"]
    contact_id: str
    patient: Literal["connected", "disconnected"]
    since: Time | None


# Every ServerFrame class but Relayed (another instance's frame, relayed as is).
SERVER_MODELS: Mapping[type, type[BaseModel]] = {
    wire.MessageFrame: ChatMessage,
    wire.AckFrame: Ack,
    wire.TypingFrame: TypingOut,
    wire.HistoryFrame: History,
    wire.StaffAssignedFrame: StaffAssigned,
    wire.PatientAssignedFrame: PatientAssigned,
    wire.ClosedFrame: Closed,
    wire.TransferredFrame: Transferred,
    wire.NoteFrame: NoteOut,
    wire.TriageFrame: TriageRaised,
    wire.TriageOverrideFrame: TriageOverridden,
    wire.FollowupFrame: Followup,
    wire.FollowupAckFrame: FollowupAck,
    wire.QueueFrame: QueuePlace,
    wire.QueuesFrame: Queues,
    wire.PatientWelcomeFrame: PatientWelcome,
    wire.StaffWelcomeFrame: StaffWelcome,
    wire.ErrorFrame: Error,
    wire.PongFrame: Pong,
    wire.BannerFrame: BannerOut,
    wire.EscalationFrame: Escalation,
    wire.PresenceFrame: Presence,
}

# What each side's socket is sent (docs/protocol.md "Server → client frames").
PATIENT_RECEIVES: tuple[type[BaseModel], ...] = (
    PatientWelcome,
    Ack,
    ChatMessage,
    History,
    TypingOut,
    PatientAssigned,
    Closed,
    Transferred,
    QueuePlace,
    TriageRaised,
    Followup,
    FollowupAck,
    Error,
    Pong,
    BannerOut,
)
STAFF_RECEIVES: tuple[type[BaseModel], ...] = (
    StaffWelcome,
    Ack,
    ChatMessage,
    History,
    TypingOut,
    StaffAssigned,
    Closed,
    Transferred,
    NoteOut,
    TriageRaised,
    TriageOverridden,
    Queues,
    Error,
    Pong,
    BannerOut,
    Escalation,
    Presence,
)
