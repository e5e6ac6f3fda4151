"""Patient satisfaction after a chat: one answer (1–5, optional comment) per contact.

``POST /api/contacts/survey`` with the patient token in the JSON body
(``"token"``) or an ``Authorization: Bearer`` header — never in the URL, so it
stays out of access logs. Statistics count answers with :func:`summary`
(mean rating and response rate per unit and period).

The table (migration 0003) is self-contained, so the SQL lives here in
:class:`SurveyStore`, whose plans run on either engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver.access.sessions import hash_secret
from chatserver.contract.spec import PATIENT_TOKEN, STAFF, Operation, operation
from chatserver.core.patient_access import token_expired
from chatserver.errors import InvalidInput, NotFoundError, StateConflict, Unauthenticated
from chatserver.http.params import EPOCH_PATTERN, json_int, parse_epoch
from chatserver.http.util import json_response, read_json_object
from chatserver.storage.plan import Database, Plan, count, one
from chatserver.text_hygiene import checked

if TYPE_CHECKING:
    from chatserver.state import AppState

# A comment is a sentence or two of feedback; 1,000 characters leaves room
# without turning the survey into a second chat.
MAX_COMMENT_CHARS = 1000
# Tokens are token_urlsafe(32) (43 chars); anything far longer is not ours.
MAX_TOKEN_CHARS = 256


class SurveyBody(BaseModel):
    """``POST /api/contacts/survey`` (parsed by ``_parse``: ``json_int`` and
    the text checks; the token may come as ``Authorization: Bearer``)."""

    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, Field(max_length=MAX_COMMENT_CHARS)] | None = None
    token: Annotated[str, Field(min_length=1, max_length=MAX_TOKEN_CHARS)] | None = None


class SurveyAnswered(BaseModel):
    contact_id: str
    rating: int


class SummaryQuery(BaseModel):
    unit: Annotated[str, Field(max_length=64)]
    start: Annotated[str | None, Field(alias="from", pattern=EPOCH_PATTERN)] = None
    end: Annotated[str | None, Field(alias="to", pattern=EPOCH_PATTERN)] = None


class SummaryOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    unit_id: str
    responses: int
    eligible: int
    mean_rating: float | None
    response_rate: float | None


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    contact_id: str
    unit_id: str
    rating: int
    comment: str | None
    answered_at: float


@dataclass(frozen=True, slots=True)
class SurveySummary:
    """Answers of one unit in ``[start, end)``; ``eligible`` = chats closed then
    that reached a queue (only those patients were asked)."""

    unit_id: str
    responses: int
    eligible: int
    mean_rating: float | None
    response_rate: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id,
            "responses": self.responses,
            "eligible": self.eligible,
            "mean_rating": self.mean_rating,
            "response_rate": self.response_rate,
        }


class SurveyStore:
    """The ``survey_answers`` table on either engine (a :class:`Database`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, answer: SurveyAnswer) -> bool:
        """Store the answer; False when the contact already has one."""
        return await self.db.write(_add(answer))

    async def get(self, contact_id: str) -> SurveyAnswer | None:
        return await self.db.read(_get(contact_id))

    async def summary(self, unit_id: str, start: float, end: float) -> SurveySummary:
        return await self.db.read(_summary(unit_id, start, end))


async def summary(storage: Database, unit_id: str, start: float, end: float) -> SurveySummary:
    """Mean rating and response rate of ``unit_id`` for chats closed in ``[start, end)``."""
    return await SurveyStore(storage).summary(unit_id, start, end)


def _add(answer: SurveyAnswer) -> Plan[bool]:
    n = yield count(
        "INSERT INTO survey_answers (contact_id, unit_id, rating, comment, answered_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (contact_id) DO NOTHING",
        answer.contact_id,
        answer.unit_id,
        answer.rating,
        answer.comment,
        answer.answered_at,
    )
    return bool(n == 1)


def _get(contact_id: str) -> Plan[SurveyAnswer | None]:
    row = yield one(
        "SELECT contact_id, unit_id, rating, comment, answered_at FROM survey_answers"
        " WHERE contact_id = ?",
        contact_id,
    )
    return None if row is None else SurveyAnswer(*row)


