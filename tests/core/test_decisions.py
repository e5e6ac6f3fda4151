"""The life cycle's decisions, without I/O: every allowed and refused action,
the write it asks for and the exact frames it sends to whom."""

from __future__ import annotations

import pytest

from chatserver.core import decisions as d
from chatserver.core.effects import (
    CloseWrite,
    Effects,
    EventWrite,
    LevelWrite,
    PickWrite,
    Plan,
    Refusal,
    RequeueWrite,
    Send,
    TransferWrite,
    WaitingChange,
)
from chatserver.core.lifecycle import ContactStatus
from chatserver.core.waiting_room import TIER_FRONT, TIER_NORMAL, priority_key
from chatserver.errors import Forbidden, NotFoundError, StateConflict
from chatserver.storage.base import AppendResult, Conflict, NewMessage, NotAssigned, NotFound, User
from chatserver.ws import wire
from tests.core.builders import (
    ALREADY_CLOSED,
    CLOSED,
    COLLEAGUE,
    CONN,
    DISABLED,
    ELSEWHERE,
    FOREIGN,
    MANAGER,
    MINE,
    NOT_WAITING,
    NURSE,
    QUEUE_EMPTY,
    T0,
    UNKNOWN_CONTACT,
    UNKNOWN_QUEUE,
    S,
    contact,
    message,
)

# -- refusals and access ---------------------------------------------------------------------


def test_refusals_compare_by_class_code_and_message() -> None:
    """Two refusals are equal when they would raise the same documented error."""
    assert Refusal(NotFoundError("unknown_contact", "no such contact")) == UNKNOWN_CONTACT
    assert Refusal(StateConflict("unknown_contact", "no such contact")) != UNKNOWN_CONTACT
    assert Refusal(NotFoundError("unknown_contact", "other text")) != UNKNOWN_CONTACT
    assert hash(Refusal(NotFoundError("unknown_contact", "no such contact"))) == hash(
        UNKNOWN_CONTACT
    )
    assert repr(CLOSED) == "Refusal(StateConflict('contact_closed', 'the contact is closed'))"


@pytest.mark.parametrize(
    ("user", "status", "expected"),
    [
        (NURSE, S.EMERGENCY_ADVISED, None),
        (NURSE, S.QUEUED, None),
        (NURSE, S.ASSIGNED, None),
        (COLLEAGUE, S.ASSIGNED, ELSEWHERE),
        (COLLEAGUE, S.QUEUED, None),
        (NURSE, S.CLOSED, CLOSED),
        (FOREIGN, S.QUEUED, UNKNOWN_CONTACT),
        (MANAGER, S.QUEUED, UNKNOWN_CONTACT),
        (DISABLED, S.QUEUED, UNKNOWN_CONTACT),
    ],
)
def test_actionable(user: User, status: ContactStatus, expected: Refusal | None) -> None:
    """Acting needs the unit, an open contact, and the assignment if it is assigned."""
    c = contact(status)
    assert d.actionable(user, c) == (expected if expected is not None else c)


def test_readable_hides_other_units_and_missing_contacts_alike() -> None:
    """Unknown and another unit's contact get the same answer; closed ones are readable."""
    assert d.readable(NURSE, None) == UNKNOWN_CONTACT
    assert d.readable(FOREIGN, contact()) == UNKNOWN_CONTACT
    assert d.readable(NURSE, contact(S.CLOSED)) == contact(S.CLOSED)


def test_resolve_queue() -> None:
    """A queue id, or a competence within the first of the given units."""
    assert d.resolve_queue("hc1:doctor", MINE, ("hc1",)) == "hc1:doctor"
    assert d.resolve_queue("nurse", MINE, ("hc1",)) == "hc1:nurse"
    assert d.resolve_queue("nurse", MINE, ("hc2",)) == UNKNOWN_QUEUE
    assert d.resolve_queue("psychologist", MINE, ("hc1",)) == UNKNOWN_QUEUE
    assert d.resolve_queue("nurse", MINE, ()) == UNKNOWN_QUEUE


# -- pick ----------------------------------------------------------------------------------


def test_pick_next_from_every_queue_of_mine() -> None:
    """Without a queue: the first waiting contact of all the user's queues."""
    assert d.decide_pick(NURSE, MINE, None, None, None, T0) == PickWrite(
        ("hc1:doctor", "hc1:nurse"), NURSE.id, "Nina Nurse", T0, None, QUEUE_EMPTY
    )


