"""The service's machine-readable contract.

``GET /openapi.json`` (OpenAPI 3.1) and ``GET /api/docs`` (:mod:`.http`, a
feature module) are built from the routes' own declarations (:mod:`.spec`)
and pydantic models (:mod:`.openapi`); ``docs/asyncapi.yaml`` (AsyncAPI 3.0)
from the WebSocket frame models (:mod:`.asyncapi`). Route modules import
:mod:`chatserver.contract.spec` only, so this package imports nothing here.
"""
