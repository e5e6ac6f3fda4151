"""Helpers of the operations tests: a settable clock and app access."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import pyotp
from starlette.testclient import TestClient

from chatserver.admin import Operations, Sweeper, of, sweeper_of
from chatserver.admin.hours import TZ
from chatserver.state import AppState
from tests.helpers import PASSWORD, Account

T = TypeVar("T")


class Clock:
    """The app's injectable clock: time moves only when a test says so."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t

    def set(self, t: float) -> None:
        self.t = t


def local(dt: datetime) -> float:
    """A naive Stockholm wall-clock time → epoch seconds."""
    return dt.replace(tzinfo=TZ).timestamp()


def state_of(client: TestClient) -> AppState:
    state: AppState = client.app.state.chat  # type: ignore[attr-defined]
    return state


def ops_of(client: TestClient) -> Operations:
    return of(state_of(client))


def sweeper(client: TestClient) -> Sweeper:
    return sweeper_of(state_of(client))


def run(client: TestClient, fn: Callable[..., Awaitable[T]], *args: Any, **kw: Any) -> T:
    """Run a coroutine function on the app's event loop."""

    async def call() -> T:
        return await fn(*args, **kw)

    assert client.portal is not None
    return client.portal.call(call)


def sweep(client: TestClient, now: float) -> None:
    run(client, sweeper(client).sweep_once, now)


def sign_in(client: TestClient, account: Account, clock: Clock) -> dict[str, str]:
    """Sign in at the app's clock; returns the CSRF header for changes.
    (A one-time code is accepted once: sign each account in once per app.)"""
    assert account.otp_secret is not None
    otp = pyotp.TOTP(account.otp_secret).at(clock())
    r = client.post(
        "/api/staff/login",
        json={"username": account.username, "password": PASSWORD, "otp": otp},
    )
    assert r.status_code == 200, r.text
    return {"x-csrf-token": str(r.json()["csrf_token"])}