def test_pick_from_one_queue() -> None:
    """A queue by id or by competence; another unit's queue is unknown."""
    expected = PickWrite(("hc1:nurse",), NURSE.id, "Nina Nurse", T0, None, QUEUE_EMPTY)
    assert d.decide_pick(NURSE, MINE, "nurse", None, None, T0) == expected
    assert d.decide_pick(NURSE, MINE, "hc1:nurse", None, None, T0) == expected
    assert d.decide_pick(NURSE, MINE, "hc2:nurse", None, None, T0) == UNKNOWN_QUEUE


@pytest.mark.parametrize("user", [MANAGER, DISABLED])
def test_only_clinicians_pick(user: User) -> None:
    """Managers (and disabled accounts) never pick, whatever they name."""
    assert d.decide_pick(user, MINE, None, "c1", contact(), T0) == Refusal(
        Forbidden("forbidden", "only nurses and doctors pick contacts")
    )


@pytest.mark.parametrize(
    ("status", "allowed"),
    [(S.EMERGENCY_ADVISED, False), (S.QUEUED, True), (S.ASSIGNED, False), (S.CLOSED, False)],
)
def test_pick_by_id_only_while_waiting(status: ContactStatus, allowed: bool) -> None:
    """Only a queued contact can be picked by id; from its own queue by default."""
    wanted = contact(status, queue_id="hc1:doctor")
    decided = d.decide_pick(NURSE, MINE, None, "c1", wanted, T0)
    if allowed:
        assert decided == PickWrite(("hc1:doctor",), NURSE.id, "Nina Nurse", T0, "c1", NOT_WAITING)
    else:
        assert decided == NOT_WAITING


def test_pick_by_id_in_a_named_queue_and_unknown_contacts() -> None:
    """A named queue is kept (storage checks the contact waits there); an unknown
    or foreign contact is unknown."""
    assert d.decide_pick(NURSE, MINE, "nurse", "c1", contact(), T0) == PickWrite(
        ("hc1:nurse",), NURSE.id, "Nina Nurse", T0, "c1", NOT_WAITING
    )
    assert d.decide_pick(NURSE, MINE, None, "c1", None, T0) == UNKNOWN_CONTACT
    assert d.decide_pick(FOREIGN, MINE, None, "c1", contact(), T0) == UNKNOWN_CONTACT


def test_pick_effects() -> None:
    """The picker's tabs get the contact with its transcript, the patient the
    picker's name, and the waiting room changes."""
    picked = contact(S.ASSIGNED)
    msgs = [message(1), message(2)]
    assigned = wire.StaffAssignedFrame(picked, (message(1), message(2)))
    assert d.pick_effects(picked, msgs, NURSE, CONN) == Effects(
        reply=assigned,
        sends=(
            Send("contact", "c1", wire.PatientAssignedFrame("c1", "Nina Nurse")),
            Send("user", NURSE.id, assigned, exclude=CONN),
        ),
        waiting=(WaitingChange(picked, "hc1"),),
    )


# -- close -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "status", "expected"),
    [
        (NURSE, S.EMERGENCY_ADVISED, "write"),
        (NURSE, S.QUEUED, "write"),
        (NURSE, S.ASSIGNED, "write"),
        (COLLEAGUE, S.QUEUED, "write"),
        (COLLEAGUE, S.ASSIGNED, ELSEWHERE),
        (NURSE, S.CLOSED, ALREADY_CLOSED),
        (COLLEAGUE, S.CLOSED, ALREADY_CLOSED),
        (FOREIGN, S.ASSIGNED, UNKNOWN_CONTACT),
        (MANAGER, S.QUEUED, UNKNOWN_CONTACT),
    ],
)
def test_close_by_staff(user: User, status: ContactStatus, expected: Refusal | str) -> None:
    """Staff close any open contact of their unit unless someone else holds it."""
    c = contact(status)
    decided = d.decide_close(c, "resolved_in_chat", T0, by=user)
    if expected == "write":
        assert decided == CloseWrite(c, "resolved_in_chat", T0, user.id, ALREADY_CLOSED)
    else:
        assert decided == expected


@pytest.mark.parametrize("status", list(S))
def test_patient_leaves(status: ContactStatus) -> None:
    """The patient closes their own contact as patient_left while it is open."""
    c = contact(status)
    decided = d.decide_close(c, "patient_left", T0, by=None)
    if status is S.CLOSED:
        assert decided == ALREADY_CLOSED
    else:
        assert decided == CloseWrite(c, "patient_left", T0, None, ALREADY_CLOSED)
    assert d.decide_close(None, "patient_left", T0, by=None) == UNKNOWN_CONTACT


