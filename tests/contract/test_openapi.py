"""The OpenAPI document: built from every mounted route, served at
``/openapi.json``, readable at ``/api/docs``."""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.contract.errors import error_codes
from chatserver.contract.http import document
from chatserver.contract.openapi import build, mounted
from chatserver.contract.reference import render
from chatserver.contract.spec import (
    ADMIN_CHANGE,
    ANYONE,
    STAFF,
    Body,
    Operation,
    Reply,
    contract_of,
    operation,
)
from chatserver.core.urgency import LEVELS
from chatserver.http import models
from chatserver.settings import Settings

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def doc(settings: Settings) -> dict[str, Any]:
    return document(list(create_app(settings).routes))


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in doc["paths"].items()
        for method in METHODS
        if method in item
    ]


def test_every_mounted_route_is_declared(settings: Settings) -> None:
    """A route added without an Operation fails here, naming it."""
    app = create_app(settings)
    ops, undeclared = mounted(app.routes)
    assert undeclared == []
    paths = {(m.method, m.path) for m in ops}
    for route in app.routes:
        if isinstance(route, Route):
            for method in route.methods or ():
                if method != "HEAD":
                    path = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path)
                    assert (method.lower(), path) in paths


def test_an_undeclared_route_is_reported() -> None:
    """mounted() names a route whose handler has no declaration; WebSockets are skipped."""

    async def bare(request: Request) -> Response:
        return Response("")

    ops, undeclared = mounted(
        [Route("/x/{n:int}", bare, methods=["GET", "POST"]), WebSocketRoute("/ws", bare)]
    )
    assert ops == []
    assert undeclared == ["GET /x/{n:int}", "POST /x/{n:int}"]


def test_document_is_openapi_3_1_with_the_security_schemes(doc: dict[str, Any]) -> None:
    """Valid against the OpenAPI 3.1 schema; the four security schemes, unique
    operation ids, an x-contract mark."""
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on any violation of the specification
    assert set(doc["components"]["securitySchemes"]) == {
        "staffSession",
        "csrfToken",
        "patientToken",
        "patientSession",
    }
    ops = _operations(doc)
    ids = [op["operationId"] for _, _, op in ops]
    assert len(ids) == len(set(ids))
    assert {op["x-contract"] for _, _, op in ops} == {"contract", "extension"}


