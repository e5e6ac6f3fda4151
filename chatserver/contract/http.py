"""``GET /openapi.json`` and ``GET /api/docs`` (feature module: ``routes``).

Both are built from the app's own mounted routes on the first request and kept
on the app: the routes do not change while it runs.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from chatserver.contract import reference
from chatserver.contract.openapi import build, mounted
from chatserver.contract.spec import ANYONE, Operation, Reply, operation
from chatserver.http.util import json_response

__all__ = ["VERSION", "document", "routes"]

# The contract's version (PROTOCOL.md v1.1) and this service's revision of it.
VERSION = "1.1.0"

_CACHE = "openapi_document"


def document(app_routes: list[BaseRoute]) -> dict[str, Any]:
    ops, _ = mounted(app_routes)
    return build(ops, version=VERSION)


def _cached(request: Request) -> dict[str, Any]:
    state = request.app.state
    doc: dict[str, Any] | None = getattr(state, _CACHE, None)
    if doc is None:
        doc = document(list(request.app.routes))
        setattr(state, _CACHE, doc)
    return doc


@operation(
    Operation(
        "This document: the HTTP API as OpenAPI 3.1",
        ANYONE,
        "meta",
        {200: Reply(None, "application/json", "The OpenAPI 3.1 document")},
    )
)
async def openapi_json(request: Request) -> Response:
    return json_response(_cached(request))


@operation(
    Operation(
        "A readable reference of the HTTP API (server-rendered HTML)",
        ANYONE,
        "meta",
        {200: Reply(None, "text/html", "The reference page")},
        extension=True,
    )
)
async def api_docs(request: Request) -> Response:
    return HTMLResponse(reference.render(_cached(request)))


def routes() -> list[BaseRoute]:
    return [Route("/openapi.json", openapi_json), Route("/api/docs", api_docs)]
