"""Staff sign-in: second factor, generic errors, equal cost, lockout with back-off, rehash."""

from __future__ import annotations

import asyncio
from typing import Literal

import argon2
import pyotp
import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from chatserver.access import passwords
from chatserver.access.passwords import verify_password
from chatserver.app import create_app, open_storage
from chatserver.audit import AuditQuery, audit_log_of
from chatserver.settings import Settings
from tests.helpers import PASSWORD, Seed
from tests.security.conftest import FakeClock, state_of


def _otp_at(seed: Seed, username: str, clock: FakeClock) -> str:
    secret = seed[username].otp_secret
    assert secret is not None
    return pyotp.TOTP(secret).at(clock.now)


def _login(c: TestClient, username: str, password: str, otp: str | None = None) -> tuple[int, str]:
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    r = c.post("/api/staff/login", json=body)
    return r.status_code, r.json().get("error", {}).get("code", "ok")


def _events(c: TestClient, action: str) -> list[tuple[str | None, str, dict[str, object]]]:
    store = audit_log_of(state_of(c)).store
    found = c.portal.call(store.query, AuditQuery(action=action))  # type: ignore[union-attr]
    return [(e.actor_username, e.result, dict(e.detail)) for e in found]


def test_otp_required_without_code(clocked: TestClient, seed: Seed) -> None:
    """Right password without a code: 401 otp_required; with the code: 200."""
    assert _login(clocked, "nurse1", PASSWORD) == (401, "otp_required")
    assert _login(clocked, "nurse1", PASSWORD, seed["nurse1"].otp()) == (200, "ok")


def test_generic_errors(clocked: TestClient, seed: Seed) -> None:
    """Unknown user, wrong password and wrong code all answer invalid_credentials."""
    assert _login(clocked, "nobody", "whatever1") == (401, "invalid_credentials")
    assert _login(clocked, "nurse1", "wrong-password") == (401, "invalid_credentials")
    assert _login(
        clocked, "nurse1", PASSWORD, "000000" if seed["nurse1"].otp() != "000000" else "111111"
    ) == (401, "invalid_credentials")


def test_non_ascii_code_is_a_wrong_code(clocked: TestClient) -> None:
    """A code with non-ASCII characters answers invalid_credentials (it was a 500)."""
    assert _login(clocked, "nurse1", PASSWORD, "12345\u00e9") == (401, "invalid_credentials")


def test_otp_replay_refused(clocked: TestClient, seed: Seed) -> None:
    """A code that signed in once is not accepted a second time."""
    code = seed["nurse1"].otp()
    assert _login(clocked, "nurse1", PASSWORD, code) == (200, "ok")
    assert _login(clocked, "nurse1", PASSWORD, code) == (401, "invalid_credentials")


class _CountingHasher(PasswordHasher):
    """argon2-cffi's hasher recording the parameters of every hash it verifies."""

    def __init__(self, real: PasswordHasher) -> None:
        super().__init__(
            real.time_cost,
            real.memory_cost,
            real.parallelism,
            real.hash_len,
            real.salt_len,
            type=real.type,
        )
        self.verified: list[argon2.Parameters] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        text = hash.decode() if isinstance(hash, bytes) else hash
        self.verified.append(argon2.extract_parameters(text))
        return super().verify(hash, password)


