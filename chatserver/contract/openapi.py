"""The OpenAPI 3.1 document of the HTTP API, built from the mounted routes.

Every ``Route`` of the app is read: its path and methods from Starlette, the
rest from its handler's :class:`~chatserver.contract.spec.Operation`. Request
and response schemas are the pydantic models' own JSON Schema (validation mode
for what comes in, serialization mode for what goes out), so the document is
the code's. A route without a declaration is reported by :func:`mounted`
(``undeclared``); ``tests/contract/test_openapi.py`` fails on any.

Pure: no I/O; :mod:`chatserver.contract.http` serves the result.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema
from starlette.routing import BaseRoute, Route

from chatserver.contract.errors import ErrorDetail, error_codes
from chatserver.contract.spec import Auth, Body, Operation, contract_of

__all__ = ["SECURITY_SCHEMES", "Mounted", "build", "mounted"]

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}")

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "staffSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "chat_session",
        "description": "The staff session cookie from POST /api/staff/login "
        "(`__Host-chat_session` over TLS). Admin routes need a session of role admin.",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "The session's `csrf_token` (login answer, GET /api/staff/me); "
        "every state-changing staff request sends it.",
    },
    "patientToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The patient token from POST /api/contacts (201).",
    },
    "patientSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "chat_patient",
        "description": "The patient session cookie of a sign-in with e-legitimation "
        "(`__Host-chat_patient` over TLS).",
    },
}

_SECURITY: Mapping[Auth, list[dict[str, list[str]]]] = {
    "anyone": [],
    "patient_token": [{"patientToken": []}],
    "patient_session": [{"patientSession": []}],
    "staff": [{"staffSession": []}],
    "staff_change": [{"staffSession": [], "csrfToken": []}],
    "admin": [{"staffSession": []}],
    "admin_change": [{"staffSession": [], "csrfToken": []}],
    "patient_or_staff": [{"patientToken": []}, {"staffSession": []}],
    "patient_or_staff_change": [{"patientToken": []}, {"staffSession": [], "csrfToken": []}],
}

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    302: "Found (a redirect)",
    303: "See Other (a redirect)",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Body too large",
    422: "Invalid input",
    429: "Rate limited",
    503: "Unavailable",
}


@dataclass(frozen=True, slots=True)
class Mounted:
    path: str  # OpenAPI form: "/api/units/{unit_id}"
    method: str  # lower case
    op: Operation
    params: tuple[tuple[str, str], ...]  # (name, Starlette convertor)


def mounted(routes: Iterable[BaseRoute]) -> tuple[list[Mounted], list[str]]:
    """Declared operations of ``routes``, and ``"METHOD path"`` of undeclared ones."""
    found: list[Mounted] = []
    undeclared: list[str] = []
    for route in routes:
        if not isinstance(route, Route):
            continue  # WebSockets (docs/asyncapi.yaml) and the static Mount
        methods = sorted(m.lower() for m in (route.methods or {"GET"}) if m != "HEAD")
        op = contract_of(route.endpoint)
        if op is None:
            undeclared += [f"{m.upper()} {route.path}" for m in methods]
            continue
        path = _PARAM.sub(r"{\1}", route.path)
        convertors = re.findall(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::([a-z]+))?\}", route.path)
        params = tuple((n, c or "str") for n, c in convertors)
        found += [Mounted(path, m, op, params) for m in methods]
    return found, undeclared


def _models(ops: Iterable[Mounted]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    seen: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (ErrorDetail, "serialization"): None
    }
    for m in ops:
        for model in (m.op.query, m.op.path):
            if model is not None:
                seen[(model, "validation")] = None
        body = m.op.body.model if isinstance(m.op.body, Body) else m.op.body
        if body is not None:
            seen[(body, "validation")] = None
        for reply in m.op.replies().values():
            if reply.model is not None:
                seen[(reply.model, "serialization")] = None
    return list(seen)


def _parameters(m: Mounted) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    path_props: dict[str, Any] = {}
    if m.op.path is not None:
        path_props = m.op.path.model_json_schema(ref_template=REF).get("properties", {})
    for name, convertor in m.params:
        if name in path_props:
            schema = _absent_not_null(path_props[name])
        else:
            schema = (
                {"type": "integer"} if convertor == "int" else {"type": "string", "minLength": 1}
            )
        out.append({"name": name, "in": "path", "required": True, "schema": schema})
    if m.op.query is not None:
        full = m.op.query.model_json_schema(ref_template=REF)
        required = set(full.get("required", []))
        for name, schema in full.get("properties", {}).items():
            param: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in required,
                "schema": _absent_not_null(schema),
            }
            if "description" in schema:
                param["description"] = schema["description"]
            out.append(param)
    return out


def _absent_not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without its title: an optional one is left out,
    never ``null`` (pydantic says ``anyOf: [T, null]`` for ``T | None``)."""
    out = {k: v for k, v in schema.items() if k not in ("title", "default")}
    variants = out.get("anyOf")
    if isinstance(variants, list):
        kept = [v for v in variants if v != {"type": "null"}]
        if len(kept) == 1:
            del out["anyOf"]
            out = {**kept[0], **out}
    if schema.get("default") is not None:
        out["default"] = schema["default"]
    return out


