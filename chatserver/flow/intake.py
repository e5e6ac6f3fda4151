"""Intake: a patient's first words → triage → a queued contact (or 112 advice).

``POST /api/contacts`` (PROTOCOL.md "Intake"). The patient token is returned
once and stored only as its SHA-256.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

import triage
from chatserver.access.sessions import hash_secret
from chatserver.core.lifecycle import ContactStatus, Transition, allows
from chatserver.core.patient_access import ack_window_over, patient_reasons
from chatserver.core.wait_estimate import Place
from chatserver.core.waiting_room import TIER_FRONT, priority_key, tier_for
from chatserver.errors import InvalidInput, NotFoundError, StateConflict
from chatserver.fanout.local import Fanout
from chatserver.flow.waiting import QueueService
from chatserver.hooks import BindContact, ContactNotice, Hooks
from chatserver.http.params import query_int
from chatserver.metrics import Metrics
from chatserver.storage.base import Contact, NewContact, Storage, Unit
from chatserver.storage.contacts import create_placed
from chatserver.text_hygiene import SAFE_BODY, SAFE_NAME
from triage import screening

MAX_TEXT_CHARS = 2000  # PROTOCOL.md: "text": 1..2000 chars
MAX_NAME_CHARS = 100
MAX_AGE = 120

WouldOtherwise = Literal["physical_visit", "phone", "video", "self_care", "unknown"]


class IntakeRequest(BaseModel):
    model_config = ConfigDict(frozen=True, strict=True, extra="ignore")

    unit_id: Annotated[str, Field(min_length=1, max_length=64)]
    lang: Literal["sv", "en"] = "sv"
    age: Annotated[int, Field(ge=0, le=120)]
    # No control characters, bidi overrides removed, something visible
    # (chatserver/text_hygiene.py): 422 invalid_field naming the field.
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS), SAFE_NAME]
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), SAFE_BODY]
    would_otherwise: WouldOtherwise = "unknown"
    acknowledge_emergency: bool = False
    contact_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    # Contract v1.1: the red-flag screen, question id -> yes/no.
    answers: Annotated[dict[str, bool], Field(max_length=64)] | None = None
    # Extension: a Swedish mobile number for the "your turn" SMS, checked and
    # kept by the notify feature (hooks.intake_extras); ignored without a gateway.
    phone: Annotated[str, Field(max_length=32)] | None = None


def parse_intake(data: Any) -> IntakeRequest:
    if not isinstance(data, dict):
        raise InvalidInput("invalid_body", "the body must be a JSON object")
    try:
        req = IntakeRequest.model_validate(data)
    except ValidationError as exc:
        fields = {
            ".".join(str(p) for p in e["loc"]) or "body": e["msg"]
            for e in exc.errors(include_url=False, include_input=False)
        }
        raise InvalidInput(
            "invalid_field", "a field is missing or invalid", fields=fields
        ) from None
    if not req.text.strip():
        raise InvalidInput("invalid_field", "text is empty", fields={"text": "empty"})
    if not req.name.strip():
        raise InvalidInput("invalid_field", "name is empty", fields={"name": "empty"})
    unknown = screening.unknown_ids(req.answers or {})
    if unknown:
        raise InvalidInput(
            "unknown_question",
            "answers name a question that does not exist",
            fields={f"answers.{qid[:64]}": "unknown question id" for qid in unknown[:10]},
        )
    return req


def parse_questions_query(params: Mapping[str, str]) -> tuple[str, int]:
    """`lang` (sv|en, default sv) and `age` (0..120, required) of GET /api/intake/questions."""
    lang = params.get("lang", "sv")
    if lang not in ("sv", "en"):
        raise InvalidInput("invalid_field", "lang must be sv or en", fields={"lang": "sv or en"})
    return lang, query_int(params, "age", low=0, high=MAX_AGE)


def questions_body(lang: str, age: int) -> dict[str, Any]:
    """The body of GET /api/intake/questions: the screen for that age, in that language."""
    return {"questions": [q.to_dict(lang) for q in screening.screen(age)]}


def followup_body(result: triage.TriageResult, age: int, lang: str) -> list[dict[str, str]]:
    """Follow-up questions for a queued contact whose text names an emergency family."""
    return [q.to_dict(lang) for q in screening.followups(result, age)]


async def unit_of(storage: Storage, req: IntakeRequest) -> Unit:
    """The unit an intake names, or 404 ``unknown_unit``."""
    unit = await storage.get_unit(req.unit_id)
    if unit is None:
        raise NotFoundError("unknown_unit", "no such care unit")
    return unit


def refused_intake_safety(req: IntakeRequest) -> dict[str, Any]:
    """What a refused intake (``identification_required``) still tells the patient:
    where to turn, and when the words or the screen's answers name an emergency,
    the triage and the 112 advice, so that asking for a sign-in never silences a
    red flag. Pure: nothing is stored or counted."""
    result = triage.assess(req.text, req.age, req.lang)
    if req.answers:
        result = screening.answered_yes(
            result, req.answers, req.lang, prefix=screening.SCREEN_RULE_PREFIX
        )
    out: dict[str, Any] = {"alternatives": ALTERNATIVES}
    if result.level is triage.Level.EMERGENCY:
        out["triage"] = {
            "level": result.level.value,
            "tags": sorted(result.tags),
            "reasons": patient_reasons(r.to_dict() for r in result.reasons),
        }
        out["advice"] = result.advice.to_dict()
    return out


def triage_events(
    req: IntakeRequest, result: triage.TriageResult
) -> list[tuple[str, dict[str, Any]]]:
    """The contact events of an intake's triage, as (kind, data): the screen's
    answers, and a raise by the safety net (both counted in statistics)."""
    events: list[tuple[str, dict[str, Any]]] = []
    if req.answers is not None:
        yes = screening.yes_answers(req.answers)
        events.append(("screening", {"answers": dict(req.answers), "yes": yes}))
    raised = [r for r in result.reasons if r.model is not None]
    if raised and not any(
        r.rule_id.startswith(screening.SCREEN_RULE_PREFIX) for r in result.reasons
    ):
        events.append(
            (
                "model_raise",
                {
                    "level": raised[0].level.value,
                    "model": raised[0].model,
                    "probability": raised[0].probability,
                },
            )
        )
    return events


def triage_body(c: Contact) -> dict[str, Any]:
    """The patient-facing triage: level, tags and the reasons without quotes."""
    return {"level": c.level, "tags": list(c.tags), "reasons": patient_reasons(c.reasons)}


class IntakeService:
    def __init__(
        self,
        storage: Storage,
        queues: QueueService,
        fanout: Fanout,
        metrics: Metrics,
        clock: Callable[[], float],
        hooks: Hooks,
        *,
        ack_window_s: float = 30 * 60,
    ) -> None:
        self.storage = storage
        self.queues = queues
        self.fanout = fanout
        self.metrics = metrics
        self.clock = clock
        # hooks.opening raises StateConflict('unit_closed') outside opening hours.
        self.hooks = hooks
        # Seconds after the emergency answer during which it may be acknowledged.
        self.ack_window_s = ack_window_s

    async def intake(
        self, req: IntakeRequest, unit: Unit, bind: BindContact | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Returns (HTTP status, body). ``unit``: the unit ``req.unit_id`` names
        (the caller has read it, see :func:`unit_of`). ``bind``: how to bind a new
        contact to the person making it (identified intake), done before the
        contact is announced so that staff see it identified from its first queue
        push."""
        now = self.clock()
        self.hooks.opening.gate(unit, now)
        if req.contact_id is not None and req.acknowledge_emergency:
            return await self._acknowledge(req, unit, now)

        result = triage.assess(req.text, req.age, req.lang)
        if req.answers:
            result = screening.answered_yes(
                result, req.answers, req.lang, prefix=screening.SCREEN_RULE_PREFIX
            )
        level = result.level.value
        self.metrics.intakes.labels(level).inc()
        queue_id = f"{unit.id}:nurse"
        queue = await self.queues.queue(queue_id)
        if queue is None:
            raise NotFoundError("unknown_queue", "the unit has no nurse queue")
        emergency = result.level is triage.Level.EMERGENCY
        advised = emergency and not req.acknowledge_emergency
        if not advised:
            await self._check_capacity(queue_id, queue.max_waiting)
        # An emergency acknowledged already on first submission is queued at once.
        token = None if advised else secrets.token_urlsafe(32)
        questions = [] if advised else followup_body(result, req.age, req.lang)
        # Written with the contact, in its transaction: one commit per intake.
        events = triage_events(req, result)
        if questions:
            events.append(("followup_asked", {"ids": [q["id"] for q in questions]}))
        # The place in line is counted in the same write (no read after it).
        contact, position = await self.storage.write(
            create_placed(
                NewContact(
                    id=secrets.token_hex(16),
                    unit_id=unit.id,
                    queue_id=queue_id,
                    status=ContactStatus.EMERGENCY_ADVISED if advised else ContactStatus.QUEUED,
                    level=level,
                    tags=tuple(sorted(result.tags)),
                    reasons=tuple(r.to_dict() for r in result.reasons),
                    red_flag=emergency,
                    emergency_acknowledged=emergency and not advised,
                    lang=req.lang,
                    age=req.age,
                    name=req.name,
                    text=req.text,
                    would_otherwise=req.would_otherwise,
                    patient_token_hash=hash_secret(token) if token else None,
                    created_at=now,
                    priority_tier=tier_for(level, red_flag=emergency),
                    priority_key=None if advised else priority_key(level, now),
                    events=tuple(events),
                )
            )
        )
        if bind is not None:
            await bind(contact.id)
        if token is None:
            return 200, {
                "contact_id": contact.id,
                "status": "emergency",
                "triage": triage_body(contact),
                "advice": result.advice.to_dict(),
            }
        place = await self.queues.place_at(contact, position)
        body = await self._queued_body(contact, token, result.advice.to_dict(), place)
        if questions:
            body["followup"] = {"questions": questions}
        return 201, body

    async def _acknowledge(
        self, req: IntakeRequest, unit: Unit, now: float
    ) -> tuple[int, dict[str, Any]]:
        assert req.contact_id is not None
        existing = await self.storage.get_contact(req.contact_id)
        if existing is None or existing.unit_id != unit.id:
            raise NotFoundError("unknown_contact", "no such contact")
        if not allows(existing.status, Transition.ACKNOWLEDGE):
            raise StateConflict("already_acknowledged", "this contact is already queued or closed")
        # The emergency answer was given when the contact was made (never queued since).
        if ack_window_over(existing.created_at, now, self.ack_window_s):
            raise StateConflict(
                "acknowledgement_expired",
                "the emergency answer is too old to acknowledge; start a new chat",
            )
        token = secrets.token_urlsafe(32)
        contact = await self.storage.acknowledge_emergency(
            existing.id,
            patient_token_hash=hash_secret(token),
            priority_tier=TIER_FRONT,
            priority_key=priority_key(existing.level, now),
            at=now,
        )
        if contact is None:
            raise StateConflict("already_acknowledged", "this contact is already queued or closed")
        advice = triage.advice_for(contact.level, contact.lang, tags=contact.tags).to_dict()
        place = await self.queues.position_of(contact)
        return 201, await self._queued_body(contact, token, advice, place)

    async def _check_capacity(self, queue_id: str, max_waiting: int | None) -> None:
        if max_waiting is not None and await self.storage.count_waiting(queue_id) >= max_waiting:
            raise StateConflict(
                "queue_full",
                "the chat queue is full right now",
                extra={"alternatives": ALTERNATIVES},
            )

    async def _queued_body(
        self, contact: Contact, token: str, advice: dict[str, Any], pos: Place | None
    ) -> dict[str, Any]:
        await self.queues.announce(self.fanout, contact)
        # Staff away are told of a red-flag arrival (chatserver/notify).
        self.hooks.contact_notice(
            ContactNotice("queued", contact.id, contact.unit_id, contact.level, contact.red_flag)
        )
        return {
            "contact_id": contact.id,
            "status": ContactStatus.QUEUED,
            "patient_token": token,
            "triage": triage_body(contact),
            "queue": (pos or Place(1, 0)).to_dict(),
            "advice": advice,
        }


# Where to turn when the chat cannot take the contact (unit closed, queue full).
ALTERNATIVES: list[dict[str, str]] = [
    {
        "phone": "112",
        "sv": "Ring 112 vid livshotande tillstånd.",
        "en": "Call 112 in a life-threatening emergency.",
    },
    {
        "phone": "1177",
        "sv": "Ring 1177 för sjukvårdsrådgivning dygnet runt.",
        "en": "Call 1177 for medical advice, day and night.",
    },
]
