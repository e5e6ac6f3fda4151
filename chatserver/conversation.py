"""Messages and staff actions on a contact: the service between sockets and storage.

Each method checks access (:mod:`chatserver.access`) and the life cycle
(:mod:`chatserver.core.lifecycle`), performs one conditional storage write, and
fans the result out. It returns the frame for the caller; participants' other
connections get theirs through the :class:`~chatserver.fanout.Fanout`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import triage
from chatserver import access
from chatserver.core.lifecycle import InvalidTransition, Transition, next_status
from chatserver.core.waiting_room import TIER_FRONT, priority_key, tier_for
from chatserver.errors import Forbidden, InvalidInput, NotFoundError, StateConflict
from chatserver.fanout import Fanout
from chatserver.metrics import Metrics
from chatserver.queue_service import QueueService
from chatserver.storage.base import (
    Conflict,
    Contact,
    NewMessage,
    NotAssigned,
    NotFound,
    Queue,
    Storage,
    User,
)
from chatserver.wire import contact_dict, message_dict, messages_list
from triage import screening

LEVEL_RANK = {"emergency": 0, "urgent": 1, "standard": 2, "non_urgent": 3}


@dataclass(frozen=True, slots=True)
class Staff:
    user: User
    conn_id: str | None = None
    session_hash: str = ""


class Conversations:
    def __init__(
        self,
        storage: Storage,
        queues: QueueService,
        fanout: Fanout,
        metrics: Metrics,
        clock: Callable[[], float],
    ) -> None:
        self.storage = storage
        self.queues = queues
        self.fanout = fanout
        self.metrics = metrics
        self.clock = clock

    # -- lookups -------------------------------------------------------------
    async def contact(self, contact_id: str) -> Contact:
        c = await self.storage.get_contact(contact_id)
        if c is None:
            raise NotFoundError("unknown_contact", "no such contact")
        return c

    async def readable_contact(self, staff: Staff, contact_id: str) -> Contact:
        c = await self.storage.get_contact(contact_id)
        # Same answer for "does not exist" and "not yours": no probing other units.
        if c is None or not access.can_read_contact(staff.user, c):
            raise NotFoundError("unknown_contact", "no such contact")
        return c

    async def actionable_contact(self, staff: Staff, contact_id: str) -> Contact:
        c = await self.readable_contact(staff, contact_id)
        if c.status == "closed":
            raise StateConflict("contact_closed", "the contact is closed")
        if not access.can_act_on_contact(staff.user, c):
            raise Forbidden("not_assigned", "the contact is assigned to someone else")
        return c

    # -- messages ------------------------------------------------------------
    async def patient_message(
        self, patient: Contact, client_id: str, body: str, conn_id: str | None
    ) -> dict[str, Any]:
        """Store and relay a patient message. ``patient`` is the contact as read
        at ``hello`` (its name and id do not change): no read on the hot path."""
        msg = NewMessage(
            contact_id=patient.id,
            sender="patient",
            sender_key=f"p:{patient.id}",
            sender_name=patient.name,
            client_id=client_id,
            body=body,
            sent_at=self.clock(),
        )
        return await self._append(msg, conn_id)

    async def staff_message(
        self, staff: Staff, contact_id: str, client_id: str, body: str
    ) -> dict[str, Any]:
        msg = NewMessage(
            contact_id=contact_id,
            sender="staff",
            sender_key=f"s:{staff.user.id}",
            sender_name=staff.user.display_name,
            client_id=client_id,
            body=body,
            sent_at=self.clock(),
            # Assignment is checked inside the write: no read on the hot path.
            require_assigned_user=staff.user.id,
        )
        try:
            return await self._append(msg, staff.conn_id)
        except StateConflict as exc:
            if exc.code != "not_assigned":
                raise
            # Refused: find out why, with the same answers as every other action
            # (unknown_contact, contact_closed, not_assigned).
            await self.actionable_contact(staff, contact_id)
            raise Forbidden("not_assigned", "pick the contact before writing to it") from None

    async def _append(self, msg: NewMessage, conn_id: str | None) -> dict[str, Any]:
        try:
            result = await self.storage.append_message(msg)
        except NotAssigned:
            raise StateConflict("not_assigned", "the contact is not assigned to you") from None
        except Conflict:
            raise StateConflict("contact_closed", "the contact is closed") from None
        except NotFound:
            raise NotFoundError("unknown_contact", "no such contact") from None
        m = result.message
        ack: dict[str, Any] = {
            "type": "ack",
            "client_id": m.client_id,
            "contact_id": m.contact_id,
            "seq": m.seq,
        }
        if result.duplicate:
            ack["duplicate"] = True
            return ack
        self.metrics.messages.labels(m.sender).inc()
        frame = message_dict(m)
        # Route by the state at commit: a pick that committed before this
        # message sees it in its own history read, one after it gets it live.
        status, assigned = result.status, result.assigned_user_id
        if status is None:  # a backend that does not report it
            current = await self.storage.get_contact(m.contact_id)
            status = current.status if current else None
            assigned = current.assigned_user_id if current else None
        await self.fanout.publish("contact", m.contact_id, frame, exclude=conn_id)
        if assigned is not None and status == "assigned":
            await self.fanout.publish("user", assigned, frame, exclude=conn_id)
        return ack

    async def retriage(self, patient: Contact, body: str) -> None:
        """Every patient message is triaged; a more urgent finding raises the level.

        Called after the ack is on its way, so triage never delays delivery.
        A message that names a symptom family that can be an emergency (without
        an emergency finding) gets the family's follow-up questions, each asked
        once per contact. Only a finding more urgent than 'standard' can change
        the level, and only then is the contact read to compare with it.
        """
        result = triage.assess(body, patient.age, patient.lang)
        if result.level is not triage.Level.EMERGENCY:
            await self._ask_followups(patient, result)
        new_level = result.level.value
        if LEVEL_RANK[new_level] >= LEVEL_RANK["standard"]:
            return
        contact = await self.storage.get_contact(patient.id)
        if contact is None or contact.status == "closed":
            return
        if LEVEL_RANK[new_level] >= LEVEL_RANK.get(contact.level, 3):
            return
        raised = [r for r in result.reasons if r.model is not None]
        if raised:
            await self.storage.add_event(
                contact.id,
                kind="model_raise",
                at=self.clock(),
                actor_user_id=None,
                data={
                    "level": new_level,
                    "model": raised[0].model,
                    "probability": raised[0].probability,
                },
            )
        await self._raise_level(contact, result, reason="patient_message")

    async def _raise_level(
        self, contact: Contact, result: triage.TriageResult, *, reason: str
    ) -> None:
        """Store a more urgent level and tell the patient (with advice) and staff."""
        now = self.clock()
        new_level = result.level.value
        tags = sorted(set(contact.tags) | set(result.tags))
        updated = await self.storage.set_level(
            contact.id,
            level=new_level,
            tags=tags,
            priority_key=priority_key(new_level, contact.queued_at or now),
            at=now,
            actor_user_id=None,
            reason=reason,
            added_reasons=[r.to_dict() for r in result.reasons],
        )
        if updated is None:
            return
        notice = {
            "type": "triage",
            "contact_id": contact.id,
            "level": new_level,
            "tags": tags,
            "reasons": [r.to_dict() for r in result.reasons],
        }
        advice = triage.advice_for(new_level, contact.lang, tags=tags)
        patient_notice = {**notice, "advice": advice.to_dict()}
        await self.fanout.publish("contact", contact.id, patient_notice)
        if updated.assigned_user_id is not None:
            await self.fanout.publish("user", updated.assigned_user_id, notice)
        if updated.status == "queued":
            await self.queues.announce(self.fanout, updated)

    async def _ask_followups(self, patient: Contact, result: triage.TriageResult) -> None:
        """Push the follow-up questions of the families a message names, each asked once."""
        questions = screening.followups(result, patient.age)
        if not questions:
            return
        asked = await self.asked_followups(patient.id)
        fresh = [q for q in questions if q.id not in asked]
        if not fresh:
            return
        await self.storage.add_event(
            patient.id,
            kind="followup_asked",
            at=self.clock(),
            actor_user_id=None,
            data={"ids": [q.id for q in fresh]},
        )
        frame = {
            "type": "followup",
            "contact_id": patient.id,
            "questions": [q.to_dict(patient.lang) for q in fresh],
        }
        await self.fanout.publish("contact", patient.id, frame)

    async def asked_followups(self, contact_id: str) -> dict[str, bool | None]:
        """Follow-up question ids asked of this contact, each with its answer (None: open)."""
        out: dict[str, bool | None] = {}
        for event in await self.storage.events(contact_id):
            if event.kind == "followup_asked":
                for qid in event.data.get("ids", []):
                    out.setdefault(str(qid), None)
            elif event.kind == "followup":
                for qid, value in dict(event.data.get("answers", {})).items():
                    out[str(qid)] = bool(value)
        return out

    async def followup_answers(self, patient: Contact, answers: dict[str, bool]) -> dict[str, Any]:
        """The patient answered follow-up questions: any yes raises the level to emergency."""
        unknown = screening.unknown_ids(answers)
        if unknown:
            raise InvalidInput("invalid_field", f"unknown question id: {unknown[0][:64]}")
        contact = await self.storage.get_contact(patient.id)
        if contact is None or contact.status == "closed":
            raise StateConflict("contact_closed", "the contact is closed")
        yes = screening.yes_answers(answers)
        await self.storage.add_event(
            contact.id,
            kind="followup",
            at=self.clock(),
            actor_user_id=None,
            data={"answers": dict(answers), "yes": yes},
        )
        raised = bool(yes) and contact.level != "emergency"
        if raised:
            current = triage.TriageResult(
                level=triage.Level(contact.level),
                tags=frozenset(contact.tags),
                reasons=(),
                advice=triage.advice_for(contact.level, contact.lang, tags=contact.tags),
                ruleset_version=triage.RULESET_VERSION,
            )
            result = screening.answered_yes(
                current,
                answers,
                contact.lang,
                prefix=screening.FOLLOWUP_RULE_PREFIX,
            )
            await self._raise_level(contact, result, reason="followup_answer")
        return {
            "type": "followup_ack",
            "contact_id": contact.id,
            "raised": raised,
            "level": "emergency" if yes else contact.level,
        }

    async def history(self, contact_id: str, after_seq: int) -> dict[str, Any]:
        msgs = await self.storage.messages_after(contact_id, after_seq)
        return {"type": "history", "contact_id": contact_id, "messages": messages_list(msgs)}

    # -- typing --------------------------------------------------------------
    async def patient_typing(self, contact_id: str) -> None:
        contact = await self.contact(contact_id)
        if contact.status == "assigned" and contact.assigned_user_id is not None:
            frame = {"type": "typing", "contact_id": contact_id, "sender": "patient"}
            await self.fanout.publish("user", contact.assigned_user_id, frame)

    async def staff_typing(self, staff: Staff, contact_id: str) -> None:
        contact = await self.actionable_contact(staff, contact_id)
        if contact.status == "assigned":
            frame = {
                "type": "typing",
                "contact_id": contact_id,
                "sender": "staff",
                "sender_name": staff.user.display_name,
            }
            await self.fanout.publish("contact", contact_id, frame)

    # -- staff actions ---------------------------------------------------------
    async def pick(
        self, staff: Staff, queue_ref: str | None, contact_id: str | None
    ) -> dict[str, Any]:
        if not access.is_clinical(staff.user):
            raise Forbidden("forbidden", "only nurses and doctors pick contacts")
        mine = await self.queues.queues_of_units(staff.user.unit_ids)
        if queue_ref is not None:
            q = self.resolve_queue(queue_ref, mine, staff.user.unit_ids)
            queue_ids = [q]
        else:
            queue_ids = [q.id for q in mine]
        if contact_id is not None:
            c = await self.storage.get_contact(contact_id)
            if c is None or not access.can_read_contact(staff.user, c):
                raise NotFoundError("unknown_contact", "no such contact")
            if c.status != "queued":
                raise StateConflict("not_waiting", "the contact is no longer waiting")
            if queue_ref is None:
                queue_ids = [c.queue_id]
        now = self.clock()
        contact = await self.storage.pick(
            queue_ids,
            user_id=staff.user.id,
            staff_name=staff.user.display_name,
            at=now,
            contact_id=contact_id,
        )
        if contact is None:
            if contact_id is not None:
                raise StateConflict("not_waiting", "the contact is no longer waiting")
            raise StateConflict("queue_empty", "nobody is waiting")
        self.queues.record_pick(contact.queue_id, now)
        msgs = await self.storage.messages_after(contact.id, 0)
        assigned = {
            "type": "assigned",
            "contact": contact_dict(contact),
            "messages": messages_list(msgs),
        }
        await self.fanout.publish(
            "contact",
            contact.id,
            {"type": "assigned", "contact_id": contact.id, "staff_name": staff.user.display_name},
        )
        # The user's other tabs learn about it too.
        await self.fanout.publish("user", staff.user.id, assigned, exclude=staff.conn_id)
        await self.queues.announce(self.fanout, contact)
        return assigned

    def resolve_queue(self, ref: str, mine: list[Queue], unit_ids: tuple[str, ...]) -> str:
        """A queue id, or a bare competence ('nurse') within the first of ``unit_ids``."""
        home = unit_ids[0] if unit_ids else None
        for q in mine:
            if q.id == ref or (q.competence == ref and q.unit_id == home):
                return q.id
        raise NotFoundError("unknown_queue", "no such queue")

    async def close(self, staff: Staff, contact_id: str, outcome: str) -> dict[str, Any]:
        contact = await self.readable_contact(staff, contact_id)
        if contact.status == "closed":
            raise StateConflict("contact_closed", "the contact is already closed")
        if not access.can_act_on_contact(staff.user, contact):
            raise Forbidden("not_assigned", "the contact is assigned to someone else")
        return await self._close(contact, outcome, staff.user.id, staff.conn_id)

    async def patient_leave(self, contact_id: str) -> dict[str, Any]:
        contact = await self.contact(contact_id)
        if contact.status == "closed":
            raise StateConflict("contact_closed", "the contact is already closed")
        return await self._close(contact, "patient_left", None)

    async def _close(
        self, contact: Contact, outcome: str, actor: int | None, conn_id: str | None = None
    ) -> dict[str, Any]:
        try:
            next_status(contact.status, Transition.CLOSE)
        except InvalidTransition:
            raise StateConflict("contact_closed", "the contact is already closed") from None
        closed = await self.storage.close_contact(
            contact.id, outcome=outcome, at=self.clock(), actor_user_id=actor
        )
        if closed is None:
            raise StateConflict("contact_closed", "the contact is already closed")
        frame = {"type": "closed", "contact_id": contact.id, "outcome": outcome}
        await self.fanout.publish("contact", contact.id, frame)
        if contact.assigned_user_id is not None:
            await self.fanout.publish("user", contact.assigned_user_id, frame, exclude=conn_id)
        if actor is not None and actor != contact.assigned_user_id:
            await self.fanout.publish("user", actor, frame, exclude=conn_id)
        if contact.status == "queued":
            await self.queues.announce(self.fanout, closed)
        return frame

    async def transfer(
        self, staff: Staff, contact_id: str, queue_ref: str, note: str | None
    ) -> dict[str, Any]:
        contact = await self.actionable_contact(staff, contact_id)
        # Transfers may go to any queue of the user's units.
        mine = await self.queues.queues_of_units(staff.user.unit_ids)
        target = self.resolve_queue(queue_ref, mine, (contact.unit_id,))
        next_status(contact.status, Transition.TRANSFER)
        now = self.clock()
        enqueued = contact.queued_at or now
        updated = await self.storage.transfer(
            contact.id,
            queue_id=target,
            # The contact keeps its place in time: it does not start waiting anew.
            priority_tier=tier_for(contact.level, red_flag=contact.red_flag),
            priority_key=priority_key(contact.level, enqueued),
            at=now,
            actor_user_id=staff.user.id,
            note=note,
        )
        if updated is None:
            raise StateConflict("contact_closed", "the contact is closed")
        frame = {"type": "transferred", "contact_id": contact.id, "queue": target}
        await self.fanout.publish("contact", contact.id, frame)
        await self.fanout.publish("user", staff.user.id, frame, exclude=staff.conn_id)
        await self.queues.announce(self.fanout, updated, contact.unit_id)
        if updated.unit_id != contact.unit_id:
            await self.queues.announce(self.fanout, updated)
        return frame

    async def requeue_front(self, contact: Contact, reason: str) -> Contact | None:
        """Back to the front of its queue (its staff member vanished)."""
        now = self.clock()
        updated = await self.storage.requeue(
            contact.id,
            priority_tier=TIER_FRONT,
            priority_key=priority_key(contact.level, contact.queued_at or now),
            at=now,
            reason=reason,
        )
        if updated is not None:
            await self.fanout.publish(
                "contact",
                contact.id,
                {"type": "transferred", "contact_id": contact.id, "queue": contact.queue_id},
            )
            await self.queues.announce(self.fanout, updated)
        return updated

    async def note(self, staff: Staff, contact_id: str, body: str) -> dict[str, Any]:
        contact = await self.actionable_contact(staff, contact_id)
        now = self.clock()
        await self.storage.add_event(
            contact.id, kind="note", at=now, actor_user_id=staff.user.id, data={"body": body}
        )
        frame = {
            "type": "note",
            "contact_id": contact.id,
            "body": body,
            "author": staff.user.display_name,
            "at": now,
        }
        await self.fanout.publish("user", staff.user.id, frame, exclude=staff.conn_id)
        return frame

    async def override(
        self, staff: Staff, contact_id: str, level: str, reason: str
    ) -> dict[str, Any]:
        contact = await self.actionable_contact(staff, contact_id)
        now = self.clock()
        updated = await self.storage.set_level(
            contact.id,
            level=level,
            tags=list(contact.tags),
            priority_key=priority_key(level, contact.queued_at or now),
            at=now,
            actor_user_id=staff.user.id,
            reason=reason,
        )
        if updated is None:
            raise StateConflict("contact_closed", "the contact is closed")
        frame = {
            "type": "triage",
            "contact_id": contact.id,
            "level": level,
            "previous_level": contact.level,
            "tags": list(updated.tags),
            "by": staff.user.display_name,
        }
        await self.fanout.publish("user", staff.user.id, frame, exclude=staff.conn_id)
        if updated.status == "queued":
            await self.queues.announce(self.fanout, updated)
        return frame
