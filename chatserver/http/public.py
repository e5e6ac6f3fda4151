"""Public HTTP routes: health, metrics, units and intake."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from chatserver.contract.spec import ANYONE, Operation, Reply, operation
from chatserver.errors import Unauthenticated
from chatserver.flow.intake import (
    IntakeRequest,
    parse_intake,
    parse_questions_query,
    questions_body,
    refused_intake_safety,
    unit_of,
)
from chatserver.http import models as m
from chatserver.http.util import json_response, model_response, read_json

if TYPE_CHECKING:
    from chatserver.state import AppState


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


@operation(Operation("Liveness", ANYONE, "health", {200: m.Alive}))
async def livez(request: Request) -> Response:
    return model_response(m.Alive(status="ok"))


@operation(
    Operation(
        "Readiness: storage, writes and fan-out",
        ANYONE,
        "health",
        {200: m.Ready, 503: Reply(m.Ready, description="a check is false")},
    )
)
async def readyz(request: Request) -> Response:
    state = _state(request)
    checks = m.ReadyChecks(
        storage=await _safe(state.storage.ping()),
        # False while writes fail (disk full, database restarting): see storage_watch.
        writes=state.storage_watch.writes_ok,
        fanout=await _safe(state.fanout.healthy()),
    )
    ok = checks.storage and checks.writes and checks.fanout
    ready = m.Ready(status="ok" if ok else "unavailable", checks=checks)
    return model_response(ready, 200 if ok else 503)


async def _safe(awaitable: Any) -> bool:
    try:
        return bool(await awaitable)
    except Exception:
        return False


@operation(
    Operation(
        "Prometheus metrics",
        ANYONE,
        "health",
        {200: Reply(None, "text/plain", "Prometheus text format")},
    )
)
async def metrics(request: Request) -> Response:
    state = _state(request)
    return PlainTextResponse(
        generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )


@operation(
    Operation(
        "Live units (a pilot unit only when named)",
        ANYONE,
        "intake",
        {200: m.UnitList},
        query=m.UnitsQuery,
    )
)
async def units(request: Request) -> Response:
    """Units open to the public ('live'); a pilot unit only when asked for by id."""
    state = _state(request)
    wanted = request.query_params.get("unit")
    now = state.clock()
    out: list[dict[str, Any]] = []
    for u in await state.storage.list_units():
        if u.rollout != "live" and u.id != wanted:
            continue
        if wanted and u.id != wanted:
            continue
        out.append(
            {
                "id": u.id,
                "name": u.name,
                "rollout": u.rollout,
                # "none" | "optional" | "required": whether to offer anonymous
                # chat and the e-legitimation sign-in (docs/identity.md).
                "identification": state.hooks.intake_identity.mode(u),
                # Whether the intake offers the "your turn" SMS (chatserver/notify).
                "sms": state.settings.sms_gateway_url is not None,
                **state.unit_status(u, now),
            }
        )
    return json_response(out)


@operation(
    Operation(
        "Intake: a new chat, triaged and queued (or 112 advice)",
        ANYONE,
        "intake",
        {
            200: Reply(m.EmergencyReply, description="emergency: call 112, nothing queued"),
            201: Reply(m.QueuedReply, description="queued; the patient token, once"),
        },
        errors={
            401: ("identification_required",),
            404: ("unknown_contact", "unknown_queue", "unknown_unit"),
            409: (
                "acknowledgement_expired",
                "already_acknowledged",
                "queue_full",
                "unit_closed",
            ),
            422: ("unknown_question",),
            429: ("rate_limited",),
        },
        body=IntakeRequest,
        description="With a patient session cookie the contact is bound to the person.",
    )
)
async def create_contact(request: Request) -> Response:
    state = _state(request)
    state.check_intake_rate(request)
    data = await read_json(request)
    req = parse_intake(data)
    # Extension fields (the optional `phone` for the SMS), refused before anything is stored.
    after_queued = state.hooks.intake_extras(data)
    unit = await unit_of(state.storage, req)
    # Refuses an anonymous intake when the unit requires identification (nothing stored).
    try:
        bind = await state.hooks.intake_identity(request, unit)
    except Unauthenticated as exc:
        # Asking for a sign-in must not silence a red flag: the refusal carries
        # the 112 advice when the text or the screen names an emergency.
        exc.extra.update(refused_intake_safety(req))
        raise
    # Bound inside the intake, before the new contact is announced (acknowledging
    # an emergency names an existing contact, bound at its first intake).
    status, body = await state.intake.intake(req, unit, bind)
    if after_queued is not None and status == 201:
        await after_queued(body["contact_id"])
    return json_response(body, status)


@operation(
    Operation(
        "The red-flag screen for an age band (v1.1)",
        ANYONE,
        "intake",
        {200: m.Questions},
        query=m.IntakeQuery,
    )
)
async def intake_questions(request: Request) -> Response:
    lang, age = parse_questions_query(request.query_params)
    return json_response(questions_body(lang, age), 200)


def routes() -> list[Route]:
    return [
        Route("/livez", livez),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/api/units", units),
        Route("/api/contacts", create_contact, methods=["POST"]),
        Route("/api/intake/questions", intake_questions, methods=["GET"]),
    ]