def test_unknown_user_costs_one_verification_like_a_wrong_password(
    clocked: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown user and wrong password each run exactly one argon2 verification with the
    same parameters, so they cost the same (timing itself is measured by
    `python -m loadtests.login_timing`, not asserted here)."""
    counting = _CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", counting)
    state = state_of(clocked)
    per_name: dict[str, list[argon2.Parameters]] = {}
    for name in ("nobody-here", "doctor1"):
        state.limits.storage.reset()  # neither throttle is under test here
        counting.verified.clear()
        assert _login(clocked, name, "wrong-password-x") == (401, "invalid_credentials")
        per_name[name] = list(counting.verified)
    assert len(per_name["nobody-here"]) == len(per_name["doctor1"]) == 1
    assert per_name["nobody-here"] == per_name["doctor1"]


def test_lockout_with_backoff(clocked: TestClient, clock: FakeClock, seed: Seed) -> None:
    """5 failures lock a name for 15 min, the next lockout 30 min; every lockout is audited."""
    for _ in range(5):
        assert _login(clocked, "nurse2", "wrong-password") == (401, "invalid_credentials")
    # Locked: even the right password and code are refused.
    assert _login(clocked, "nurse2", PASSWORD, _otp_at(seed, "nurse2", clock)) == (
        429,
        "rate_limited",
    )
    clock.advance(15 * 60 + 1)
    state_of(clocked).limits.storage.reset()  # the per-address limit is not under test here
    for _ in range(5):
        assert _login(clocked, "nurse2", "wrong-password") == (401, "invalid_credentials")
    clock.advance(15 * 60 + 1)
    assert _login(clocked, "nurse2", PASSWORD, _otp_at(seed, "nurse2", clock)) == (
        429,
        "rate_limited",
    )
    clock.advance(15 * 60)
    assert _login(clocked, "nurse2", PASSWORD, _otp_at(seed, "nurse2", clock)) == (200, "ok")
    lockouts = _events(clocked, "lockout")
    assert lockouts == [
        (None, "locked", {"username": "nurse2", "lock_s": 900, "address": "testclient"}),
        (None, "locked", {"username": "nurse2", "lock_s": 1800, "address": "testclient"}),
    ]
    assert [r for _, r, _ in _events(clocked, "login_locked")] == ["rate_limited", "rate_limited"]


def test_unknown_names_lock_too(clocked: TestClient) -> None:
    """A lockout does not reveal whether an account exists: unknown names lock the same way."""
    for _ in range(5):
        assert _login(clocked, "ghost", "wrong-password") == (401, "invalid_credentials")
    assert _login(clocked, "ghost", "wrong-password") == (429, "rate_limited")


def test_login_per_address_limit(clocked: TestClient) -> None:
    """The 11th attempt within a minute from one address gets 429."""
    answers = [_login(clocked, f"user{i}", "wrong-password")[0] for i in range(11)]
    assert answers == [401] * 10 + [429]


def test_rehash_when_parameters_change(settings: Settings, seed: Seed, clocked: TestClient) -> None:
    """A hash made with older (weaker) parameters is replaced at the next sign-in."""
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)

    async def set_weak() -> None:
        storage = open_storage(settings)
        await storage.open()
        try:
            await storage.set_password_hash(seed["doctor1"].id, weak)
        finally:
            await storage.close()

    asyncio.run(set_weak())
    assert _login(clocked, "doctor1", PASSWORD, seed["doctor1"].otp()) == (200, "ok")
    user = clocked.portal.call(state_of(clocked).storage.get_user, seed["doctor1"].id)  # type: ignore[union-attr]
    assert user is not None
    assert user.password_hash != weak
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(user.password_hash, PASSWORD) is True


def test_session_cookie_flags(clocked: TestClient, seed: Seed) -> None:
    """The session cookie is HttpOnly and SameSite=Strict, with 256 random bits."""
    r = clocked.post(
        "/api/staff/login",
        json={"username": "nurse1", "password": PASSWORD, "otp": seed["nurse1"].otp()},
    )
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("chat_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/" in cookie
    value = cookie.split(";", 1)[0].split("=", 1)[1]
    assert len(value) == 43  # token_urlsafe(32): 256 bits


def test_tls_cookie_has_host_prefix(tmp_path: object, seed: Seed, settings: Settings) -> None:
    """Over TLS the cookie is __Host-chat_session, Secure, and HSTS is sent."""
    tls_settings = settings.model_copy(update={"tls": True})
    app = create_app(tls_settings)
    with TestClient(
        app, base_url="https://testserver", headers={"origin": "https://testserver"}
    ) as c:
        r = c.post(
            "/api/staff/login",
            json={"username": "nurse1", "password": PASSWORD, "otp": seed["nurse1"].otp()},
        )
        assert r.status_code == 200
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("__Host-chat_session=")
        assert "Secure" in cookie
        assert r.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"


def test_new_session_on_every_login(clocked: TestClient, seed: Seed, clock: FakeClock) -> None:
    """Each sign-in makes a new session id (no fixation): the old cookie value is not reused."""
    first = clocked.post(
        "/api/staff/login",
        json={"username": "nurse1", "password": PASSWORD, "otp": seed["nurse1"].otp()},
    ).headers["set-cookie"]
    clock.advance(31)  # the next TOTP step (the last code may not be replayed)
    second = clocked.post(
        "/api/staff/login",
        json={"username": "nurse1", "password": PASSWORD, "otp": seed["nurse1"].otp(1)},
    ).headers["set-cookie"]
    assert first.split(";")[0] != second.split(";")[0]