def _error_schema(codes: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "allOf": [
                    {"$ref": REF.format(model="ErrorDetail")},
                    {"properties": {"code": {"enum": list(codes)}}},
                ]
            }
        },
    }


def _operation(m: Mounted, schemas: Mapping[tuple[Any, JsonSchemaMode], Any]) -> dict[str, Any]:
    op = m.op
    out: dict[str, Any] = {
        # From the method and path: unique, stable, readable (get_api_units_unit_id).
        "operationId": re.sub(r"[^A-Za-z0-9]+", "_", f"{m.method}{m.path}").strip("_"),
        "summary": op.summary,
        "tags": [op.tag],
        "security": _SECURITY[op.auth],
        "x-contract": "extension" if op.extension else "contract",
    }
    if op.description:
        out["description"] = op.description
    if op.roles:
        out["x-roles"] = list(op.roles)
    params = _parameters(m)
    if params:
        out["parameters"] = params
    if isinstance(op.body, Body):
        content = {
            t: {"schema": schemas[(op.body.model, "validation")]} if op.body.model else {}
            for t in op.body.media_types
        }
        out["requestBody"] = {"required": True, "content": content}
        if op.body.description:
            out["requestBody"]["description"] = op.body.description
    elif op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas[(op.body, "validation")]}},
        }
    responses: dict[str, Any] = {}
    for status, reply in sorted(op.replies().items()):
        entry: dict[str, Any] = {"description": reply.description or _REASONS.get(status, "")}
        if reply.model is not None:
            entry["content"] = {
                reply.media_type: {"schema": schemas[(reply.model, "serialization")]}
            }
        elif status not in (204, 302, 303):
            entry["content"] = {reply.media_type: {"schema": {"type": "string"}}}
        for media in reply.also:
            entry.setdefault("content", {})[media] = {"schema": {"type": "string"}}
        if reply.headers:
            entry["headers"] = {h: {"schema": {"type": "string"}} for h in reply.headers}
        responses[str(status)] = entry
    for status, codes in error_codes(op).items():
        schema = _error_schema(codes)
        entry = responses.get(str(status), {})
        if "content" in entry:  # a documented body of its own too (GET /readyz: 503)
            own = entry["content"]["application/json"]["schema"]
            schema = {"anyOf": [own, schema]}
        entry = {
            "description": f"{_REASONS.get(status, 'Error')}: " + ", ".join(codes),
            "content": {"application/json": {"schema": schema}},
        }
        if status in (429, 503):
            entry["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
        responses[str(status)] = entry
    out["responses"] = responses
    return out


def build(ops: Iterable[Mounted], *, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``ops``."""
    ops = list(ops)
    schemas, defs = models_json_schema(_models(ops), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for m in sorted(ops, key=lambda o: (o.path, o.method)):
        paths.setdefault(m.path, {})[m.method] = _operation(m, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hälsocentralchatt HTTP API",
            "version": version,
            "description": "The patient chat's HTTP API. The WebSocket endpoints "
            "(/ws/patient, /ws/staff) are described in docs/asyncapi.yaml; "
            "the whole contract in docs/protocol.md. Operations marked "
            "`x-contract: extension` are this service's additions to the contract.",
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
