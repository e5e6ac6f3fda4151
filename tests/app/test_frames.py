"""Server frames: each typed value's exact JSON (PROTOCOL.md shapes), in one place."""

from __future__ import annotations

import typing
from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chatserver.core.identification import VerifiedIdentity
from chatserver.core.wait_estimate import Place
from chatserver.core.waiting_room import QueueSummary, WaitingEntry
from chatserver.errors import StateConflict
from chatserver.storage.base import Contact, Message, Queue, User
from chatserver.ws import wire

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
ISO = "2027-01-15T08:00:00.000Z"

CONTACT = Contact(
    id="c1",
    unit_id="hc1",
    queue_id="hc1:nurse",
    status="assigned",
    level="urgent",
    intake_level="standard",
    tags=("ent",),
    reasons=({"rule_id": "R1", "level": "urgent", "matched": ["ont"]},),
    red_flag=False,
    emergency_acknowledged=False,
    lang="sv",
    age=40,
    name="Petra",
    text="Ont i halsen",
    would_otherwise="phone",
    created_at=T0,
    queued_at=T0,
    priority_tier=1,
    priority_key=T0,
    assigned_user_id=1,
    assigned_name="Nina Nurse",
    assigned_at=T0,
    first_picked_at=T0,
    first_staff_reply_at=None,
    closed_at=None,
    outcome=None,
    last_seq=1,
)
MESSAGE = Message("c1", 1, "patient", "Petra", "p-1", "Hej", T0)
MESSAGE_JSON = {
    "type": "message",
    "contact_id": "c1",
    "seq": 1,
    "sender": "patient",
    "sender_name": "Petra",
    "body": "Hej",
    "client_id": "p-1",
    "sent_at": ISO,
}
CONTACT_JSON = {
    "contact_id": "c1",
    "unit_id": "hc1",
    "queue": "hc1:nurse",
    "status": "assigned",
    "triage": {
        "level": "urgent",
        "intake_level": "standard",
        "tags": ["ent"],
        "reasons": [{"rule_id": "R1", "level": "urgent", "matched": ["ont"]}],
        "red_flag": False,
    },
    "text": "Ont i halsen",
    "name": "Petra",
    "age": 40,
    "lang": "sv",
    "would_otherwise": "phone",
    "created_at": ISO,
    "queued_at": ISO,
    "assigned_name": "Nina Nurse",
    "last_seq": 1,
    "outcome": None,
    "identified": False,
    "handover": {"notes": [], "screening": []},
}
IDENTITY = VerifiedIdentity("c1", "bankid", "191212121212", "Tolvan Tolvansson", 14)
USER = User(1, "nurse1", "Nina Nurse", "nurse", "", None, False, T0, ("hc1",))
VIEW = wire.QueueView(
    Queue("hc1:nurse", "hc1", "nurse", "Sjuksköterska"),
    QueueSummary(count=1, oldest_wait_s=60, red_flags=0, by_level={"standard": 1}),
    (WaitingEntry("c2", "standard", ("ent",), False, 1, T0 - 3600, T0 - 60, T0 - 60),),
    T0,
)
VIEW_JSON = {
    "id": "hc1:nurse",
    "unit_id": "hc1",
    "competence": "nurse",
    "name": "Sjuksköterska",
    "count": 1,
    "oldest_wait_s": 60,
    "red_flags": 0,
    "levels": {"standard": 1},
    "contacts": [
        {
            "contact_id": "c2",
            "position": 1,
            "name": "",
            "lang": "",
            "preview": "",
            "level": "standard",
            "tags": ["ent"],
            "red_flag": False,
            "identified": False,
            "reasons": [],
            "queued_at": "2027-01-15T07:59:00.000Z",
            "waited_s": 60,
        }
    ],
}

