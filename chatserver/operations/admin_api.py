"""The administration API (``/api/admin/...``, admins only) and ``GET /api/banner``.

Every request needs an admin's session; every change also the CSRF token
(:func:`~chatserver.staff_http.staff_session_for_change`) and is audited
(``state.audit_event``) with what changed, never with patient data. Admins
administer every unit of the service (one health centre or one region).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver import access, canned
from chatserver.errors import (
    CLOSE_POLICY,
    Forbidden,
    InvalidInput,
    NotFoundError,
    StateConflict,
)
from chatserver.http_util import json_response, read_json_object
from chatserver.operations import validation as v
from chatserver.operations.hours import DEFAULT_HOURS, parse_hours
from chatserver.operations.retention import run_retention
from chatserver.operations.service import Operations, of
from chatserver.sessions import ActiveSession, new_totp_secret, provisioning_uri
from chatserver.staff_http import current_session, staff_session_for_change
from chatserver.storage.base import Conflict, NotFound, Queue, Unit, User

if TYPE_CHECKING:
    from chatserver.app import AppState


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


async def _admin(request: Request, *, change: bool) -> ActiveSession:
    active = await (staff_session_for_change(request) if change else current_session(request))
    if not access.can_admin(active.user):
        await _state(request).audit_event(
            request,
            active.user,
            "admin_access",
            result="forbidden",
            detail={"path": request.url.path},
        )
        raise Forbidden("forbidden", "administrators only")
    return active


async def _audit(
    request: Request,
    active: ActiveSession,
    action: str,
    *,
    unit_id: str | None = None,
    contact_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await _state(request).audit_event(
        request,
        active.user,
        action,
        result="ok",
        unit_id=unit_id,
        contact_id=contact_id,
        detail=detail,
    )


def _changed(body: Any) -> dict[str, Any]:
    """The fields a PATCH body actually set (for the audit detail)."""
    return {k: getattr(body, k) for k in sorted(body.model_fields_set)}


def user_dict(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "display_name": u.display_name,
        "role": u.role,
        "units": list(u.unit_ids),
        "disabled": u.disabled,
        "second_factor": u.totp_secret is not None,
        "created_at": u.created_at,
    }


def queue_dict(q: Queue) -> dict[str, Any]:
    return {
        "id": q.id,
        "unit_id": q.unit_id,
        "competence": q.competence,
        "name": q.name,
        "max_waiting": q.max_waiting,
    }


def unit_dict(ops: Operations, u: Unit, queues: list[Queue], now: float) -> dict[str, Any]:
    configured = ops.hours.get(u.id)
    return {
        "id": u.id,
        "name": u.name,
        "rollout": u.rollout,
        "created_at": u.created_at,
        **ops.unit_status(u, now),
        "hours": (configured or DEFAULT_HOURS).to_dict(),
        "queues": [queue_dict(q) for q in queues if q.unit_id == u.id],
    }


async def _unit(state: AppState, unit_id: str) -> Unit:
    unit = await state.storage.get_unit(unit_id)
    if unit is None:
        raise NotFoundError("unknown_unit", "no such care unit")
    return unit


# -- units, hours, queues ----------------------------------------------------------


async def list_units(request: Request) -> Response:
    await _admin(request, change=False)
    state = _state(request)
    ops = of(state)
    queues = await state.storage.list_queues()
    now = state.clock()
    units = await state.storage.list_units()
    return json_response({"units": [unit_dict(ops, u, queues, now) for u in units]})


async def create_unit(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    body = v.parse(v.UnitCreate, await read_json_object(request))
    unit = Unit(
        id=body.id,
        name=body.name,
        always_open=body.always_open,
        rollout=body.rollout,
        created_at=state.clock(),
    )
    queue = Queue(id=f"{body.id}:nurse", unit_id=body.id, competence="nurse", name="Sjuksköterska")
    try:
        await state.storage.add_unit(unit, [queue])
    except Conflict:
        raise StateConflict("already_exists", "a unit with that id exists") from None
    await state.queues.reload_queues()
    await _audit(
        request,
        active,
        "admin_unit_create",
        unit_id=unit.id,
        detail={"rollout": unit.rollout, "always_open": unit.always_open},
    )
    return json_response(unit_dict(of(state), unit, [queue], state.clock()), 201)


async def update_unit(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    unit_id = request.path_params["unit_id"]
    await _unit(state, unit_id)
    body = v.parse(v.UnitUpdate, await read_json_object(request))
    unit = await of(state).store.update_unit(
        unit_id, name=body.name, always_open=body.always_open, rollout=body.rollout
    )
    if unit is None:
        raise NotFoundError("unknown_unit", "no such care unit")
    await _audit(request, active, "admin_unit_update", unit_id=unit_id, detail=_changed(body))
    queues = await state.storage.list_queues([unit_id])
    return json_response(unit_dict(of(state), unit, queues, state.clock()))


async def get_hours(request: Request) -> Response:
    await _admin(request, change=False)
    state = _state(request)
    unit = await _unit(state, request.path_params["unit_id"])
    ops = of(state)
    configured = ops.hours.get(unit.id)
    return json_response(
        {
            "unit_id": unit.id,
            "always_open": unit.always_open,
            "configured": configured is not None,
            "hours": (configured or DEFAULT_HOURS).to_dict(),
            **ops.unit_status(unit, state.clock()),
        }
    )


async def put_hours(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    unit = await _unit(state, request.path_params["unit_id"])
    hours = parse_hours(await read_json_object(request))
    doc = hours.to_dict()
    ops = of(state)
    await ops.store.set_hours(unit.id, doc, at=state.clock(), by=active.user.id)
    ops.hours[unit.id] = hours
    await _audit(request, active, "admin_hours_set", unit_id=unit.id, detail={"hours": doc})
    return await get_hours(request)


async def delete_hours(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    unit = await _unit(state, request.path_params["unit_id"])
    ops = of(state)
    await ops.store.set_hours(unit.id, None, at=state.clock(), by=active.user.id)
    ops.hours.pop(unit.id, None)
    await _audit(request, active, "admin_hours_default", unit_id=unit.id)
    return await get_hours(request)


async def create_queue(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    unit = await _unit(state, request.path_params["unit_id"])
    body = v.parse(v.QueueCreate, await read_json_object(request))
    queue = Queue(
        id=f"{unit.id}:{body.competence}",
        unit_id=unit.id,
        competence=body.competence,
        name=body.name,
        max_waiting=body.max_waiting,
    )
    try:
        await of(state).store.add_queue(queue)
    except Conflict:
        raise StateConflict("already_exists", "the unit already has that queue") from None
    await state.queues.reload_queues()
    await state.fanout.queue_changed(unit.id)
    await _audit(
        request,
        active,
        "admin_queue_create",
        unit_id=unit.id,
        detail={"queue_id": queue.id, "max_waiting": queue.max_waiting},
    )
    return json_response(queue_dict(queue), 201)


async def update_queue(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    queue_id = request.path_params["queue_id"]
    body = v.parse(v.QueueUpdate, await read_json_object(request))
    from chatserver.operations.store import UNSET  # noqa: PLC0415

    max_waiting = body.max_waiting if "max_waiting" in body.model_fields_set else UNSET
    queue = await of(state).store.update_queue(queue_id, name=body.name, max_waiting=max_waiting)
    if queue is None:
        raise NotFoundError("unknown_queue", "no such queue")
    await state.queues.reload_queues()
    await state.fanout.queue_changed(queue.unit_id)
    await _audit(
        request,
        active,
        "admin_queue_update",
        unit_id=queue.unit_id,
        detail={"queue_id": queue_id, **_changed(body)},
    )
    return json_response(queue_dict(queue))


# -- users ---------------------------------------------------------------------------


async def list_users(request: Request) -> Response:
    await _admin(request, change=False)
    users = await of(_state(request)).store.list_users()
    return json_response({"users": [user_dict(u) for u in users]})


async def create_user(request: Request) -> Response:
    from chatserver.cli import add_user  # noqa: PLC0415 - the CLI's own creation path

    active = await _admin(request, change=True)
    state = _state(request)
    body = v.parse(v.UserCreate, await read_json_object(request))
    try:
        user_id, uri = await add_user(
            state.storage,
            state.settings,
            body.username,
            body.password,
            body.role,
            body.units,
            body.display_name,
        )
    except Conflict:
        raise StateConflict("already_exists", "that username is taken") from None
    except NotFound:
        raise InvalidInput(
            "invalid_field", "unknown unit", fields={"units": "unknown unit"}
        ) from None
    user = await state.storage.get_user(user_id)
    assert user is not None
    await _audit(
        request,
        active,
        "admin_user_create",
        detail={"user_id": user_id, "role": body.role, "units": sorted(body.units)},
    )
    return json_response({"user": user_dict(user), "otpauth_uri": uri}, 201)


async def _end_sessions(state: AppState, user_id: int, reason: str) -> int:
    hashes = await of(state).store.delete_sessions(user_id)
    await state.fanout.close_target("user", user_id, CLOSE_POLICY, reason)
    return len(hashes)


async def update_user(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    user_id = int(request.path_params["user_id"])
    body = v.parse(v.UserUpdate, await read_json_object(request))
    if user_id == active.user.id and (body.disabled or body.role not in (None, "admin")):
        raise StateConflict("cannot_change_self", "you cannot disable or demote yourself")
    try:
        user = await of(state).store.update_user(
            user_id,
            display_name=body.display_name,
            role=body.role,
            unit_ids=body.units,
            disabled=body.disabled,
        )
    except NotFound:
        raise InvalidInput(
            "invalid_field", "unknown unit", fields={"units": "unknown unit"}
        ) from None
    if user is None:
        raise NotFoundError("unknown_user", "no such user")
    ended = 0
    # Disabling, or a change of role or units, ends the user's sessions: they
    # sign in again and get exactly the new rights (sockets bind units at connect).
    if body.disabled or body.role is not None or body.units is not None:
        ended = await _end_sessions(state, user_id, "account changed")
    await _audit(
        request,
        active,
        "admin_user_update",
        detail={"user_id": user_id, **_changed(body), "sessions_ended": ended},
    )
    return json_response({"user": user_dict(user), "sessions_ended": ended})


async def reset_second_factor(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    user_id = int(request.path_params["user_id"])
    user = await state.storage.get_user(user_id)
    if user is None:
        raise NotFoundError("unknown_user", "no such user")
    secret = new_totp_secret()
    await of(state).store.set_totp_secret(user_id, secret)
    ended = await _end_sessions(state, user_id, "second factor reset")
    await _audit(
        request,
        active,
        "admin_user_reset_otp",
        detail={"user_id": user_id, "sessions_ended": ended},
    )
    return json_response(
        {
            "user_id": user_id,
            "otpauth_uri": provisioning_uri(secret, user.username),
            "sessions_ended": ended,
        }
    )


# -- banner --------------------------------------------------------------------------


async def public_banner(request: Request) -> Response:
    state = _state(request)
    return json_response({"banner": of(state).active_banner(state.clock())})


async def list_banners(request: Request) -> Response:
    await _admin(request, change=False)
    state = _state(request)
    from chatserver.operations.service import BANNER_HISTORY  # noqa: PLC0415

    ops = of(state)
    history = await ops.store.banners(BANNER_HISTORY)
    return json_response(
        {
            "active": ops.active_banner(state.clock()),
            "history": [b.to_dict() for b in history],
        }
    )


async def create_banner(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    body = v.parse(v.BannerCreate, await read_json_object(request))
    ends_at = None
    if body.ends_at is not None:
        ends_at = v.parse_time(body.ends_at, "ends_at")
        if ends_at <= state.clock():
            raise InvalidInput(
                "invalid_field", "ends_at is in the past", fields={"ends_at": "future"}
            )
    banner = await of(state).publish_banner(
        severity=body.severity,
        message_sv=body.message_sv,
        message_en=body.message_en or body.message_sv,
        ends_at=ends_at,
        by=active.user.id,
    )
    await _audit(
        request,
        active,
        "banner_publish",
        detail={"banner_id": banner.id, "severity": banner.severity, "ends_at": ends_at},
    )
    return json_response(banner.to_dict(), 201)


async def end_banner(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    banner_id = int(request.path_params["banner_id"])
    banner = await of(state).end_banner(banner_id, active.user.id)
    if banner is None:
        raise NotFoundError("unknown_banner", "no such banner")
    await _audit(request, active, "banner_end", detail={"banner_id": banner_id})
    return json_response(banner.to_dict())


# -- legal hold, retention, canned responses ------------------------------------------


async def legal_hold(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    contact_id = request.path_params["contact_id"]
    body = v.parse(v.LegalHold, await read_json_object(request))
    try:
        changed = await of(state).store.set_legal_hold(
            contact_id, hold=body.hold, reason=body.reason, at=state.clock(), by=active.user.id
        )
    except NotFound:
        raise NotFoundError("unknown_contact", "no such contact") from None
    await _audit(
        request,
        active,
        "legal_hold_set" if body.hold else "legal_hold_lift",
        contact_id=contact_id,
        detail={"changed": changed},
    )
    return json_response({"contact_id": contact_id, "legal_hold": body.hold, "changed": changed})


async def retention_run(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    purged = await run_retention(state, of(state).store, state.clock())
    await _audit(request, active, "retention_run", detail={"purged": purged})
    return json_response({"purged": purged, "retention_days": state.settings.retention_days})


async def list_unit_canned(request: Request) -> Response:
    await _admin(request, change=False)
    state = _state(request)
    unit = await _unit(state, request.path_params["unit_id"])
    rows = await canned.store_for(state.storage).list(unit.id)
    return json_response({"canned": [r.to_dict() for r in rows]})


async def create_unit_canned(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    unit = await _unit(state, request.path_params["unit_id"])
    body = v.parse(v.CannedCreate, await read_json_object(request))
    row = await canned.store_for(state.storage).create(
        unit.id,
        title=body.title.strip(),
        body=body.body.strip(),
        user_id=active.user.id,
        at=state.clock(),
        limit=canned.MAX_PER_UNIT,
    )
    if row is None:
        raise StateConflict(
            "canned_limit", f"a unit keeps at most {canned.MAX_PER_UNIT} canned responses"
        )
    await _audit(
        request, active, "admin_canned_create", unit_id=unit.id, detail={"canned_id": row.id}
    )
    return json_response(row.to_dict(), 201)


async def delete_unit_canned(request: Request) -> Response:
    active = await _admin(request, change=True)
    state = _state(request)
    unit = await _unit(state, request.path_params["unit_id"])
    canned_id = int(request.path_params["canned_id"])
    if not await canned.store_for(state.storage).delete(unit.id, canned_id):
        raise NotFoundError("unknown_canned", "no such canned response")
    await _audit(
        request, active, "admin_canned_delete", unit_id=unit.id, detail={"canned_id": canned_id}
    )
    return json_response({"deleted": canned_id})


def routes() -> list[BaseRoute]:
    a = "/api/admin"
    return [
        Route("/api/banner", public_banner),
        Route(f"{a}/units", list_units),
        Route(f"{a}/units", create_unit, methods=["POST"]),
        Route(f"{a}/units/{{unit_id}}", update_unit, methods=["PATCH"]),
        Route(f"{a}/units/{{unit_id}}/hours", get_hours),
        Route(f"{a}/units/{{unit_id}}/hours", put_hours, methods=["PUT"]),
        Route(f"{a}/units/{{unit_id}}/hours", delete_hours, methods=["DELETE"]),
        Route(f"{a}/units/{{unit_id}}/queues", create_queue, methods=["POST"]),
        Route(f"{a}/units/{{unit_id}}/canned", list_unit_canned),
        Route(f"{a}/units/{{unit_id}}/canned", create_unit_canned, methods=["POST"]),
        Route(
            f"{a}/units/{{unit_id}}/canned/{{canned_id:int}}",
            delete_unit_canned,
            methods=["DELETE"],
        ),
        Route(f"{a}/queues/{{queue_id}}", update_queue, methods=["PATCH"]),
        Route(f"{a}/users", list_users),
        Route(f"{a}/users", create_user, methods=["POST"]),
        Route(f"{a}/users/{{user_id:int}}", update_user, methods=["PATCH"]),
        Route(
            f"{a}/users/{{user_id:int}}/reset-second-factor", reset_second_factor, methods=["POST"]
        ),
        Route(f"{a}/banners", list_banners),
        Route(f"{a}/banners", create_banner, methods=["POST"]),
        Route(f"{a}/banners/{{banner_id:int}}/end", end_banner, methods=["POST"]),
        Route(f"{a}/contacts/{{contact_id}}/legal-hold", legal_hold, methods=["PUT"]),
        Route(f"{a}/retention/run", retention_run, methods=["POST"]),
    ]
