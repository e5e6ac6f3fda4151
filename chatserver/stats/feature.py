"""The statistics as a feature module (``FEATURE_MODULES`` in chatserver/app.py)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import http

__all__ = ["routes"]


def routes() -> list[BaseRoute]:
    return http.routes()
