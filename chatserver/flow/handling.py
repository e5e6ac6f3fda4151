"""Messages and staff actions on a contact: the adapter between sockets and storage.

Each method loads what the decision needs, asks the pure core
(:mod:`chatserver.core.decisions`, :mod:`chatserver.core.retriage`), carries
out the write through storage (:meth:`Conversations.apply`) and dispatches the
effects (:meth:`Conversations.dispatch`): the reply goes back to the caller,
participants' other connections get their frames through the
:class:`~chatserver.fanout.local.Fanout`, and changed waiting rooms are
announced to the :class:`~chatserver.flow.waiting.QueueService`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar, assert_never

import triage
from chatserver.core import decisions as decide
from chatserver.core.effects import (
    CloseWrite,
    Effects,
    EventWrite,
    LevelWrite,
    PickWrite,
    Refusal,
    RequeueWrite,
    TransferWrite,
    Write,
)
from chatserver.core.handover import handovers
from chatserver.core.retriage import (
    asked_followups,
    decide_followup_answers,
    decide_followups,
    decide_retriage,
    followups_for,
    may_raise,
    raise_effects,
)
from chatserver.errors import NotFoundError
from chatserver.fanout.local import Fanout
from chatserver.flow.reassess import Reassessments
from chatserver.flow.waiting import QueueService
from chatserver.hooks import ContactNotice, Hooks
from chatserver.metrics import Metrics
from chatserver.storage.base import (
    AppendResult,
    Conflict,
    Contact,
    NewMessage,
    NotAssigned,
    NotFound,
    Storage,
    UnseenMessages,
    User,
)
from chatserver.ws import wire

# Contacts whose asked follow-up questions are remembered (a few hundred bytes each).
ASKED_CACHE_CONTACTS = 10_000


@dataclass(frozen=True, slots=True)
class Staff:
    user: User
    conn_id: str | None = None
    session_hash: str = ""


T = TypeVar("T")


def _refused(decision: Refusal | T) -> T:
    """The decision, or its refusal raised."""
    if isinstance(decision, Refusal):
        raise decision.error
    return decision


class Conversations:
    def __init__(
        self,
        storage: Storage,
        queues: QueueService,
        fanout: Fanout,
        metrics: Metrics,
        clock: Callable[[], float],
        hooks: Hooks | None = None,
    ) -> None:
        self.storage = storage
        self.queues = queues
        self.fanout = fanout
        self.metrics = metrics
        self.clock = clock
        # Who identified contacts are (hooks.identities, read at each pick).
        self.hooks = hooks if hooks is not None else Hooks()
        # contact id -> follow-up question ids known to be asked (:meth:`retriage`)
        self._asked: dict[str, frozenset[str]] = {}
        # Later messages' triage, after the ack, off the sockets' read loops.
        self.reassessments = Reassessments(self.retriage)

    # -- carrying out decisions --------------------------------------------------
    async def apply(self, write: Write) -> Contact | None:
        """Perform one storage write; the contact as committed (None: its
        precondition no longer held, or an event, which returns nothing)."""
        s = self.storage
        match write:
            case PickWrite():
                return await s.pick(
                    list(write.queue_ids),
                    user_id=write.user_id,
                    staff_name=write.staff_name,
                    at=write.at,
                    contact_id=write.contact_id,
                )
            case CloseWrite():
                return await s.close_contact(
                    write.contact.id,
                    outcome=write.outcome,
                    at=write.at,
                    actor_user_id=write.actor_user_id,
                    seen_seq=write.last_seen_seq,
                )
            case TransferWrite():
                return await s.transfer(
                    write.contact.id,
                    queue_id=write.queue_id,
                    priority_tier=write.priority_tier,
                    priority_key=write.priority_key,
                    at=write.at,
                    actor_user_id=write.actor_user_id,
                    note=write.note,
                )
            case RequeueWrite():
                return await s.requeue(
                    write.contact.id,
                    priority_tier=write.priority_tier,
                    priority_key=write.priority_key,
                    at=write.at,
                    reason=write.reason,
                )
            case LevelWrite():
                return await s.set_level(
                    write.contact.id,
                    level=write.level,
                    tags=list(write.tags),
                    priority_key=write.priority_key,
                    at=write.at,
                    actor_user_id=write.actor_user_id,
                    reason=write.reason,
                    added_reasons=list(write.added_reasons),
                )
            case EventWrite():
                await s.add_event(
                    write.contact_id,
                    kind=write.kind,
                    at=write.at,
                    actor_user_id=write.actor_user_id,
                    data=write.data,
                )
                return None
            case _:
                assert_never(write)

    async def commit(self, write: PickWrite | CloseWrite | TransferWrite | LevelWrite) -> Contact:
        """Perform a write that must take effect: its ``lost`` refusal otherwise."""
        after = await self.apply(write)
        if after is None:
            raise write.lost.error
        return after

    async def dispatch(self, effects: Effects) -> wire.ServerFrame | None:
        """Send the frames, announce the changed waiting rooms; the reply."""
        for send in effects.sends:
            await self.fanout.publish(send.to, send.key, send.frame, exclude=send.exclude)
        for change in effects.waiting:
            await self.queues.announce(self.fanout, change.contact, change.unit_id)
        return effects.reply

    # -- lookups -------------------------------------------------------------
    async def contact(self, contact_id: str) -> Contact:
        c = await self.storage.get_contact(contact_id)
        if c is None:
            raise NotFoundError("unknown_contact", "no such contact")
        return c

    async def readable_contact(self, staff: Staff, contact_id: str) -> Contact:
        return _refused(decide.readable(staff.user, await self.storage.get_contact(contact_id)))

    # -- messages ------------------------------------------------------------
    async def patient_message(
        self, patient: Contact, client_id: str, body: str, conn_id: str | None
    ) -> wire.AckFrame:
        """Store and relay a patient message. ``patient`` is the contact as read
        at ``hello`` (its name and id do not change): no read on the hot path."""
        msg = decide.patient_message(patient, client_id, body, self.clock())
        return await self._append(msg, conn_id, None)

    async def staff_message(
        self,
        staff: Staff,
        contact_id: str,
        client_id: str,
        body: str,
        *,
        photo_request: bool = False,
    ) -> wire.AckFrame:
        msg = decide.staff_message(
            staff.user, contact_id, client_id, body, self.clock(), photo_request=photo_request
        )
        return await self._append(msg, staff.conn_id, staff.user)

    async def _append(
        self, msg: NewMessage, conn_id: str | None, user: User | None
    ) -> wire.AckFrame:
        ack, _ = await self.append_with(self.storage.append_message, msg, conn_id, user)
        return ack

    async def append_with(
        self,
        write: Callable[[NewMessage], Awaitable[AppendResult]],
        msg: NewMessage,
        conn_id: str | None,
        user: User | None,
    ) -> tuple[wire.AckFrame, AppendResult]:
        """Store ``msg`` with ``write`` (the plain append, or a photo's append
        with its image: chatserver/attachments) and deliver it like every
        message; the sender's ack and what was stored (the original when
        ``msg`` is a re-send)."""
        try:
            result = await write(msg)
        except (Conflict, NotFound) as exc:
            refusal = decide.append_refusal(exc)
            if user is not None and isinstance(exc, NotAssigned):
                # Refused: find out why, with the same answers as every other action.
                contact = await self.storage.get_contact(msg.contact_id)
                refusal = decide.not_picked(user, contact)
            raise refusal.error from None
        status, assigned = result.status, result.assigned_user_id
        if not result.duplicate:
            self.metrics.messages.labels(result.message.sender).inc()
            if status is None:  # a backend that does not report the state at commit
                current = await self.storage.get_contact(msg.contact_id)
                status = current.status if current else None
                assigned = current.assigned_user_id if current else None
        ack = await self.dispatch(decide.append_effects(result, status, assigned, conn_id))
        assert isinstance(ack, wire.AckFrame)
        if user is not None and not result.duplicate:
            self._notice("message", msg.contact_id)
        return ack, result

    def _notice(self, kind: Literal["picked", "message", "closed"], contact_id: str) -> None:
        """Tell the notifications (hooks.contact_notice) what staff did; never blocks."""
        self.hooks.contact_notice(ContactNotice(kind, contact_id, ""))

    async def history(self, contact_id: str, after_seq: int) -> wire.HistoryFrame:
        msgs = await self.storage.messages_after(contact_id, after_seq)
        return wire.HistoryFrame(contact_id, msgs)

    # -- triage ----------------------------------------------------------------
    async def retriage(self, patient: Contact, body: str) -> None:
        """Every patient message is triaged; a more urgent finding raises the level.

        Called after the ack is on its way, so triage never delays delivery
        (through :attr:`reassessments`, so it does not hold up the socket's
        next frame either).
        A message that names a symptom family that can be an emergency (without
        an emergency finding) gets the family's follow-up questions, each asked
        once per contact. Only a finding more urgent than 'standard' can change
        the level, and only then is the contact read to compare with it.
        """
        result = triage.assess(body, patient.age, patient.lang)
        questions = followups_for(patient, result)
        known = self._asked.get(patient.id, frozenset())
        if any(q.id not in known for q in questions):
            asked = await self.asked_followups(patient.id)
            plan = decide_followups(patient, questions, asked, self.clock())
            if plan is not None:
                for write in plan.writes:
                    await self.apply(write)
                await self.dispatch(plan.effects)
            self._remember_asked(patient.id, {*asked, *(q.id for q in questions)})
        if not may_raise(result):
            return
        contact = await self.storage.get_contact(patient.id)
        raised = decide_retriage(contact, result, self.clock())
        if raised is not None:
            for event in raised.events:
                await self.apply(event)
            await self._raise_level(raised.write)

    def _remember_asked(self, contact_id: str, ids: set[str]) -> None:
        """Follow-up questions known to have been asked of a contact. Asking only
        ever adds, so a copy that lags (another instance asked since) only costs
        a read; without it every message naming a symptom family read the
        contact's events again."""
        asked = self._asked
        asked.pop(contact_id, None)
        if len(asked) >= ASKED_CACHE_CONTACTS:
            del asked[next(iter(asked))]  # the least recently updated
        asked[contact_id] = frozenset(ids)

    async def _raise_level(self, write: LevelWrite) -> None:
        """Store a more urgent level and tell the patient (with advice) and staff;
        dropped (not refused) when the contact was closed meanwhile."""
        updated = await self.apply(write)
        if updated is not None:
            await self.dispatch(raise_effects(write, updated))

    async def asked_followups(self, contact_id: str) -> dict[str, bool | None]:
        """Follow-up question ids asked of this contact, each with its answer (None: open)."""
        return asked_followups(await self.storage.events(contact_id))

    async def followup_answers(
        self, patient: Contact, answers: dict[str, bool]
    ) -> wire.FollowupAckFrame:
        """The patient answered follow-up questions: any yes raises the level to emergency."""
        contact = await self.storage.get_contact(patient.id)
        answered = _refused(decide_followup_answers(contact, answers, self.clock()))
        await self.apply(answered.event)
        if answered.raise_ is not None:
            await self._raise_level(answered.raise_)
        return answered.reply

    # -- presence ------------------------------------------------------------
    async def patient_presence(
        self,
        contact_id: str,
        connected: bool,
        contact: Contact | None = None,
        since: float | None = None,
    ) -> None:
        """Tell the assigned staff member the patient's socket came or went
        (``contact``: as just read, else read here; ``since``: when, else now)."""
        if contact is None:
            contact = await self.storage.get_contact(contact_id)
        at = since if since is not None else self.clock()
        await self.dispatch(decide.patient_presence(contact, connected, at))

    # -- typing --------------------------------------------------------------
    async def patient_typing(self, contact_id: str) -> None:
        await self.dispatch(decide.patient_typing(await self.contact(contact_id)))

    async def staff_typing(self, staff: Staff, contact_id: str) -> None:
        contact = await self.storage.get_contact(contact_id)
        await self.dispatch(_refused(decide.staff_typing(staff.user, contact)))

    # -- staff actions ---------------------------------------------------------
    async def pick(
        self, staff: Staff, queue_ref: str | None, contact_id: str | None
    ) -> wire.ServerFrame | None:
        mine = await self.queues.queues_of_units(staff.user.unit_ids)
        wanted = await self.storage.get_contact(contact_id) if contact_id is not None else None
        now = self.clock()
        write = _refused(decide.decide_pick(staff.user, mine, queue_ref, contact_id, wanted, now))
        picked = await self.commit(write)
        self.queues.record_pick(picked.queue_id, now)
        self._notice("picked", picked.id)
        msgs = await self.storage.messages_after(picked.id, 0)
        # Who the patient is, when identified (one lookup; the delivery is audited
        # with the pick, chatserver/audit/staff_actions.py).
        identity = (await self.hooks.identities.verified([picked.id])).get(picked.id)
        # The notes, transfer notes and screen answers travel with the contact
        # (audited with the pick, as the rest of it).
        handover = handovers(await self.storage.handover_events([picked.id])).get(picked.id)
        return await self.dispatch(
            decide.pick_effects(picked, msgs, staff.user, staff.conn_id, identity, handover)
        )

    async def close(
        self, staff: Staff, contact_id: str, outcome: str, last_seen_seq: int | None = None
    ) -> wire.ServerFrame | None:
        """Close; with ``last_seen_seq`` refused (``unseen_messages``) while the
        patient wrote something newer, which is sent to the staff member first."""
        contact = await self.storage.get_contact(contact_id)
        write = _refused(
            decide.decide_close(
                contact, outcome, self.clock(), by=staff.user, last_seen_seq=last_seen_seq
            )
        )
        try:
            closed = await self.commit(write)
        except UnseenMessages as exc:
            after = last_seen_seq or 0
            unseen = await self.storage.messages_after(contact_id, after)
            refusal, effects = decide.unseen_messages(
                contact_id, exc.newest_seq, unseen, staff.user
            )
            await self.dispatch(effects)
            raise refusal.error from None
        self._notice("closed", closed.id)
        return await self.dispatch(decide.close_effects(write, closed, staff.conn_id))

    async def patient_leave(self, contact_id: str) -> wire.ServerFrame | None:
        contact = await self.storage.get_contact(contact_id)
        write = _refused(decide.decide_close(contact, "patient_left", self.clock(), by=None))
        closed = await self.commit(write)
        self._notice("closed", closed.id)
        return await self.dispatch(decide.close_effects(write, closed, None))

    async def transfer(
        self, staff: Staff, contact_id: str, queue_ref: str, note: str | None
    ) -> wire.ServerFrame | None:
        contact = await self.storage.get_contact(contact_id)
        # Transfers may go to any queue of the user's units.
        mine = await self.queues.queues_of_units(staff.user.unit_ids)
        now = self.clock()
        write = _refused(decide.decide_transfer(staff.user, contact, mine, queue_ref, note, now))
        updated = await self.commit(write)
        return await self.dispatch(decide.transfer_effects(write, updated, staff.conn_id))

    async def requeue_front(self, contact: Contact, reason: str) -> Contact | None:
        """Back into its queue, in its level's place (its staff member vanished); None when
        it was not assigned (any more)."""
        write = decide.decide_requeue(contact, reason, self.clock())
        if isinstance(write, Refusal):
            return None
        updated = await self.apply(write)
        if updated is not None:
            await self.dispatch(decide.requeue_effects(write, updated))
        return updated

    async def note(self, staff: Staff, contact_id: str, body: str) -> wire.ServerFrame | None:
        contact = await self.storage.get_contact(contact_id)
        now = self.clock()
        plan = _refused(decide.decide_note(staff.user, contact, body, now, staff.conn_id))
        for write in plan.writes:
            await self.apply(write)
        return await self.dispatch(plan.effects)

    async def override(
        self, staff: Staff, contact_id: str, level: str, reason: str
    ) -> wire.ServerFrame | None:
        contact = await self.storage.get_contact(contact_id)
        now = self.clock()
        write = _refused(decide.decide_override(staff.user, contact, level, reason, now))
        updated = await self.commit(write)
        return await self.dispatch(
            decide.override_effects(write, updated, staff.user, staff.conn_id)
        )
