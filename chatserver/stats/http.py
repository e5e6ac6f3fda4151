"""HTTP routes of the statistics (PROTOCOL.md "Statistics", docs/statistics.md).

The per-contact export, the tables (JSON and CSV) and the operations figures
are audited (``stats_export_contacts``, ``stats_export_table``,
``stats_tables``, ``stats_operations``) before the answer, which is refused
with 503 ``audit_unavailable`` when the event cannot be written. Every 403 is
audited with its code (``stats_read``, ``stats_visits_import``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from chatserver.access.stats_scope import check_import_units, resolve_scope
from chatserver.contract.spec import STAFF, STAFF_CHANGE, Body, Operation, Reply, operation
from chatserver.errors import ChatError, Forbidden, InvalidInput, NotFoundError
from chatserver.http.staff import current_session, staff_session_for_change
from chatserver.http.util import MAX_IMPORT_BODY, json_response, read_body
from chatserver.presence.local import PresenceUnknown
from chatserver.stats import models as sm

from . import charts, now, service
from .chart_texts import LANGS, label, title
from .query import parse_bucket, parse_period
from .records import ContactFilter
from .store import StatsStore
from .tables import (
    TABLE_NAMES,
    Table,
    channel_table,
    contact_export,
    operations_tables,
    to_csv,
)
from .triage_safety import summarize
from .visits_import import MAX_REPORTED_ERRORS, ParsedImport, check_units, parse_csv, parse_json

if TYPE_CHECKING:
    from chatserver.access.sessions import ActiveSession
    from chatserver.state import AppState

__all__ = ["routes"]


def _state(request: Request) -> AppState:
    state: AppState = request.app.state.chat
    return state


def _store(request: Request) -> StatsStore:
    return _state(request).extensions.get(StatsStore)


async def scope(request: Request) -> tuple[ActiveSession, list[str], str | None]:
    """The caller's session and the units (and queue) the request covers; a
    refusal (403: not a manager or admin, not their unit) is audited."""
    active = await current_session(request)
    state = _state(request)
    units = [u.id for u in await state.storage.list_units()]
    queues = await state.storage.list_queues()
    try:
        unit_ids, queue = resolve_scope(active.user, request.query_params, units, queues)
    except Forbidden as refused:
        await _audit_refusal(request, active, "stats_read", refused)
        raise
    return active, unit_ids, queue


async def _audit_refusal(
    request: Request, active: ActiveSession, action: str, refused: ChatError
) -> None:
    """A refused statistics call: who asked for what (the path and the unit asked for)."""
    asked = request.query_params.get("unit")
    await _state(request).audit_event(
        request,
        active.user,
        action,
        result=refused.code,
        detail={"path": request.url.path[:200], "unit": asked[:64] if asked else None},
    )


async def audit_read(
    request: Request,
    active: ActiveSession,
    action: str,
    units: list[str],
    queue: str | None,
    **extra: Any,
) -> None:
    """An export or list read of records about contacts: one audit event before
    the answer (503 ``audit_unavailable``, nothing answered, when it cannot be
    written). The period and filters go in ``detail``."""
    p = request.query_params
    await _state(request).audit_event(
        request,
        active.user,
        action,
        result="ok",
        unit_id=units[0] if len(units) == 1 else None,
        detail={
            "units": units,
            "queue": queue,
            "from": p.get("from"),
            "to": p.get("to"),
            **extra,
        },
    )


def _parse_body(content_type: str, body: bytes) -> ParsedImport:
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "text/csv":
        try:
            return parse_csv(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidInput("invalid_body", "the CSV must be UTF-8") from None
    if media in ("application/json", ""):
        import orjson  # noqa: PLC0415

        try:
            return parse_json(orjson.loads(body))
        except orjson.JSONDecodeError:
            raise InvalidInput("invalid_json", "the body is not valid JSON") from None
    raise InvalidInput("unsupported_media_type", "send application/json or text/csv")


@operation(
    Operation(
        "Import physical visit counts (JSON or CSV; all rows or none)",
        STAFF_CHANGE,
        "stats",
        {200: sm.Imported},
        errors={
            403: ("forbidden",),
            404: ("unknown_queue", "unknown_unit"),
            413: ("body_too_large",),
            422: ("invalid_body", "invalid_json", "invalid_rows", "unsupported_media_type"),
        },
        body=Body(("application/json", "text/csv"), sm.Visits),
        roles=("manager", "admin"),
    )
)
async def import_visits(request: Request) -> Response:
    active = await staff_session_for_change(request)
    state = _state(request)
    parsed = _parse_body(
        request.headers.get("content-type", ""), await read_body(request, MAX_IMPORT_BODY)
    )
    if parsed.problem is not None:
        raise InvalidInput("invalid_body", parsed.problem)
    check_units(parsed, {u.id for u in await state.storage.list_units()})
    if parsed.errors:
        raise InvalidInput(
            "invalid_rows",
            f"{len(parsed.errors)} rows are invalid; nothing was imported",
            extra={
                "invalid_rows": len(parsed.errors),
                "rows": [e.to_dict() for e in parsed.errors[:MAX_REPORTED_ERRORS]],
            },
        )
    try:
        check_import_units(active.user, {r.unit_id for r in parsed.rows})
    except Forbidden as refused:
        await _audit_refusal(request, active, "stats_visits_import", refused)
        raise
    await _store(request).upsert_visits(parsed.rows, at=state.clock(), user_id=active.user.id)
    await state.audit_event(
        request,
        active.user,
        "stats_visits_import",
        result="ok",
        detail={"rows": len(parsed.rows)},
    )
    return json_response({"imported": len(parsed.rows)})


@operation(
    Operation(
        "Contacts by channel per bucket: the shift from visits to chat",
        STAFF,
        "stats",
        {200: sm.ChannelShift},
        errors={403: ("forbidden",), 404: ("unknown_queue", "unknown_unit")},
        query=sm.PeriodBucket,
        roles=("manager", "admin"),
    )
)
async def channel_shift(request: Request) -> Response:
    _, units, _ = await scope(request)
    period = parse_period(request.query_params)
    bucket = parse_bucket(request.query_params)
    buckets = await service.channel_shift(_store(request), units, period, bucket)
    return json_response({"buckets": [b.to_dict() for b in buckets]})


@operation(
    Operation(
        "Operational figures of the period (audited)",
        STAFF,
        "stats",
        {200: sm.Operations},
        errors={
            403: ("forbidden",),
            404: ("unknown_queue", "unknown_unit"),
            503: ("audit_unavailable",),
        },
        query=sm.Period,
        extension=True,
        roles=("manager", "admin"),
    )
)
async def operations(request: Request) -> Response:
    active, units, queue = await scope(request)
    period = parse_period(request.query_params)
    await audit_read(request, active, "stats_operations", units, queue)
    return json_response(await service.operations(_store(request), units, period, queue))


@operation(
    Operation(
        "Screen, follow-up and safety-net figures",
        STAFF,
        "stats",
        {200: sm.TriageSafety},
        errors={403: ("forbidden",), 404: ("unknown_queue", "unknown_unit")},
        query=sm.Period,
        extension=True,
        roles=("manager", "admin"),
    )
)
async def triage_safety(request: Request) -> Response:
    """Screen, follow-up and safety-net figures (docs/statistics.md "Triage safety")."""
    _, units, queue = await scope(request)
    period = parse_period(request.query_params)
    start, end = period.bounds
    events = await _store(request).safety_events(ContactFilter(tuple(units), start, end, queue))
    return json_response({"units": units, **summarize(events)})


@operation(
    Operation(
        "Queues and staff of the caller's units now (counts only)",
        STAFF,
        "stats",
        {200: sm.NowFigures},
        errors={403: ("forbidden",), 404: ("unknown_queue", "unknown_unit")},
        query=sm.Scope,
        extension=True,
        roles=("manager", "admin"),
    )
)
async def now_figures(request: Request) -> Response:
    """``GET /api/stats/now``: queues and staff of the caller's units at this
    moment (counts only, not audited: no patient data; docs/statistics.md)."""
    _, unit_ids, _ = await scope(request)
    state = _state(request)
    db = state.storage
    staff = await db.read(now.staff_of_units(db.dialect, unit_ids))
    chats = await db.read(now.open_chats(db.dialect, unit_ids))
    views = await state.queues.staff_view(unit_ids)
    queues = [
        now.QueueNow(
            v.queue.id, v.queue.unit_id, v.queue.name, v.summary.count, v.summary.oldest_wait_s
        )
        for v in views
    ]
    online = await _online(state, {s.user_id for s in staff})
    names = {u.id: u.name for u in await state.storage.list_units()}
    units = [(u, names.get(u, u)) for u in unit_ids]
    return json_response(
        {"at": state.clock(), "units": now.now_view(units, queues, staff, online, chats)}
    )


async def _online(state: AppState, user_ids: set[int]) -> set[int]:
    """Who of ``user_ids`` has a staff socket here or, with Redis, on another
    instance (when Redis cannot answer: this instance's alone)."""
    online = {u for u in user_ids if state.hub.user_connected(u)}
    shared = state.presence.shared
    if shared is not None and user_ids - online:
        try:
            seen = await shared.seen("staff", [str(u) for u in sorted(user_ids - online)])
        except PresenceUnknown:
            return online
        online |= {int(k) for k, s in seen.items() if s.connected}
    return online


@operation(
    Operation(
        "Units and queues the caller may see statistics of",
        STAFF,
        "stats",
        {200: sm.StatsUnits},
        errors={403: ("forbidden",), 404: ("unknown_queue", "unknown_unit")},
        extension=True,
        roles=("manager", "admin"),
    )
)
async def stats_units(request: Request) -> Response:
    """Units (with their queues) the caller may see statistics of, for the filters."""
    active = await current_session(request)
    state = _state(request)
    all_units = await state.storage.list_units()
    units, _ = resolve_scope(active.user, {}, [u.id for u in all_units], [])
    queues = await state.storage.list_queues(units)
    return json_response(
        {
            "units": [
                {
                    "id": u.id,
                    "name": u.name,
                    "queues": [{"id": q.id, "name": q.name} for q in queues if q.unit_id == u.id],
                }
                for u in all_units
                if u.id in units
            ]
        }
    )


# The per-contact export: a year of the busiest region in the benchmark is
# ~1,000,000 rows; one request may hold at most half of that in memory.
MAX_EXPORT_ROWS = 500_000


def _csv_response(table: Table, filename: str) -> Response:
    return Response(
        to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


async def _tables(request: Request, units: list[str], queue: str | None) -> dict[str, Table]:
    period = parse_period(request.query_params)
    store = _store(request)
    if request.path_params.get("name") == "channel_shift":
        bucket = parse_bucket(request.query_params)
        return {
            "channel_shift": channel_table(
                await service.channel_shift(store, units, period, bucket)
            )
        }
    return operations_tables(await service.operations(store, units, period, queue))


@operation(
    Operation(
        "One statistics table as CSV (audited)",
        STAFF,
        "stats",
        {200: Reply(None, "text/csv")},
        errors={
            403: ("forbidden",),
            404: ("not_found", "unknown_queue", "unknown_unit"),
            503: ("audit_unavailable",),
        },
        query=sm.PeriodBucket,
        extension=True,
        roles=("manager", "admin"),
    )
)
async def table_csv(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in TABLE_NAMES:
        raise NotFoundError("not_found", "no such table")
    active, units, queue = await scope(request)
    tables = await _tables(request, units, queue)  # validates the period first
    await audit_read(request, active, "stats_export_table", units, queue, table=name)
    table = tables[name]
    return _csv_response(table, f"{name}.csv")


CHARTS = ("chat-share", "shifted", "outcomes", "triage-levels", "busiest-hours")


@operation(
    Operation(
        "A chart as SVG (lang sv or en)",
        STAFF,
        "stats",
        {200: Reply(None, "image/svg+xml")},
        errors={
            403: ("forbidden",),
            404: ("not_found", "unknown_queue", "unknown_unit"),
        },
        query=sm.ChartQuery,
        extension=True,
        roles=("manager", "admin"),
    )
)
async def chart_svg(request: Request) -> Response:
    """``lang=sv`` (default) or ``en`` for the title and labels."""
    name = request.path_params["name"]
    if name not in CHARTS:
        raise NotFoundError("not_found", "no such chart")
    lang = request.query_params.get("lang", "sv")
    if lang not in LANGS:
        raise InvalidInput("invalid_field", "unknown language", fields={"lang": "sv or en"})
    _, units, queue = await scope(request)
    period = parse_period(request.query_params)
    store = _store(request)
    cid, heading = f"chart-{name}", title(name, lang)
    if name in ("chat-share", "shifted"):
        buckets = await service.channel_shift(store, units, period, "week")
        if name == "chat-share":  # no share without imported visits ("no data")
            buckets = [b for b in buckets if b.visits_imported]
        labels = [b.start.isoformat()[5:] for b in buckets]
        if name == "chat-share":
            values = [b.chat_share for b in buckets]
            svg = charts.bar_chart(cid, heading, labels, values, percent=True)
        else:
            values = [float(b.chat.shifted_from_physical) for b in buckets]
            svg = charts.bar_chart(cid, heading, labels, values)
    else:
        tables = operations_tables(await service.operations(store, units, period, queue))
        if name == "busiest-hours":
            rows = tables["busiest_hours"].rows
            grid = [[int(v) for v in r[1:]] for r in rows]
            svg = charts.heatmap(cid, heading, [label(str(r[0]), lang) for r in rows], grid)
        else:
            rows = tables["outcomes" if name == "outcomes" else "triage_levels"].rows
            svg = charts.hbar_chart(
                cid, heading, [label(str(r[0]), lang) for r in rows], [float(r[1]) for r in rows]
            )
    return Response(svg, media_type="image/svg+xml; charset=utf-8")


@operation(
    Operation(
        "Per-contact export, CSV or JSON (audited)",
        STAFF,
        "stats",
        {200: Reply(sm.ContactsExport, also=("text/csv",))},
        errors={
            403: ("forbidden",),
            404: ("not_found", "unknown_queue", "unknown_unit"),
            422: ("too_many_rows",),
            503: ("audit_unavailable",),
        },
        query=sm.Period,
        extension=True,
        roles=("manager", "admin"),
    )
)
async def export_contacts(request: Request) -> Response:
    fmt = request.path_params["fmt"]
    if fmt not in ("csv", "json"):
        raise NotFoundError("not_found", "contacts.csv or contacts.json")
    active, units, queue = await scope(request)
    period = parse_period(request.query_params)
    start, end = period.bounds
    # Audited before the rows are read or handed out.
    await audit_read(request, active, "stats_export_contacts", units, queue, format=fmt)
    rows = await _store(request).contact_rows(
        ContactFilter(tuple(units), start, end, queue), MAX_EXPORT_ROWS + 1
    )
    if len(rows) > MAX_EXPORT_ROWS:
        raise InvalidInput(
            "too_many_rows",
            f"more than {MAX_EXPORT_ROWS} contacts; choose a shorter period or one unit",
        )
    table = contact_export(rows)
    if fmt == "csv":
        return _csv_response(table, "contacts.csv")
    header = table.header
    return json_response({"contacts": [dict(zip(header, r, strict=True)) for r in table.rows]})


@operation(
    Operation(
        "Every statistics table as JSON (audited)",
        STAFF,
        "stats",
        {200: sm.Tables},
        errors={
            403: ("forbidden",),
            404: ("unknown_queue", "unknown_unit"),
            503: ("audit_unavailable",),
        },
        query=sm.PeriodBucket,
        extension=True,
        roles=("manager", "admin"),
    )
)
async def tables_json(request: Request) -> Response:
    """Every dashboard table (channel shift per week, then the operations tables)."""
    active, units, queue = await scope(request)
    period = parse_period(request.query_params)
    await audit_read(request, active, "stats_tables", units, queue)
    store = _store(request)
    buckets = await service.channel_shift(store, units, period, "week")
    ops = await service.operations(store, units, period, queue)
    tables = [channel_table(buckets), *operations_tables(ops).values()]
    return json_response({"tables": [t.to_dict() for t in tables]})


def routes() -> list[BaseRoute]:
    return [
        Route("/api/stats/tables", tables_json),
        Route("/api/stats/tables/{name}.csv", table_csv),
        Route("/api/stats/charts/{name}.svg", chart_svg),
        Route("/api/stats/export/contacts.{fmt:str}", export_contacts),
        Route("/api/stats/visits", import_visits, methods=["POST"]),
        Route("/api/stats/channel-shift", channel_shift),
        Route("/api/stats/operations", operations),
        Route("/api/stats/triage-safety", triage_safety),
        Route("/api/stats/units", stats_units),
        Route("/api/stats/now", now_figures),
    ]
