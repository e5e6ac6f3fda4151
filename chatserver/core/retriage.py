"""Triage of a patient's later messages and answers, decided without I/O.

Every patient message is triaged after its ack: a finding more urgent than
the contact's level raises it (:func:`decide_retriage`), and a message that
names a symptom family that can be an emergency gets that family's follow-up
questions, each asked once (:func:`decide_followups`); a yes to one raises
the level to emergency (:func:`decide_followup_answers`). The patient is told
the new level with advice, the assigned staff member without
(:func:`raise_effects`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import triage
from chatserver.core.decisions import if_waiting
from chatserver.core.effects import (
    Effects,
    EventWrite,
    LevelWrite,
    Plan,
    Refusal,
    Send,
    contact_closed,
)
from chatserver.core.lifecycle import ContactStatus
from chatserver.core.patient_access import patient_reasons
from chatserver.core.urgency import more_urgent
from chatserver.core.waiting_room import priority_key
from chatserver.errors import InvalidInput
from chatserver.storage.base import Contact, ContactEvent
from chatserver.ws import wire
from triage import screening


@dataclass(frozen=True, slots=True)
class Raise:
    """A more urgent level: ``events`` first (what raised it), then ``write``."""

    events: tuple[EventWrite, ...]
    write: LevelWrite


@dataclass(frozen=True, slots=True)
class Answered:
    """Follow-up answers: store ``event``, raise with ``raise_`` if any, reply ``reply``."""

    event: EventWrite
    raise_: LevelWrite | None
    reply: wire.FollowupAckFrame


def may_raise(result: triage.TriageResult) -> bool:
    """Only a finding more urgent than 'standard' can change a contact's level
    (decided before the contact is read, so most messages cost no read)."""
    return more_urgent(result.level.value, triage.Level.STANDARD)


def decide_retriage(
    contact: Contact | None, result: triage.TriageResult, now: float
) -> Raise | None:
    """A patient message's finding raises the level if it is more urgent."""
    new_level = result.level.value
    if contact is None or contact.status == ContactStatus.CLOSED:
        return None
    if not may_raise(result) or not more_urgent(new_level, contact.level):
        return None
    events: tuple[EventWrite, ...] = ()
    raised = [r for r in result.reasons if r.model is not None]
    if raised:
        data = {"level": new_level, "model": raised[0].model, "probability": raised[0].probability}
        events = (EventWrite(contact.id, "model_raise", now, None, data),)
    return Raise(events, decide_raise(contact, result, now, reason="patient_message"))


def decide_raise(
    contact: Contact, result: triage.TriageResult, now: float, *, reason: str
) -> LevelWrite:
    level = result.level.value
    return LevelWrite(
        contact=contact,
        level=level,
        tags=tuple(sorted(set(contact.tags) | set(result.tags))),
        priority_key=priority_key(level, contact.queued_at or now),
        at=now,
        actor_user_id=None,
        reason=reason,
        added_reasons=tuple(r.to_dict() for r in result.reasons),
        lost=contact_closed(),
    )


def raise_effects(write: LevelWrite, after: Contact) -> Effects:
    """The patient is told with advice for the new level; the assigned staff
    member without."""
    before = write.contact
    advice = triage.advice_for(write.level, before.lang, tags=list(write.tags)).to_dict()
    # The patient sees what raised the level, never quotes of their own words.
    shown = tuple(patient_reasons(write.added_reasons))
    patient = wire.TriageFrame(before.id, write.level, write.tags, shown, advice)
    sends = [Send("contact", before.id, patient)]
    if after.assigned_user_id is not None:
        notice = wire.TriageFrame(before.id, write.level, write.tags, write.added_reasons)
        sends.append(Send("user", after.assigned_user_id, notice))
    return Effects(sends=tuple(sends), waiting=if_waiting(after))


# -- follow-up questions -----------------------------------------------------------------


def followups_for(patient: Contact, result: triage.TriageResult) -> list[screening.Question]:
    """Questions of the symptom families a message names (none once it is an emergency)."""
    if result.level is triage.Level.EMERGENCY:
        return []
    return screening.followups(result, patient.age)


def asked_followups(events: Iterable[ContactEvent]) -> dict[str, bool | None]:
    """Follow-up question ids asked of a contact, each with its answer (None:
    open), from its events (oldest first; other kinds are skipped)."""
    out: dict[str, bool | None] = {}
    for event in events:
        if event.kind == "followup_asked":
            for qid in event.data.get("ids", []):
                out.setdefault(str(qid), None)
        elif event.kind == "followup":
            for qid, value in dict(event.data.get("answers", {})).items():
                out[str(qid)] = bool(value)
    return out


def decide_followups(
    patient: Contact,
    questions: Sequence[screening.Question],
    asked: Mapping[str, bool | None],
    now: float,
) -> Plan | None:
    """Ask the questions not asked before (each once per contact)."""
    fresh = [q for q in questions if q.id not in asked]
    if not fresh:
        return None
    frame = wire.FollowupFrame(patient.id, tuple(q.to_dict(patient.lang) for q in fresh))
    return Plan(
        writes=(
            EventWrite(patient.id, "followup_asked", now, None, {"ids": [q.id for q in fresh]}),
        ),
        effects=Effects(sends=(Send("contact", patient.id, frame),)),
    )


def decide_followup_answers(
    contact: Contact | None, answers: Mapping[str, bool], now: float
) -> Refusal | Answered:
    """Any yes raises the level to emergency."""
    unknown = screening.unknown_ids(answers)
    if unknown:
        return Refusal(InvalidInput("invalid_field", f"unknown question id: {unknown[0][:64]}"))
    if contact is None or contact.status == ContactStatus.CLOSED:
        return contact_closed()
    yes = screening.yes_answers(answers)
    event = EventWrite(contact.id, "followup", now, None, {"answers": dict(answers), "yes": yes})
    raise_: LevelWrite | None = None
    if yes and contact.level != triage.Level.EMERGENCY:
        current = triage.TriageResult(
            level=triage.Level(contact.level),
            tags=frozenset(contact.tags),
            reasons=(),
            advice=triage.advice_for(contact.level, contact.lang, tags=contact.tags),
            ruleset_version=triage.RULESET_VERSION,
        )
        result = screening.answered_yes(
            current, answers, contact.lang, prefix=screening.FOLLOWUP_RULE_PREFIX
        )
        raise_ = decide_raise(contact, result, now, reason="followup_answer")
    level = triage.Level.EMERGENCY.value if yes else contact.level
    return Answered(event, raise_, wire.FollowupAckFrame(contact.id, raise_ is not None, level))