def _summary(unit_id: str, start: float, end: float) -> Plan[SurveySummary]:
    # Answers and eligible chats are both counted by the chat's close time,
    # so the rate compares like with like even when an answer comes later.
    row = yield one(
        "SELECT COUNT(*), COUNT(s.contact_id), AVG(s.rating)"
        " FROM contacts AS k LEFT JOIN survey_answers AS s ON s.contact_id = k.id"
        " WHERE k.unit_id = ? AND k.status = 'closed' AND k.queued_at IS NOT NULL"
        " AND k.closed_at >= ? AND k.closed_at < ?",
        unit_id,
        start,
        end,
    )
    # AVG is a float on SQLite, a numeric (Decimal) on PostgreSQL.
    eligible, responses, mean = int(row[0]), int(row[1]), row[2]
    return SurveySummary(
        unit_id=unit_id,
        responses=responses,
        eligible=eligible,
        mean_rating=None if mean is None else round(float(mean), 2),
        response_rate=round(responses / eligible, 4) if eligible else 0.0,
    )


def _token(request: Request, data: dict[str, Any]) -> str:
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else data.get("token")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise Unauthenticated("not_authenticated", "the chat's token is missing or wrong")
    return token


def parse_answer(data: dict[str, Any]) -> tuple[int, str | None]:
    """``rating`` 1..5 (an integer, not a bool) and an optional ``comment``."""
    rating = json_int(data.get("rating"), "rating", low=1, high=5)
    comment = data.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise InvalidInput("invalid_field", "comment must be text", fields={"comment": "string"})
    if comment is not None and len(comment) > MAX_COMMENT_CHARS:
        raise InvalidInput(
            "invalid_field", "comment is too long", fields={"comment": f"max {MAX_COMMENT_CHARS}"}
        )
    comment = comment.strip() if comment else None
    if comment:
        # No control characters, no bidi overrides; blank means no comment.
        comment = checked(comment, "comment", multiline=True)
    return rating, comment or None


@operation(
    Operation(
        "The patient's rating of a closed chat (token in the body or as Bearer)",
        PATIENT_TOKEN,
        "survey",
        {201: SurveyAnswered},
        errors={409: ("already_answered", "contact_open")},
        body=SurveyBody,
        extension=True,
    )
)
async def answer(request: Request) -> Response:
    state: AppState = request.app.state.chat
    data = await read_json_object(request)
    token = _token(request, data)
    rating, comment = parse_answer(data)
    contact = await state.storage.get_contact_by_token_hash(hash_secret(token))
    after_close_s = state.settings.patient_token_after_close_s
    if contact is None or token_expired(contact, state.clock(), after_close_s):
        raise Unauthenticated("not_authenticated", "the chat's token is missing or wrong")
    if contact.status != "closed":
        raise StateConflict("contact_open", "the chat is still open; answer after it is closed")
    stored = await SurveyStore(state.storage).add(
        SurveyAnswer(contact.id, contact.unit_id, rating, comment, state.clock())
    )
    if not stored:
        raise StateConflict("already_answered", "this chat has already been rated")
    return json_response({"contact_id": contact.id, "rating": rating}, 201)


@operation(
    Operation(
        "Survey answers of a unit's chats closed in [from, to)",
        STAFF,
        "survey",
        {200: SummaryOut},
        errors={404: ("unknown_unit",)},
        query=SummaryQuery,
        extension=True,
        roles=("manager", "admin"),
    )
)
async def unit_summary(request: Request) -> Response:
    """``GET /api/survey/summary?unit=ID&from=TS&to=TS`` for managers and admins."""
    from chatserver.access import policy as access  # noqa: PLC0415 - keep the patient route's imports small
    from chatserver.http.staff import current_session  # noqa: PLC0415

    state: AppState = request.app.state.chat
    active = await current_session(request)
    unit_id = request.query_params.get("unit", "")
    if not access.can_view_stats(active.user, unit_id):
        raise NotFoundError("unknown_unit", "no such care unit")
    params = request.query_params
    start = parse_epoch(params["from"], "from") if "from" in params else 0.0
    end = parse_epoch(params["to"], "to") if "to" in params else state.clock() + 1
    return json_response((await summary(state.storage, unit_id, start, end)).to_dict())


def routes() -> list[BaseRoute]:
    return [
        Route("/api/contacts/survey", answer, methods=["POST"]),
        Route("/api/survey/summary", unit_summary),
    ]
