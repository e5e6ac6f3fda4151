"""Fixtures of the operations tests: an app on a controlled clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.state import AppState
from tests.helpers import ORIGIN, Seed

from .util import Clock, local


@pytest.fixture
def clock() -> Clock:
    """Tuesday 24 November 2026, 10:00 in Stockholm."""
    return Clock(local(datetime(2026, 11, 24, 10, 0)))


@pytest.fixture
def audit_log() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def app_client(
    settings: Settings, seed: Seed, clock: Clock, audit_log: list[dict[str, Any]]
) -> Iterator[TestClient]:
    """The real app on ``clock``, with every audit event also recorded in ``audit_log``."""
    app = create_app(settings, clock=clock)
    state: AppState = app.state.chat
    original = state.audit_event

    async def recording(request: Any, user: Any, action: str, **kw: Any) -> None:
        audit_log.append({"action": action, "user": user.username if user else None, **kw})
        await original(request, user, action, **kw)

    state.audit_event = recording  # type: ignore[method-assign]
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        yield c
