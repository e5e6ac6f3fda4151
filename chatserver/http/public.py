"""Public HTTP routes: health, metrics, units and intake."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from chatserver.flow.intake import parse_intake, parse_questions_query, questions_body
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
        out.append({"id": u.id, "name": u.name, "rollout": u.rollout, **state.unit_status(u, now)})
    return json_response(out)


async def create_contact(request: Request) -> Response:
    state = _state(request)
    state.check_intake_rate(request)
    # Refuses an anonymous intake when identification is required (nothing stored).
    bind = await state.hooks.intake_identity(request)
    req = parse_intake(await read_json(request))
    status, body = await state.intake.intake(req)
    contact_id = body.get("contact_id")
    # Only a new contact: acknowledging an emergency names an existing one.
    if bind is not None and req.contact_id is None and isinstance(contact_id, str):
        await bind(contact_id)
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
