"""Fixtures of the security tests: an app on an injectable clock."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from chatserver.state import AppState
from tests.helpers import ORIGIN, Seed


class FakeClock:
    """Starts at the real time (TOTP codes are made from it) and moves on command."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def clocked(settings: Settings, seed: Seed, clock: FakeClock) -> Iterator[TestClient]:
    """A TestClient whose app runs on ``clock``."""
    app = create_app(settings, clock=clock)
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        yield c


def state_of(client: TestClient) -> AppState:
    state: AppState = client.app.state.chat  # type: ignore[attr-defined]
    return state
