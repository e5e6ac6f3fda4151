"""JSON in and out over HTTP, with the contract's error shape and size limits."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from chatserver.errors import InvalidInput, TooLarge
from chatserver.http.params import MAX_INT_CHARS

# 64 KiB: an intake is at most ~2,000 characters of text plus a few fields;
# a visits import of a year of daily rows for a unit is well under this too.
MAX_JSON_BODY = 64 * 1024
# Bulk imports (CSV or JSON rows for many units) may be larger.
MAX_IMPORT_BODY = 8 * 1024 * 1024


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(data), status_code=status, media_type="application/json", headers=headers
    )


def model_response(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A response model as JSON: the body is the model the OpenAPI document
    describes (chatserver/contract), so the two cannot drift. Fields left at
    their default are left out (an optional field is absent, not null)."""
    return json_response(model.model_dump(mode="json", exclude_unset=True), status, headers)


async def read_body(request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        # ASCII digits only ("²" passes isdigit), and no int() of thousands of them.
        if not declared.isascii() or not declared.isdigit():
            raise InvalidInput("invalid_body", "bad Content-Length")
        if len(declared) > MAX_INT_CHARS or int(declared) > limit:
            raise TooLarge("body_too_large", f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge("body_too_large", f"the body is larger than {limit} bytes")
    return bytes(body)


async def read_json(request: Request, limit: int = MAX_JSON_BODY) -> Any:
    body = await read_body(request, limit)
    if not body.strip():
        raise InvalidInput("invalid_json", "the body is empty; send a JSON object")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise InvalidInput("invalid_json", "the body is not valid JSON") from None


async def read_json_object(request: Request, limit: int = MAX_JSON_BODY) -> dict[str, Any]:
    data = await read_json(request, limit)
    if not isinstance(data, dict):
        raise InvalidInput("invalid_body", "the body must be a JSON object")
    return data
