"""The administration API (``/api/admin/...``, admins only) and ``GET /api/banner``:
units and rollout, opening hours, queues and capacity, the banner, legal hold,
retention and canned responses; staff accounts are :mod:`.users`.

Admins administer every unit of the service (one health centre or one region).
Access and audit: :mod:`.guard`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver import canned
from chatserver.admin import models as am
from chatserver.admin import users as admin_users
from chatserver.admin import validation as v
from chatserver.admin.guard import audit, changed_fields, require_admin, state_of
from chatserver.admin.holiday_store import set_public_holidays
from chatserver.admin.hours import DEFAULT_HOURS, parse_hours
from chatserver.admin.retention import run_retention
from chatserver.admin.service import BANNER_HISTORY, Operations, of
from chatserver.admin.store import UNSET
from chatserver.contract.spec import ADMIN, ADMIN_CHANGE, ANYONE, Operation, operation
from chatserver.errors import InvalidInput, NotFoundError, StateConflict
from chatserver.http.params import path_id
from chatserver.http.util import json_response, read_json_object
from chatserver.storage.base import Conflict, NotFound, Queue, Unit

if TYPE_CHECKING:
    from chatserver.state import AppState


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
        "identification": u.identification,
        "created_at": u.created_at,
        **ops.unit_status(u, now),
        "hours": (configured or DEFAULT_HOURS).to_dict(),
        **ops.holidays_of(u, now),
        "queues": [queue_dict(q) for q in queues if q.unit_id == u.id],
    }


def _check_identification(state: AppState, identification: str | None) -> None:
    """``required`` needs patient sign-in, else no patient could reach the unit."""
    if identification == "required" and not state.settings.patient_oidc_issuer:
        raise InvalidInput(
            "invalid_field",
            "required identification needs patient sign-in",
            fields={"identification": "needs CHATSERVER_PATIENT_OIDC_ISSUER"},
        )


async def _unit(state: AppState, unit_id: str) -> Unit:
    unit = await state.storage.get_unit(unit_id)
    if unit is None:
        raise NotFoundError("unknown_unit", "no such care unit")
    return unit


# -- units, hours, queues ----------------------------------------------------------


@operation(
    Operation(
        "Every unit with its queues, hours and status",
        ADMIN,
        "admin",
        {200: am.UnitList},
        extension=True,
    )
)
async def list_units(request: Request) -> Response:
    await require_admin(request, change=False)
    state = state_of(request)
    ops = of(state)
    queues = await state.storage.list_queues()
    now = state.clock()
    units = await state.storage.list_units()
    return json_response({"units": [unit_dict(ops, u, queues, now) for u in units]})


@operation(
    Operation(
        "Create a unit (with its nurse queue)",
        ADMIN_CHANGE,
        "admin",
        {201: am.UnitOut},
        errors={409: ("already_exists",)},
        body=v.UnitCreate,
        extension=True,
    )
)
async def create_unit(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    body = v.parse(v.UnitCreate, await read_json_object(request))
    _check_identification(state, body.identification)
    unit = Unit(
        id=body.id,
        name=body.name,
        always_open=body.always_open,
        rollout=body.rollout,
        created_at=state.clock(),
        identification=body.identification,
    )
    queue = Queue(id=f"{body.id}:nurse", unit_id=body.id, competence="nurse", name="Sjuksköterska")
    try:
        await state.storage.add_unit(unit, [queue])
    except Conflict:
        raise StateConflict("already_exists", "a unit with that id exists") from None
    await state.queues.reload_queues()
    if not body.public_holidays:
        await _set_public_holidays(state, unit.id, follow=False)
    await audit(
        request,
        active,
        "admin_unit_create",
        unit_id=unit.id,
        detail={
            "rollout": unit.rollout,
            "always_open": unit.always_open,
            "identification": unit.identification,
            "public_holidays": body.public_holidays,
        },
    )
    return json_response(unit_dict(of(state), unit, [queue], state.clock()), 201)


@operation(
    Operation(
        "Change a unit",
        ADMIN_CHANGE,
        "admin",
        {200: am.UnitOut},
        errors={404: ("unknown_unit",)},
        body=v.UnitUpdate,
        extension=True,
    )
)
async def update_unit(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    unit_id = request.path_params["unit_id"]
    await _unit(state, unit_id)
    body = v.parse(v.UnitUpdate, await read_json_object(request))
    identification = body.identification if "identification" in body.model_fields_set else UNSET
    if identification is not UNSET:
        _check_identification(state, identification)
    unit = await of(state).store.update_unit(
        unit_id,
        name=body.name,
        always_open=body.always_open,
        rollout=body.rollout,
        identification=identification,
    )
    if unit is None:
        raise NotFoundError("unknown_unit", "no such care unit")
    if body.public_holidays is not None:
        await _set_public_holidays(state, unit_id, follow=body.public_holidays)
    await audit(request, active, "admin_unit_update", unit_id=unit_id, detail=changed_fields(body))
    queues = await state.storage.list_queues([unit_id])
    return json_response(unit_dict(of(state), unit, queues, state.clock()))


async def _set_public_holidays(state: AppState, unit_id: str, *, follow: bool) -> None:
    """Store the unit's holiday flag and apply it to this instance at once
    (other instances pick it up with their next sweep)."""
    ops = of(state)
    await ops.store.db.write(set_public_holidays(unit_id, follow))
    if follow:
        ops.holiday_opt_outs -= {unit_id}
    else:
        ops.holiday_opt_outs |= {unit_id}


@operation(
    Operation(
        "A unit's opening hours and status",
        ADMIN,
        "admin",
        {200: am.HoursReply},
        errors={404: ("unknown_unit",)},
        extension=True,
    )
)
async def get_hours(request: Request) -> Response:
    await require_admin(request, change=False)
    state = state_of(request)
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
            **ops.holidays_of(unit, state.clock()),
        }
    )


@operation(
    Operation(
        "Set a unit's opening hours",
        ADMIN_CHANGE,
        "admin",
        {200: am.HoursReply},
        errors={404: ("unknown_unit",)},
        body=am.HoursDoc,
        extension=True,
    )
)
async def put_hours(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    unit = await _unit(state, request.path_params["unit_id"])
    hours = parse_hours(await read_json_object(request))
    doc = hours.to_dict()
    ops = of(state)
    await ops.store.set_hours(unit.id, doc, at=state.clock(), by=active.user.id)
    ops.hours[unit.id] = hours
    await audit(request, active, "admin_hours_set", unit_id=unit.id, detail={"hours": doc})
    return await get_hours(request)


@operation(
    Operation(
        "Back to the default opening hours",
        ADMIN_CHANGE,
        "admin",
        {200: am.HoursReply},
        errors={404: ("unknown_unit",)},
        extension=True,
    )
)
async def delete_hours(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    unit = await _unit(state, request.path_params["unit_id"])
    ops = of(state)
    await ops.store.set_hours(unit.id, None, at=state.clock(), by=active.user.id)
    ops.hours.pop(unit.id, None)
    await audit(request, active, "admin_hours_default", unit_id=unit.id)
    return await get_hours(request)


@operation(
    Operation(
        "Add a queue (competence) to a unit",
        ADMIN_CHANGE,
        "admin",
        {201: am.QueueOut},
        errors={404: ("unknown_unit",), 409: ("already_exists",)},
        body=v.QueueCreate,
        extension=True,
    )
)
async def create_queue(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
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
    await audit(
        request,
        active,
        "admin_queue_create",
        unit_id=unit.id,
        detail={"queue_id": queue.id, "max_waiting": queue.max_waiting},
    )
    return json_response(queue_dict(queue), 201)


@operation(
    Operation(
        "Change a queue",
        ADMIN_CHANGE,
        "admin",
        {200: am.QueueOut},
        errors={404: ("unknown_queue",)},
        body=v.QueueUpdate,
        extension=True,
    )
)
async def update_queue(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    queue_id = request.path_params["queue_id"]
    body = v.parse(v.QueueUpdate, await read_json_object(request))
    max_waiting = body.max_waiting if "max_waiting" in body.model_fields_set else UNSET
    queue = await of(state).store.update_queue(queue_id, name=body.name, max_waiting=max_waiting)
    if queue is None:
        raise NotFoundError("unknown_queue", "no such queue")
    await state.queues.reload_queues()
    await state.fanout.queue_changed(queue.unit_id)
    await audit(
        request,
        active,
        "admin_queue_update",
        unit_id=queue.unit_id,
        detail={"queue_id": queue_id, **changed_fields(body)},
    )
    return json_response(queue_dict(queue))


# -- banner --------------------------------------------------------------------------


@operation(
    Operation(
        "The active operations banner, or null",
        ANYONE,
        "banner",
        {200: am.PublicBanner},
        extension=True,
    )
)
async def public_banner(request: Request) -> Response:
    state = state_of(request)
    return json_response({"banner": of(state).active_banner(state.clock())})


@operation(
    Operation(
        "The active banner and the banner history",
        ADMIN,
        "admin",
        {200: am.BannerList},
        extension=True,
    )
)
async def list_banners(request: Request) -> Response:
    await require_admin(request, change=False)
    state = state_of(request)
    ops = of(state)
    history = await ops.store.banners(BANNER_HISTORY)
    return json_response(
        {
            "active": ops.active_banner(state.clock()),
            "history": [b.to_dict() for b in history],
        }
    )


@operation(
    Operation(
        "Publish a banner",
        ADMIN_CHANGE,
        "admin",
        {201: am.Banner},
        body=v.BannerCreate,
        extension=True,
    )
)
async def create_banner(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
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
    await audit(
        request,
        active,
        "banner_publish",
        detail={"banner_id": banner.id, "severity": banner.severity, "ends_at": ends_at},
    )
    return json_response(banner.to_dict(), 201)


@operation(
    Operation(
        "Withdraw a banner",
        ADMIN_CHANGE,
        "admin",
        {200: am.Banner},
        errors={404: ("unknown_banner",)},
        extension=True,
    )
)
async def end_banner(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    banner_id = path_id(request.path_params, "banner_id", "unknown_banner", "no such banner")
    banner = await of(state).end_banner(banner_id, active.user.id)
    if banner is None:
        raise NotFoundError("unknown_banner", "no such banner")
    await audit(request, active, "banner_end", detail={"banner_id": banner_id})
    return json_response(banner.to_dict())


# -- legal hold, retention, canned responses ------------------------------------------


@operation(
    Operation(
        "Set or lift a contact's legal hold",
        ADMIN_CHANGE,
        "admin",
        {200: am.LegalHoldReply},
        errors={404: ("unknown_contact",)},
        body=v.LegalHold,
        extension=True,
    )
)
async def legal_hold(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    contact_id = request.path_params["contact_id"]
    body = v.parse(v.LegalHold, await read_json_object(request))
    try:
        changed = await of(state).store.set_legal_hold(
            contact_id, hold=body.hold, reason=body.reason, at=state.clock(), by=active.user.id
        )
    except NotFound:
        raise NotFoundError("unknown_contact", "no such contact") from None
    await audit(
        request,
        active,
        "legal_hold_set" if body.hold else "legal_hold_lift",
        contact_id=contact_id,
        detail={"changed": changed},
    )
    return json_response({"contact_id": contact_id, "legal_hold": body.hold, "changed": changed})


@operation(
    Operation(
        "Purge free text past the retention time now",
        ADMIN_CHANGE,
        "admin",
        {200: am.RetentionReply},
        extension=True,
    )
)
async def retention_run(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    purged = await run_retention(state, of(state).store, state.clock())
    await audit(request, active, "retention_run", detail={"purged": purged})
    return json_response({"purged": purged, "retention_days": state.settings.retention_days})


@operation(
    Operation(
        "A unit's canned responses",
        ADMIN,
        "admin",
        {200: canned.CannedList},
        errors={404: ("unknown_unit",)},
        extension=True,
    )
)
async def list_unit_canned(request: Request) -> Response:
    await require_admin(request, change=False)
    state = state_of(request)
    unit = await _unit(state, request.path_params["unit_id"])
    rows = await canned.CannedStore(state.storage).list(unit.id)
    return json_response({"canned": [r.to_dict() for r in rows]})


@operation(
    Operation(
        "Add a canned response to a unit",
        ADMIN_CHANGE,
        "admin",
        {201: canned.CannedOut},
        errors={404: ("unknown_unit",), 409: ("canned_limit",)},
        body=v.CannedCreate,
        extension=True,
    )
)
async def create_unit_canned(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    unit = await _unit(state, request.path_params["unit_id"])
    body = v.parse(v.CannedCreate, await read_json_object(request))
    row = await canned.CannedStore(state.storage).create(
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
    await audit(
        request, active, "admin_canned_create", unit_id=unit.id, detail={"canned_id": row.id}
    )
    return json_response(row.to_dict(), 201)


@operation(
    Operation(
        "Delete a unit's canned response",
        ADMIN_CHANGE,
        "admin",
        {200: canned.CannedDeleted},
        errors={404: ("unknown_canned", "unknown_unit")},
        extension=True,
    )
)
async def delete_unit_canned(request: Request) -> Response:
    active = await require_admin(request, change=True)
    state = state_of(request)
    unit = await _unit(state, request.path_params["unit_id"])
    canned_id = path_id(
        request.path_params, "canned_id", "unknown_canned", "no such canned response"
    )
    if not await canned.CannedStore(state.storage).delete(unit.id, canned_id):
        raise NotFoundError("unknown_canned", "no such canned response")
    await audit(
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
        # Ids are str parameters parsed by chatserver.http.params: Starlette's
        # int converter takes any number of digits.
        Route(
            f"{a}/units/{{unit_id}}/canned/{{canned_id}}",
            delete_unit_canned,
            methods=["DELETE"],
        ),
        Route(f"{a}/queues/{{queue_id}}", update_queue, methods=["PATCH"]),
        Route(f"{a}/banners", list_banners),
        Route(f"{a}/banners", create_banner, methods=["POST"]),
        Route(f"{a}/banners/{{banner_id}}/end", end_banner, methods=["POST"]),
        Route(f"{a}/contacts/{{contact_id}}/legal-hold", legal_hold, methods=["PUT"]),
        Route(f"{a}/retention/run", retention_run, methods=["POST"]),
        *admin_users.routes(),
    ]
