"""Public HTTP routes: health, metrics, units and intake."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from chatserver.errors import Unauthenticated
from chatserver.flow.intake import (
    parse_intake,
    parse_questions_query,
    questions_body,
    refused_intake_safety,
    unit_of,
)
from chatserver.http.util import json_response, read_json

if TYPE_CHECKING:
    from chatserver.state import AppState


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


async def livez(request: Request) -> Response:
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    state = _state(request)
    checks = {
        "storage": await _safe(state.storage.ping()),
        # False while writes fail (disk full, database restarting): see storage_watch.
        "writes": state.storage_watch.writes_ok,
        "fanout": await _safe(state.fanout.healthy()),
    }
    ok = all(checks.values())
    return json_response(
        {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
    )


async def _safe(awaitable: Any) -> bool:
    try:
        return bool(await awaitable)
    except Exception:
        return False


async def metrics(request: Request) -> Response:
    state = _state(request)
    return PlainTextResponse(
        generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST
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
                **state.unit_status(u, now),
            }
        )
    return json_response(out)


async def create_contact(request: Request) -> Response:
    state = _state(request)
    state.check_intake_rate(request)
    req = parse_intake(await read_json(request))
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
    return json_response(body, status)


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
