"""Log review ("loggkontroll") for admins, and the patient log extract.

| route | what |
|---|---|
| ``GET /api/audit/events`` | events filtered by ``user``, ``contact``, ``unit``, |
| | ``action``, ``from``, ``to`` |
| ``GET /api/audit/sample`` | ``n`` random accesses to patient data (reproducible with ``seed``) |
| ``GET /api/audit/contacts/{contact_id}`` | which unit accessed a contact, and when |
| ``GET /api/audit/verify`` | the chain's integrity, as ``chatserver audit verify`` |

``format=csv`` on the first two returns ``text/csv``. Every review is itself
audited (``audit_query``, ``audit_sample``, ``audit_export``, ``audit_extract``,
``audit_verify``; a caller who is not an admin with result ``forbidden``),
with the filters in ``detail``: not in the unit and contact columns, so a review
never shows up as a care unit's access in a patient's log extract.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from chatserver.access import policy as access
from chatserver.audit import models as m
from chatserver.audit.chain import AuditEvent
from chatserver.audit.service import AuditLog, iso_utc
from chatserver.audit.store import AuditQuery
from chatserver.contract.spec import ADMIN, ANYONE, Operation, Reply, operation
from chatserver.csv_cells import to_csv
from chatserver.errors import Forbidden
from chatserver.http.params import (
    SQL_INT_MAX,
    parse_day,
    parse_int,
    parse_moment,
    query_int,
    sql_id,
)
from chatserver.http.staff import current_session
from chatserver.http.util import json_response

if TYPE_CHECKING:
    from chatserver.state import AppState

MAX_LIMIT = 10_000
MAX_SAMPLE = 500
CSV_COLUMNS = (
    "seq",
    "at",
    "actor_user_id",
    "actor_username",
    "actor_role",
    "actor_units",
    "unit_id",
    "contact_id",
    "action",
    "result",
    "request_id",
    "detail",
)


def audit_log_of(state: AppState) -> AuditLog:
    return state.extensions.get(AuditLog)


def event_dict(ev: AuditEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "at": ev.at,
        "actor_user_id": ev.actor_user_id,
        "actor_username": ev.actor_username,
        "actor_role": ev.actor_role,
        "actor_units": [u for u in ev.actor_units.split(",") if u],
        "unit_id": ev.unit_id,
        "contact_id": ev.contact_id,
        "action": ev.action,
        "result": ev.result,
        "request_id": ev.request_id,
        "detail": dict(ev.detail),
    }


def _csv_row(ev: AuditEvent) -> list[Any]:
    d = event_dict(ev)
    d["actor_units"] = ev.actor_units
    d["detail"] = orjson.dumps(d["detail"], option=orjson.OPT_SORT_KEYS).decode()
    return [d[c] for c in CSV_COLUMNS]


def events_csv(events: list[AuditEvent]) -> str:
    """Formula-escaped (:mod:`chatserver.csv_cells`): failed sign-ins carry
    attacker-chosen usernames."""
    return to_csv(CSV_COLUMNS, [_csv_row(ev) for ev in events])


def _time_param(request: Request, name: str, *, end: bool) -> str | None:
    """``YYYY-MM-DD`` (a whole day; ``to`` includes it) or ISO 8601 (UTC if no
    offset), bounded by :mod:`chatserver.http.params`."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) == 10:
        day = parse_day(raw, name)
        moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=UTC)
    else:
        moment = parse_moment(raw, name)
    return iso_utc(moment.timestamp())


def _int_param(request: Request, name: str, default: int, high: int) -> int:
    return query_int(request.query_params, name, low=1, high=high, default=default)


def _query(request: Request, limit: int) -> AuditQuery:
    p = request.query_params
    user = p.get("user")
    user_id = sql_id(user) if user is not None else None
    return AuditQuery(
        user_id=user_id,
        username=user if user is not None and user_id is None else None,
        contact_id=p.get("contact") or None,
        unit_id=p.get("unit") or None,
        action=p.get("action") or None,
        since=_time_param(request, "from", end=False),
        until=_time_param(request, "to", end=True),
        limit=limit,
    )


async def _admin(request: Request, action: str) -> tuple[AppState, Any]:
    """The admin asking; anyone else gets 403, audited as ``action`` with
    result ``forbidden`` (someone reaching for the log is a security event)."""
    state: AppState = request.app.state.chat
    active = await current_session(request)
    if not access.can_admin(active.user):
        refused = Forbidden("forbidden", "only administrators review the audit log")
        await state.audit_event(
            request,
            active.user,
            action,
            result=refused.code,
            detail={"path": request.url.path[:200]},
        )
        raise refused
    return state, active.user


def _filters(q: AuditQuery) -> dict[str, Any]:
    return {
        k: v
        for k, v in {
            "user_id": q.user_id,
            "username": q.username,
            "contact_id": q.contact_id,
            "unit_id": q.unit_id,
            "action": q.action,
            "from": q.since,
            "to": q.until,
        }.items()
        if v is not None
    }