def test_contract_operations_are_in_the_document(doc: dict[str, Any]) -> None:
    """The contract's routes (v1, v1.1) are there, marked as the contract."""
    wanted = {
        ("get", "/livez"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/api/units"),
        ("post", "/api/contacts"),
        ("get", "/api/intake/questions"),
        ("post", "/api/staff/login"),
        ("post", "/api/staff/logout"),
        ("get", "/auth/patient/login"),
        ("get", "/auth/patient/callback"),
        ("get", "/auth/staff/login"),
        ("get", "/auth/staff/callback"),
        ("get", "/api/patient/me"),
        ("get", "/openapi.json"),
    }
    marked = {(m, p): op["x-contract"] for p, m, op in _operations(doc)}
    assert {marked[key] for key in wanted} == {"contract"}
    assert marked[("get", "/api/docs")] == "extension"
    assert marked[("get", "/api/staff/me")] == "extension"


def test_every_operation_documents_its_errors_with_a_code_enum(doc: dict[str, Any]) -> None:
    """Every error status has the envelope with a non-empty code enum; NUL → 422 everywhere."""
    for path, method, op in _operations(doc):
        statuses = {int(s) for s in op["responses"]}
        assert 422 in statuses, (method, path)
        assert any(s < 400 for s in statuses), (method, path)
        for status, resp in op["responses"].items():
            if int(status) < 400 or path == "/readyz":
                continue
            schema = resp["content"]["application/json"]["schema"]
            codes = schema["properties"]["error"]["allOf"][1]["properties"]["code"]["enum"]
            assert codes, (method, path, status)
        if op["security"]:
            assert "401" in op["responses"], (method, path)


def test_intake_is_described_from_its_pydantic_models(doc: dict[str, Any]) -> None:
    """POST /api/contacts: the IntakeRequest body, 200/201 models, its own error codes."""
    op = doc["paths"]["/api/contacts"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/IntakeRequest"}
    intake = doc["components"]["schemas"]["IntakeRequest"]
    assert intake["properties"]["age"]["maximum"] == 120
    assert intake["properties"]["text"]["maxLength"] == 2000
    assert set(intake["required"]) == {"unit_id", "age", "name", "text"}
    ok = op["responses"]["201"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/QueuedReply-Output"} or ok == {
        "$ref": "#/components/schemas/QueuedReply"
    }
    conflict = op["responses"]["409"]["content"]["application/json"]["schema"]
    assert conflict["properties"]["error"]["allOf"][1]["properties"]["code"]["enum"] == [
        "acknowledgement_expired",
        "already_acknowledged",
        "queue_full",
        "unit_closed",
    ]


def test_query_parameters_carry_their_bounds(doc: dict[str, Any]) -> None:
    """GET /api/intake/questions: age 0..120 required, lang sv|en optional (never null)."""
    params = {p["name"]: p for p in doc["paths"]["/api/intake/questions"]["get"]["parameters"]}
    assert params["age"]["required"] is True
    assert params["age"]["schema"]["minimum"] == 0
    assert params["age"]["schema"]["maximum"] == 120
    assert params["lang"]["required"] is False
    assert params["lang"]["schema"]["enum"] == ["sv", "en"]
    summary = {p["name"]: p for p in doc["paths"]["/api/survey/summary"]["get"]["parameters"]}
    assert summary["from"]["schema"] == {
        "type": "string",
        "pattern": r"^[0-9]{1,12}(\.[0-9]{1,9})?$",
    }


def test_staff_changes_need_the_session_and_the_csrf_header(doc: dict[str, Any]) -> None:
    """Security requirements and the errors that follow from them."""
    create = doc["paths"]["/api/admin/units"]["post"]
    assert create["security"] == [{"staffSession": [], "csrfToken": []}]
    forbidden = create["responses"]["403"]["content"]["application/json"]["schema"]
    assert forbidden["properties"]["error"]["allOf"][1]["properties"]["code"]["enum"] == [
        "csrf_failed",
        "forbidden",
        "origin_refused",
        "password_change_required",
        "totp_enrolment_required",
    ]
    assert doc["paths"]["/api/staff/me"]["get"]["security"] == [{"staffSession": []}]
    assert doc["paths"]["/api/contacts/survey"]["post"]["security"] == [{"patientToken": []}]
    assert doc["paths"]["/livez"]["get"]["security"] == []


def test_level_names_are_the_urgency_order() -> None:
    """The response models' level enum is the one urgency order."""
    assert get_args(models.Level) == LEVELS


def test_error_codes_merge_auth_body_and_own() -> None:
    """Codes from who may call, a JSON body and the route's own, per status, sorted."""

    class B(BaseModel):
        x: int

    op = Operation("s", ADMIN_CHANGE, "t", {200: B}, errors={404: ("unknown_unit",)}, body=B)
    assert error_codes(op) == {
        401: ("not_authenticated",),
        403: (
            "csrf_failed",
            "forbidden",
            "origin_refused",
            "password_change_required",
            "totp_enrolment_required",
        ),
        404: ("unknown_unit",),
        413: ("body_too_large",),
        422: ("invalid_body", "invalid_field", "invalid_json"),
        503: ("storage_unavailable",),
    }
    csv = Operation("s", ANYONE, "t", {200: B}, body=Body(("text/csv",)))
    assert error_codes(csv) == {422: ("invalid_field",), 503: ("storage_unavailable",)}


def test_replies_other_media_and_anyof_for_a_shared_status() -> None:
    """A CSV alternative is listed; a status both a reply and an error becomes anyOf."""

    class R(BaseModel):
        ok: bool

    @operation(
        Operation(
            "r",
            STAFF,
            "t",
            {200: Reply(R, also=("text/csv",)), 503: R},
            errors={503: ("busy",)},
        )
    )
    async def handler(request: Request) -> Response:
        return Response("")

    assert contract_of(handler) is not None
    assert contract_of(object()) is None
    ops, _ = mounted([Route("/r", handler)])
    out = build(ops, version="t")
    responses = out["paths"]["/r"]["get"]["responses"]
    assert set(responses["200"]["content"]) == {"application/json", "text/csv"}
    assert responses["503"]["content"]["application/json"]["schema"]["anyOf"][0] == {
        "$ref": "#/components/schemas/R"
    }


def test_served_document_and_reference_page(settings: Settings) -> None:
    """/openapi.json is the document; /api/docs lists every operation, no script or inline style."""
    app = create_app(settings)
    with TestClient(app) as client:
        served = client.get("/openapi.json")
        assert served.status_code == 200
        assert served.headers["content-type"] == "application/json"
        doc = served.json()
        assert doc == document(list(app.routes))
        page = client.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert "<script" not in html
    assert "style=" not in html
    assert "<style" not in html
    for path, method, op in _operations(doc):
        assert f"{method.upper()} {path}" in html
        assert f'id="{op["operationId"]}"' in html
    # Schema references link to the schema's own section.
    assert '<a href="#schema-IntakeRequest">&quot;IntakeRequest&quot;</a>' in html
    assert 'id="schema-IntakeRequest"' in html
    assert "Part of the contract." in html
    assert "An extension of this service." in html


def test_reference_page_escapes_the_document() -> None:
    """Text from the document cannot inject markup into the page."""
    doc = {
        "info": {"title": "<b>t</b>", "version": "1", "description": "d"},
        "paths": {
            "/x": {
                "get": {
                    "operationId": "get_x",
                    "summary": "<script>alert(1)</script>",
                    "tags": ["t"],
                    "security": [{"staffSession": []}],
                    "x-roles": ["admin"],
                    "x-contract": "extension",
                    "description": "more",
                    "parameters": [
                        {"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}
                    ],
                    "requestBody": {"content": {"text/csv": {}}},
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {"schemas": {}, "securitySchemes": {}},
    }
    html = render(doc)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "staff session cookie (roles: admin)" in html
    assert "<td><code>q</code></td><td>query</td><td>yes</td>" in html


def test_path_parameters_from_convertors_and_a_path_model() -> None:
    """An int convertor is an integer; a path model gives a parameter its bounds."""

    class Where(BaseModel):
        name: str = Field(max_length=8)

    @operation(Operation("p", ANYONE, "t", {200: Reply(None, "text/plain")}, path=Where))
    async def handler(request: Request) -> Response:
        return Response("")

    ops, _ = mounted([Route("/p/{n:int}/{name}", handler)])
    params = build(ops, version="t")["paths"]["/p/{n}/{name}"]["get"]["parameters"]
    assert params == [
        {"name": "n", "in": "path", "required": True, "schema": {"type": "integer"}},
        {
            "name": "name",
            "in": "path",
            "required": True,
            "schema": {"maxLength": 8, "type": "string"},
        },
    ]