def test_close_effects_of_an_assigned_contact() -> None:
    """Closed by its nurse: the patient and the nurse's other tabs; the queue is untouched."""
    before = contact(S.ASSIGNED)
    after = contact(S.CLOSED)
    write = CloseWrite(before, "resolved_in_chat", T0, NURSE.id, ALREADY_CLOSED)
    frame = wire.ClosedFrame("c1", "resolved_in_chat")
    assert d.close_effects(write, after, CONN) == Effects(
        reply=frame,
        sends=(Send("contact", "c1", frame), Send("user", NURSE.id, frame, exclude=CONN)),
    )


def test_close_effects_of_a_waiting_contact_and_of_a_leaving_patient() -> None:
    """A colleague closing a waiting contact is told too and the waiting room
    changes; a patient leaving an assigned chat tells the nurse."""
    queued, closed = contact(S.QUEUED), contact(S.CLOSED)
    frame = wire.ClosedFrame("c1", "no_response")
    write = CloseWrite(queued, "no_response", T0, COLLEAGUE.id, ALREADY_CLOSED)
    assert d.close_effects(write, closed, CONN) == Effects(
        reply=frame,
        sends=(Send("contact", "c1", frame), Send("user", COLLEAGUE.id, frame, exclude=CONN)),
        waiting=(WaitingChange(closed, "hc1"),),
    )
    left = wire.ClosedFrame("c1", "patient_left")
    write = CloseWrite(contact(S.ASSIGNED), "patient_left", T0, None, ALREADY_CLOSED)
    assert d.close_effects(write, closed, None) == Effects(
        reply=left, sends=(Send("contact", "c1", left), Send("user", NURSE.id, left))
    )
    # A colleague closing another's contact (allowed while it waits) reaches both.
    write = CloseWrite(contact(S.ASSIGNED), "no_response", T0, COLLEAGUE.id, ALREADY_CLOSED)
    assert d.close_effects(write, closed, CONN).sends == (
        Send("contact", "c1", frame),
        Send("user", NURSE.id, frame, exclude=CONN),
        Send("user", COLLEAGUE.id, frame, exclude=CONN),
    )


# -- transfer and requeue ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "status", "expected"),
    [
        (NURSE, S.QUEUED, "write"),
        (NURSE, S.ASSIGNED, "write"),
        (COLLEAGUE, S.ASSIGNED, ELSEWHERE),
        (
            NURSE,
            S.EMERGENCY_ADVISED,
            Refusal(StateConflict("not_waiting", "the contact is not in a queue")),
        ),
        (NURSE, S.CLOSED, CLOSED),
        (FOREIGN, S.QUEUED, UNKNOWN_CONTACT),
    ],
)
def test_transfer(user: User, status: ContactStatus, expected: Refusal | str) -> None:
    """Queued and assigned contacts move to another queue, keeping their place in time."""
    c = contact(status)
    decided = d.decide_transfer(user, c, MINE, "doctor", "läkarbedömning", T0)
    if expected == "write":
        assert decided == TransferWrite(
            contact=c,
            queue_id="hc1:doctor",
            priority_tier=TIER_NORMAL,
            priority_key=priority_key("standard", T0 - 600),
            at=T0,
            actor_user_id=user.id,
            note="läkarbedömning",
            lost=CLOSED,
        )
    else:
        assert decided == expected


def test_transfer_keeps_a_red_flag_first_and_refuses_unknown_queues() -> None:
    """A red-flag contact stays in the front tier; a queue outside the unit is unknown."""
    flagged = contact(S.ASSIGNED, red_flag=True, level="emergency")
    decided = d.decide_transfer(NURSE, flagged, MINE, "hc1:nurse", None, T0)
    assert isinstance(decided, TransferWrite)
    assert (decided.priority_tier, decided.priority_key) == (
        TIER_FRONT,
        priority_key("emergency", T0 - 600),
    )
    assert d.decide_transfer(NURSE, contact(), MINE, "psychologist", None, T0) == UNKNOWN_QUEUE