def _answer(request: Request, events: list[AuditEvent], name: str) -> Response:
    if request.query_params.get("format") == "csv":
        return Response(
            events_csv(events),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}.csv"'},
        )
    return json_response({"events": [event_dict(e) for e in events]})


@operation(
    Operation(
        "Audit events in seq order (JSON, or CSV with format=csv)",
        ADMIN,
        "audit",
        {200: Reply(m.EventList, also=("text/csv",))},
        errors={503: ("audit_unavailable",)},
        query=m.EventsQuery,
        extension=True,
    )
)
async def events(request: Request) -> Response:
    csv_wanted = request.query_params.get("format") == "csv"
    state, user = await _admin(request, "audit_export" if csv_wanted else "audit_query")
    q = _query(request, _int_param(request, "limit", 1000, MAX_LIMIT))
    # Audit first: the review is refused if it cannot itself be logged.
    await state.audit_event(
        request,
        user,
        "audit_export" if csv_wanted else "audit_query",
        result="ok",
        detail=_filters(q),
    )
    found = await audit_log_of(state).store.query(q)
    return _answer(request, found, "audit-events")


@operation(
    Operation(
        "Random staff accesses to contacts, reproducible with seed",
        ADMIN,
        "audit",
        {200: Reply(m.Sample, also=("text/csv",))},
        errors={503: ("audit_unavailable",)},
        query=m.SampleQuery,
        extension=True,
    )
)
async def sample(request: Request) -> Response:
    """Random accesses to patient data for the periodic review."""
    state, user = await _admin(request, "audit_sample")
    n = _int_param(request, "n", 20, MAX_SAMPLE)
    seed_raw = request.query_params.get("seed")
    seed = (
        parse_int(seed_raw, "seed", low=0, high=SQL_INT_MAX) if seed_raw else secrets.randbits(32)
    )
    q = _query(request, MAX_LIMIT)
    await state.audit_event(
        request,
        user,
        "audit_sample",
        result="ok",
        detail={**_filters(q), "n": n, "seed": seed},
    )
    q = replace(q, patient_data_only=q.action is None)
    found = await audit_log_of(state).store.sample(q, n, seed)
    if request.query_params.get("format") == "csv":
        return _answer(request, found, "audit-sample")
    return json_response({"seed": seed, "events": [event_dict(e) for e in found]})


@operation(
    Operation(
        "Patient log extract: which unit accessed the contact, when",
        ADMIN,
        "audit",
        {200: m.Extract},
        errors={503: ("audit_unavailable",)},
        extension=True,
    )
)
async def contact_extract(request: Request) -> Response:
    """Patient log extract: which care unit accessed the contact, and when."""
    state, user = await _admin(request, "audit_extract")
    contact_id = str(request.path_params["contact_id"])
    await state.audit_event(
        request, user, "audit_extract", result="ok", detail={"contact_id": contact_id}
    )
    found = await audit_log_of(state).store.query(
        AuditQuery(contact_id=contact_id, limit=MAX_LIMIT)
    )
    accesses = [
        {
            "at": e.at,
            "units": [u for u in e.actor_units.split(",") if u],
            "role": e.actor_role,
            "action": e.action,
            "result": e.result,
        }
        for e in found
        if e.actor_user_id is not None
    ]
    return json_response({"contact_id": contact_id, "accesses": accesses})


@operation(
    Operation(
        "Verify the audit chain (as `chatserver audit verify`)",
        ADMIN,
        "audit",
        {200: m.Verdict},
        errors={503: ("audit_unavailable",)},
        extension=True,
    )
)
async def verify(request: Request) -> Response:
    state, user = await _admin(request, "audit_verify")
    await state.audit_event(request, user, "audit_verify", result="ok")
    verdict = await audit_log_of(state).verify()
    return json_response(
        {
            "ok": verdict.ok,
            "count": verdict.count,
            "bad_seq": verdict.bad_seq,
            "reason": verdict.reason or None,
        }
    )


AUDIT_PAGE = Path(__file__).resolve().parents[2] / "webclient" / "audit.html"


@operation(
    Operation(
        "The log review page (HTML; data from the API)",
        ANYONE,
        "pages",
        {200: Reply(None, "text/html")},
        extension=True,
    )
)
async def page(request: Request) -> Response:
    """The log review page (static HTML; the data comes from the API above)."""
    if not AUDIT_PAGE.is_file():
        return Response("Not found", status_code=404, media_type="text/plain")
    return FileResponse(AUDIT_PAGE, media_type="text/html; charset=utf-8")


def routes() -> list[Route]:
    return [
        Route("/api/audit/events", events),
        Route("/api/audit/sample", sample),
        Route("/api/audit/contacts/{contact_id}", contact_extract),
        Route("/api/audit/verify", verify),
    ]
