"""Sign-in off the event loop: argon2 on a bounded pool, only failures throttled.

* 20 successful sign-ins from one address (a clinic behind one NAT at shift
  start) get no 429; failures are counted, and their limit is a setting.
* A full password pool answers 503 ``busy`` with ``Retry-After`` at once,
  without counting a failure against the address or the account.
* The structural property: while four argon2 verifications run, the event
  loop keeps ticking (no stall longer than half of one verification).
  The ack-latency ratio itself is measured by loadtests/login_stall.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from chatserver.access.password_pool import PasswordPool
from chatserver.access.passwords import verify_password
from chatserver.access.sessions import SessionService
from chatserver.app import create_app, open_storage
from chatserver.errors import ChatError, ServiceUnavailable
from chatserver.settings import Settings
from tests.helpers import ORIGIN, PASSWORD, password_hash, seed_directory
from tests.security.conftest import state_of


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # No second factor: one account may sign in twenty times in a minute
    # (a TOTP code signs in once).
    return Settings(data_dir=tmp_path / "data", require_otp=False)


def _login(c: TestClient, username: str, password: str) -> tuple[int, str, str | None]:
    r = c.post("/api/staff/login", json={"username": username, "password": password})
    return r.status_code, r.json().get("error", {}).get("code", "ok"), r.headers.get("retry-after")


def _client(settings: Settings) -> TestClient:
    asyncio.run(seed_directory(settings))
    return TestClient(create_app(settings), headers={"origin": ORIGIN})


def test_twenty_successful_sign_ins_from_one_address(settings: Settings) -> None:
    with _client(settings) as c:
        answers = [_login(c, "nurse1", PASSWORD)[0] for _ in range(20)]
        assert answers == [200] * 20
        # Failures still count: ten wrong guesses, then even the right password waits.
        wrong = [_login(c, f"user{i}", "wrong-password")[0] for i in range(10)]
        assert wrong == [401] * 10
        assert _login(c, "nurse1", PASSWORD) == (429, "rate_limited", "60")


def test_failure_limit_is_a_setting(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", require_otp=False, login_failure_rate_limit="3/minute"
    )
    with _client(settings) as c:
        assert [_login(c, f"user{i}", "wrong")[0] for i in range(3)] == [401] * 3
        assert _login(c, "nurse1", PASSWORD)[:2] == (429, "rate_limited")


def test_full_pool_answers_busy_and_counts_nothing(settings: Settings) -> None:
    with _client(settings) as c:
        pool = state_of(c).sessions.passwords
        pool.in_use = pool.capacity  # every thread busy and the queue full
        try:
            for _ in range(12):  # more than the failure limit: none of them counts
                assert _login(c, "nurse1", "wrong-password") == (503, "busy", "1")
        finally:
            pool.in_use = 0
        assert _login(c, "nurse1", PASSWORD)[0] == 200


async def test_pool_queue_is_bounded() -> None:
    pool = PasswordPool(workers=1, queue=1)
    release = threading.Event()
    try:
        running = asyncio.ensure_future(pool.run(release.wait, 5))
        waiting = asyncio.ensure_future(pool.run(release.wait, 5))
        await asyncio.sleep(0.05)
        with pytest.raises(ServiceUnavailable) as refused:
            await pool.run(release.wait, 5)
        assert refused.value.code == "busy"
        assert refused.value.extra == {"retry_after_s": 1}
        release.set()
        assert await running is True
        assert await waiting is True
        assert pool.in_use == 0
    finally:
        release.set()
        pool.close()


async def test_event_loop_keeps_ticking_while_four_hashes_run(tmp_path: Path) -> None:
    """Before the pool, each verification blocked the loop for its whole length."""
    hashed = password_hash()
    t0 = time.perf_counter()
    verify_password(hashed, "wrong-password")
    one_hash_s = time.perf_counter() - t0

    settings = Settings(data_dir=tmp_path / "data", require_otp=False, password_workers=4)
    await seed_directory(settings)
    storage = open_storage(settings)
    await storage.open()
    sessions = SessionService(storage, settings, time.time)
    try:
        stop = asyncio.Event()
        lags: list[float] = []

        async def ticker() -> None:
            while not stop.is_set():
                before = time.perf_counter()
                await asyncio.sleep(0.005)
                lags.append(time.perf_counter() - before - 0.005)

        async def fail(i: int) -> None:
            with pytest.raises(ChatError):
                await sessions.login("nurse1", f"wrong-{i}", None)

        tick = asyncio.create_task(ticker())
        t0 = time.perf_counter()
        await asyncio.gather(*(fail(i) for i in range(4)))
        busy_s = time.perf_counter() - t0
        stop.set()
        await tick
    finally:
        sessions.passwords.close()
        await storage.close()
    # The four hashes took at least one hash's time, and the loop was never
    # held for half of one (it was held for all four, one after the other).
    assert busy_s >= one_hash_s * 0.5
    assert max(lags) < one_hash_s / 2, (max(lags), one_hash_s)
    assert len(lags) >= 5