def test_transfer_effects() -> None:
    """The patient and the actor's tabs learn the queue; both units' rooms change."""
    before = contact(S.ASSIGNED)
    after = contact(S.QUEUED, queue_id="hc2:nurse", unit_id="hc2")
    write = TransferWrite(before, "hc2:nurse", TIER_NORMAL, 1.0, T0, NURSE.id, None, CLOSED)
    frame = wire.TransferredFrame("c1", "hc2:nurse")
    assert d.transfer_effects(write, after, CONN) == Effects(
        reply=frame,
        sends=(Send("contact", "c1", frame), Send("user", NURSE.id, frame, exclude=CONN)),
        waiting=(WaitingChange(after, "hc1"), WaitingChange(after, "hc2")),
    )
    same_unit = contact(S.QUEUED, queue_id="hc1:doctor")
    assert d.transfer_effects(write, same_unit, CONN).waiting == (WaitingChange(same_unit, "hc1"),)


@pytest.mark.parametrize("status", list(S))
def test_requeue_only_an_assigned_contact(status: ContactStatus) -> None:
    """An assigned contact goes back into its own queue, in its level's place with
    its original arrival time (not the front); nothing else moves."""
    c = contact(status)
    decided = d.decide_requeue(c, "staff_disconnected", T0)
    if status is S.ASSIGNED:
        key = priority_key("standard", T0 - 600)
        assert decided == RequeueWrite(c, TIER_NORMAL, key, T0, "staff_disconnected")
    else:
        assert decided == Refusal(StateConflict("not_waiting", "the contact is not assigned"))


def test_requeue_keeps_the_tier_of_its_level() -> None:
    """Only a red flag or an emergency level waits in the front tier when sent back."""
    flagged = contact(S.ASSIGNED, red_flag=True, level="urgent")
    decided = d.decide_requeue(flagged, "staff_disconnected", T0)
    assert isinstance(decided, RequeueWrite)
    assert decided.priority_tier == TIER_FRONT
    assert decided.priority_key == priority_key("urgent", T0 - 600)
    urgent = contact(S.ASSIGNED, level="urgent")
    decided = d.decide_requeue(urgent, "staff_disconnected", T0)
    assert isinstance(decided, RequeueWrite)
    assert decided.priority_tier == TIER_NORMAL


def test_patient_presence_goes_to_the_assigned_staff_member_only() -> None:
    """The patient's socket came or went: the assigned nurse is told; nobody
    while the contact waits, is closed or unknown."""
    assigned = contact(S.ASSIGNED)
    gone = d.patient_presence(assigned, False, T0)
    assert gone == Effects(
        sends=(Send("user", NURSE.id, wire.PresenceFrame("c1", "disconnected", T0)),)
    )
    back = d.patient_presence(assigned, True, T0)
    assert back.sends[0].frame == wire.PresenceFrame("c1", "connected", T0)
    for other in (contact(S.QUEUED), contact(S.CLOSED), None):
        assert d.patient_presence(other, False, T0) == Effects()


def test_requeue_effects() -> None:
    """The patient learns it waits in its queue again; the room changes."""
    before, after = contact(S.ASSIGNED), contact(S.QUEUED, priority_tier=TIER_FRONT)
    write = RequeueWrite(before, TIER_FRONT, 1.0, T0, "audit_unavailable")
    assert d.requeue_effects(write, after) == Effects(
        sends=(Send("contact", "c1", wire.TransferredFrame("c1", "hc1:nurse")),),
        waiting=(WaitingChange(after, "hc1"),),
    )


# -- notes, overrides, typing ----------------------------------------------------------------


def test_note() -> None:
    """A note is stored and shown to the author's other tabs, never to the patient."""
    frame = wire.NoteFrame("c1", "ring tillbaka", "Nina Nurse", T0)
    assert d.decide_note(NURSE, contact(S.ASSIGNED), "ring tillbaka", T0, CONN) == Plan(
        writes=(EventWrite("c1", "note", T0, NURSE.id, {"body": "ring tillbaka"}),),
        effects=Effects(reply=frame, sends=(Send("user", NURSE.id, frame, exclude=CONN),)),
    )
    assert d.decide_note(NURSE, contact(S.CLOSED), "x", T0, CONN) == CLOSED
    assert d.decide_note(COLLEAGUE, contact(S.ASSIGNED), "x", T0, CONN) == ELSEWHERE