EXAMPLES: list[tuple[wire.ServerFrame, dict[str, typing.Any]]] = [
    (wire.MessageFrame(MESSAGE), MESSAGE_JSON),
    (
        wire.AckFrame("p-1", "c1", 1),
        {"type": "ack", "client_id": "p-1", "contact_id": "c1", "seq": 1},
    ),
    (
        wire.AckFrame("p-1", "c1", 1, duplicate=True),
        {"type": "ack", "client_id": "p-1", "contact_id": "c1", "seq": 1, "duplicate": True},
    ),
    (
        wire.AckFrame("p-1", "c1", 1, duplicate=True, sent_at=T0),
        {
            "type": "ack",
            "client_id": "p-1",
            "contact_id": "c1",
            "seq": 1,
            "sent_at": ISO,
            "duplicate": True,
        },
    ),
    (
        wire.TypingFrame("c1", "patient"),
        {"type": "typing", "contact_id": "c1", "sender": "patient"},
    ),
    (
        wire.TypingFrame("c1", "staff", "Nina Nurse"),
        {"type": "typing", "contact_id": "c1", "sender": "staff", "sender_name": "Nina Nurse"},
    ),
    (
        wire.HistoryFrame("c1", [MESSAGE]),
        {"type": "history", "contact_id": "c1", "messages": [MESSAGE_JSON]},
    ),
    (
        wire.StaffAssignedFrame(CONTACT, (MESSAGE,)),
        {"type": "assigned", "contact": CONTACT_JSON, "messages": [MESSAGE_JSON]},
    ),
    (
        wire.StaffAssignedFrame(CONTACT, (MESSAGE,), IDENTITY),
        {
            "type": "assigned",
            "contact": {
                **CONTACT_JSON,
                "identified": True,
                "identity_method": "bankid",
                "personnummer": "191212121212",
                "age": 14,
                "reported_age": 40,
            },
            "messages": [MESSAGE_JSON],
        },
    ),
    (
        wire.PatientAssignedFrame("c1", "Nina Nurse"),
        {"type": "assigned", "contact_id": "c1", "staff_name": "Nina Nurse"},
    ),
    (
        wire.ClosedFrame("c1", "resolved_in_chat"),
        {"type": "closed", "contact_id": "c1", "outcome": "resolved_in_chat"},
    ),
    (
        wire.TransferredFrame("c1", "hc1:doctor"),
        {"type": "transferred", "contact_id": "c1", "queue": "hc1:doctor"},
    ),
    (
        wire.NoteFrame("c1", "ring", "Nina Nurse", T0),
        {"type": "note", "contact_id": "c1", "body": "ring", "author": "Nina Nurse", "at": T0},
    ),
    (
        wire.TriageFrame("c1", "urgent", ("ent",), ({"rule_id": "R1"},), {"text": "Ring"}),
        {
            "type": "triage",
            "contact_id": "c1",
            "level": "urgent",
            "tags": ["ent"],
            "reasons": [{"rule_id": "R1"}],
            "advice": {"text": "Ring"},
        },
    ),
    (
        wire.TriageFrame("c1", "urgent", ("ent",), ()),
        {"type": "triage", "contact_id": "c1", "level": "urgent", "tags": ["ent"], "reasons": []},
    ),
    (
        wire.TriageOverrideFrame("c1", "urgent", "standard", ("ent",), "Nina Nurse"),
        {
            "type": "triage",
            "contact_id": "c1",
            "level": "urgent",
            "previous_level": "standard",
            "tags": ["ent"],
            "by": "Nina Nurse",
        },
    ),
    (
        wire.FollowupFrame("c1", ({"id": "q1", "text": "?"},)),
        {"type": "followup", "contact_id": "c1", "questions": [{"id": "q1", "text": "?"}]},
    ),
    (
        wire.FollowupAckFrame("c1", True, "emergency"),
        {"type": "followup_ack", "contact_id": "c1", "raised": True, "level": "emergency"},
    ),
    (
        wire.QueueFrame("c1", 2, 720),
        {"type": "queue", "contact_id": "c1", "position": 2, "estimated_wait_s": 720},
    ),
    (wire.QueuesFrame([VIEW]), {"type": "queues", "queues": [VIEW_JSON]}),
    (
        wire.PatientWelcomeFrame(
            CONTACT, Place(2, 720), [MESSAGE], 1, [{"id": "q1", "text": "?"}], {"banner": None}
        ),
        {
            "type": "welcome",
            "contact_id": "c1",
            "status": "assigned",
            "queue": {"position": 2, "estimated_wait_s": 720},
            "messages": [MESSAGE_JSON],
            "staff_name": "Nina Nurse",
            "outcome": None,
            "lang": "sv",
            "last_seq": 1,
            "followup": {"questions": [{"id": "q1", "text": "?"}]},
            "banner": None,
        },
    ),
    (
        wire.StaffWelcomeFrame(USER, [VIEW], [CONTACT], {"banner": None}),
        {
            "type": "welcome",
            "user": {
                "id": 1,
                "username": "nurse1",
                "display_name": "Nina Nurse",
                "role": "nurse",
                "units": ["hc1"],
            },
            "queues": [VIEW_JSON],
            "assigned": [CONTACT_JSON],
            "banner": None,
        },
    ),
    (
        wire.ErrorFrame.of(
            StateConflict("queue_full", "full", fields={"f": "x"}, extra={"alternatives": []}),
            client_id="p-9",
        ),
        {
            "type": "error",
            "code": "queue_full",
            "message": "full",
            "fields": {"f": "x"},
            "alternatives": [],
            "client_id": "p-9",
        },
    ),
    (
        wire.ErrorFrame("rate_limited", "slow down"),
        {"type": "error", "code": "rate_limited", "message": "slow down"},
    ),
    (wire.PONG, {"type": "pong"}),
    (wire.BannerFrame({"id": 3}), {"type": "banner", "banner": {"id": 3}}),
    (
        wire.EscalationFrame("c1", "hc1", "hc1:nurse", "urgent", False, 960, 900),
        {
            "type": "escalation",
            "contact_id": "c1",
            "unit_id": "hc1",
            "queue_id": "hc1:nurse",
            "level": "urgent",
            "red_flag": False,
            "waited_s": 960,
            "target_s": 900,
        },
    ),
    (
        wire.PresenceFrame("c1", "disconnected", T0),
        {"type": "presence", "contact_id": "c1", "patient": "disconnected", "since": ISO},
    ),
    (wire.Relayed({"type": "typing", "contact_id": "c1"}), {"type": "typing", "contact_id": "c1"}),
]


