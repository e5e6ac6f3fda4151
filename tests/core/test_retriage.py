"""Triage of later messages, without I/O: raises, follow-up questions and answers."""

from __future__ import annotations

import pytest

import triage
from chatserver.core import retriage as r
from chatserver.core.effects import (
    Effects,
    EventWrite,
    LevelWrite,
    Plan,
    Refusal,
    Send,
    WaitingChange,
)
from chatserver.core.retriage import Answered, Raise
from chatserver.core.waiting_room import priority_key
from chatserver.errors import InvalidInput
from chatserver.storage.base import ContactEvent
from chatserver.ws import wire
from tests.core.builders import (
    CLOSED,
    NURSE,
    T0,
    S,
    contact,
    result,
)
from triage.screening import CATALOGUE

# -- triage raises -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "raises"),
    [
        (triage.Level.EMERGENCY, True),
        (triage.Level.URGENT, True),
        (triage.Level.STANDARD, False),
        (triage.Level.NON_URGENT, False),
    ],
)
def test_only_findings_above_standard_can_raise(level: triage.Level, raises: bool) -> None:
    """Most messages change nothing and cost no read of the contact."""
    assert r.may_raise(result(level)) is raises


def test_retriage_raises_to_a_more_urgent_level_only() -> None:
    """An urgent finding raises a standard contact; not an urgent, an emergency or a closed one."""
    c = contact(S.ASSIGNED)
    found = result(triage.Level.URGENT, "cardiac")
    assert r.decide_retriage(c, found, T0) == Raise(
        events=(),
        write=LevelWrite(
            contact=c,
            level="urgent",
            tags=("cardiac", "ent"),
            priority_key=priority_key("urgent", T0 - 600),
            at=T0,
            actor_user_id=None,
            reason="patient_message",
            added_reasons=({"rule_id": "R-urgent", "level": "urgent", "matched": ["ord"]},),
            lost=CLOSED,
        ),
    )
    assert r.decide_retriage(contact(S.ASSIGNED, level="urgent"), found, T0) is None
    assert r.decide_retriage(contact(S.ASSIGNED, level="emergency"), found, T0) is None
    assert r.decide_retriage(contact(S.CLOSED), found, T0) is None
    assert r.decide_retriage(None, found, T0) is None
    assert r.decide_retriage(c, result(triage.Level.STANDARD), T0) is None


def test_a_raise_by_the_safety_net_is_recorded_first() -> None:
    """A raise by the learned model is recorded as a model_raise event before the level."""
    found = result(triage.Level.EMERGENCY, model="net-1")
    raised = r.decide_retriage(contact(), found, T0)
    assert raised is not None
    assert raised.events == (
        EventWrite(
            "c1",
            "model_raise",
            T0,
            None,
            {"level": "emergency", "model": "net-1", "probability": 0.9},
        ),
    )
    assert raised.write.level == "emergency"


def test_raise_effects() -> None:
    """The patient gets the new level with advice and the reasons without the
    matched words, the assigned nurse without advice and with the words; a
    waiting contact's room changes instead."""
    c = contact(S.ASSIGNED)
    write = r.decide_raise(c, result(triage.Level.URGENT, "cardiac"), T0, reason="patient_message")
    advice = triage.advice_for("urgent", "sv", tags=["cardiac", "ent"]).to_dict()
    reasons = ({"rule_id": "R-urgent", "level": "urgent", "matched": ["ord"]},)
    unquoted = ({"rule_id": "R-urgent", "level": "urgent", "matched": []},)
    tags = ("cardiac", "ent")
    after = contact(S.ASSIGNED, level="urgent")
    assert r.raise_effects(write, after) == Effects(
        sends=(
            Send("contact", "c1", wire.TriageFrame("c1", "urgent", tags, unquoted, advice)),
            Send("user", NURSE.id, wire.TriageFrame("c1", "urgent", tags, reasons)),
        ),
    )
    waiting = contact(S.QUEUED, level="urgent")
    assert r.raise_effects(write, waiting) == Effects(
        sends=(Send("contact", "c1", wire.TriageFrame("c1", "urgent", tags, unquoted, advice)),),
        waiting=(WaitingChange(waiting, "hc1"),),
    )


# -- follow-up questions -------------------------------------------------------------------


def test_followups_are_asked_once() -> None:
    """Questions not asked before are stored and pushed; asked ones never again."""
    questions = [CATALOGUE["chest_pain_spreading"], CATALOGUE["chest_pain_15_minutes"]]
    ids = [q.id for q in questions]
    plan = r.decide_followups(contact(), questions, {}, T0)
    frame = wire.FollowupFrame("c1", tuple(q.to_dict("sv") for q in questions))
    assert plan == Plan(
        writes=(EventWrite("c1", "followup_asked", T0, None, {"ids": ids}),),
        effects=Effects(sends=(Send("contact", "c1", frame),)),
    )
    assert r.decide_followups(contact(), questions, dict.fromkeys(ids), T0) is None
    assert r.followups_for(contact(), result(triage.Level.EMERGENCY, "cardiac")) == []


def test_asked_followups_from_events() -> None:
    """Asked ids come open (None) until answered; a later answer wins; other kinds are skipped."""
    events = [
        ContactEvent(1, "c1", T0, "followup_asked", None, {"ids": ["q1", "q2"]}),
        ContactEvent(2, "c1", T0 + 1, "note", 7, {"ids": ["q9"]}),
        ContactEvent(3, "c1", T0 + 2, "followup", None, {"answers": {"q1": False}}),
        ContactEvent(4, "c1", T0 + 3, "followup_asked", None, {"ids": ["q1", "q3"]}),
        ContactEvent(5, "c1", T0 + 4, "followup", None, {"answers": {"q3": True}}),
    ]
    assert r.asked_followups(events) == {"q1": False, "q2": None, "q3": True}
    assert r.asked_followups([]) == {}


def test_followup_answers() -> None:
    """A no is stored; a yes raises to emergency (unless it already is); an unknown
    question or a closed contact is refused."""
    c = contact(S.QUEUED)
    assert r.decide_followup_answers(c, {"nope": True}, T0) == Refusal(
        InvalidInput("invalid_field", "unknown question id: nope")
    )
    assert (
        r.decide_followup_answers(contact(S.CLOSED), {"chest_pain_spreading": True}, T0) == CLOSED
    )
    assert r.decide_followup_answers(None, {"chest_pain_spreading": True}, T0) == CLOSED
    no = {"chest_pain_spreading": False}
    assert r.decide_followup_answers(c, no, T0) == Answered(
        event=EventWrite("c1", "followup", T0, None, {"answers": no, "yes": []}),
        raise_=None,
        reply=wire.FollowupAckFrame("c1", False, "standard"),
    )
    yes = {"chest_pain_spreading": True}
    answered = r.decide_followup_answers(c, yes, T0)
    assert isinstance(answered, Answered)
    assert answered.event == EventWrite(
        "c1", "followup", T0, None, {"answers": yes, "yes": ["chest_pain_spreading"]}
    )
    assert answered.reply == wire.FollowupAckFrame("c1", True, "emergency")
    assert answered.raise_ is not None
    assert (answered.raise_.level, answered.raise_.reason) == ("emergency", "followup_answer")
    assert answered.raise_.added_reasons[0]["rule_id"] == "FOLLOWUP-chest_pain_spreading"
    already = r.decide_followup_answers(contact(level="emergency"), yes, T0)
    assert isinstance(already, Answered)
    assert (already.raise_, already.reply) == (
        None,
        wire.FollowupAckFrame("c1", False, "emergency"),
    )