def test_override() -> None:
    """Staff set a level with a reason; a waiting contact is reordered."""
    c = contact(S.QUEUED)
    write = d.decide_override(NURSE, c, "urgent", "andningsbesvär", T0)
    assert write == LevelWrite(
        contact=c,
        level="urgent",
        tags=("ent",),
        priority_key=priority_key("urgent", T0 - 600),
        at=T0,
        actor_user_id=NURSE.id,
        reason="andningsbesvär",
        added_reasons=(),
        lost=CLOSED,
    )
    assert isinstance(write, LevelWrite)
    after = contact(S.QUEUED, level="urgent")
    frame = wire.TriageOverrideFrame("c1", "urgent", "standard", ("ent",), "Nina Nurse")
    assert d.override_effects(write, after, NURSE, CONN) == Effects(
        reply=frame,
        sends=(Send("user", NURSE.id, frame, exclude=CONN),),
        waiting=(WaitingChange(after, "hc1"),),
    )
    assigned = contact(S.ASSIGNED, level="urgent")
    assert d.override_effects(write, assigned, NURSE, CONN).waiting == ()
    assert d.decide_override(NURSE, contact(S.CLOSED), "urgent", "r", T0) == CLOSED


def test_typing() -> None:
    """Typing reaches the other side only while the contact is assigned."""
    assert d.patient_typing(contact(S.ASSIGNED)) == Effects(
        sends=(Send("user", NURSE.id, wire.TypingFrame("c1", "patient")),)
    )
    for status in (S.EMERGENCY_ADVISED, S.QUEUED, S.CLOSED):
        assert d.patient_typing(contact(status)) == Effects()
    assert d.staff_typing(NURSE, contact(S.ASSIGNED)) == Effects(
        sends=(Send("contact", "c1", wire.TypingFrame("c1", "staff", "Nina Nurse")),)
    )
    assert d.staff_typing(NURSE, contact(S.QUEUED)) == Effects()
    assert d.staff_typing(NURSE, contact(S.CLOSED)) == CLOSED
    assert d.staff_typing(COLLEAGUE, contact(S.ASSIGNED)) == ELSEWHERE


# -- messages ------------------------------------------------------------------------------


def test_message_writes() -> None:
    """A patient message needs no check; a staff message needs the assignment at commit."""
    assert d.patient_message(contact(), "p-1", "Hej", T0) == NewMessage(
        "c1", "patient", "p:c1", "Petra", "p-1", "Hej", T0
    )
    assert d.staff_message(NURSE, "c1", "s-1", "Hej!", T0) == NewMessage(
        "c1", "staff", "s:1", "Nina Nurse", "s-1", "Hej!", T0, require_assigned_user=NURSE.id
    )


def test_append_refusals() -> None:
    """Storage's refusals map to the documented codes; a staff member's
    not-assigned is explained like every other action."""
    assert d.append_refusal(NotAssigned()) == Refusal(
        StateConflict("not_assigned", "the contact is not assigned to you")
    )
    assert d.append_refusal(Conflict()) == CLOSED
    assert d.append_refusal(NotFound()) == UNKNOWN_CONTACT
    assert d.not_picked(NURSE, contact(S.QUEUED)) == Refusal(
        Forbidden("not_assigned", "pick the contact before writing to it")
    )
    assert d.not_picked(COLLEAGUE, contact(S.ASSIGNED)) == ELSEWHERE
    assert d.not_picked(NURSE, contact(S.CLOSED)) == CLOSED
    assert d.not_picked(NURSE, None) == UNKNOWN_CONTACT


@pytest.mark.parametrize(
    ("status", "assigned", "to_staff"),
    [
        (S.ASSIGNED, NURSE.id, True),
        ("assigned", NURSE.id, True),  # storage may report plain strings
        (S.QUEUED, None, False),
        (S.ASSIGNED, None, False),
        (None, None, False),
    ],
)
def test_append_effects(
    status: ContactStatus | str | None, assigned: int | None, to_staff: bool
) -> None:
    """The ack to the sender; the message to the patient's connections and, while
    assigned at commit, to the staff member's (never back to the sending one)."""
    m = message(3)
    frame = wire.MessageFrame(m)
    sends = [Send("contact", "c1", frame, exclude=CONN)]
    if to_staff:
        sends.append(Send("user", NURSE.id, frame, exclude=CONN))
    effects = d.append_effects(AppendResult(m, False, status, assigned), status, assigned, CONN)
    ack = wire.AckFrame("m3", "c1", 3, sent_at=m.sent_at)
    assert effects == Effects(reply=ack, sends=tuple(sends))


def test_a_duplicate_is_acked_again_and_not_relayed() -> None:
    """Re-sending a client_id gets the original's ack, marked duplicate, and nothing else."""
    result = AppendResult(message(2), True, S.ASSIGNED, NURSE.id)
    assert d.append_effects(result, S.ASSIGNED, NURSE.id, CONN) == Effects(
        reply=wire.AckFrame("m2", "c1", 2, duplicate=True, sent_at=result.message.sent_at)
    )