@pytest.mark.parametrize(("frame", "expected"), EXAMPLES, ids=lambda x: type(x).__name__)
def test_frame_json(frame: wire.ServerFrame, expected: dict[str, typing.Any]) -> None:
    """Each frame serialises to exactly its documented object, keys in that order."""
    assert wire.to_dict(frame) == expected
    assert wire.encode(frame) == orjson.dumps(expected).decode()


def test_every_frame_type_has_an_example() -> None:
    """A new member of ServerFrame needs an example here (and a case in to_dict)."""
    assert {type(f) for f, _ in EXAMPLES} == set(typing.get_args(wire.ServerFrame))


def test_relayed_frames_keep_their_text_and_seq() -> None:
    """A frame serialised on one instance is delivered unchanged on another,
    with a message's seq for the replay after a welcome."""
    for frame, _ in EXAMPLES:
        assert wire.encode(wire.Relayed(wire.to_dict(frame))) == wire.encode(frame)
    message = wire.MessageFrame(MESSAGE)
    assert wire.encoded(message) == (wire.encode(message), 1)
    assert wire.encoded(wire.Relayed(wire.to_dict(message))) == (wire.encode(message), 1)
    assert wire.encoded(wire.ClosedFrame("c1", "patient_left"))[1] is None


def test_client_frame_unions_match_the_type_tables() -> None:
    """The unions the sockets match on are exactly the frames each role may send."""
    assert set(typing.get_args(wire.PatientFrame)) == set(wire.PATIENT_TYPES.values())
    assert set(typing.get_args(wire.StaffFrame)) == set(wire.STAFF_TYPES.values())


@given(st.floats(min_value=0, max_value=4_102_444_800))  # up to 2100
@example(1_800_000_000.9999995)
@example(1_800_000_000.0004995)
@example(1_799_999_999.9999999)
@example(0.0)
def test_iso_is_datetimes_millisecond_text(ts: float) -> None:
    """The fast time stamp equals datetime's millisecond ISO text with a Z."""
    expected = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
    assert wire.iso(ts) == expected.replace("+00:00", "Z")
    assert wire.iso(None) is None


def test_a_frame_sent_to_two_targets_is_encoded_once() -> None:
    """The same frame object gets the same text object; an equal new one is encoded anew."""
    frame = wire.MessageFrame(MESSAGE)
    first, _ = wire.encoded(frame)
    assert wire.encoded(frame)[0] is first
    again = wire.encoded(wire.MessageFrame(MESSAGE))[0]
    assert again == first
    assert again is not first
