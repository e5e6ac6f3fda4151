"""Test helpers: seeding, sign-in, intake and frame assertions."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Any

import pyotp
from starlette.testclient import TestClient

from chatserver.access.passwords import hash_password
from chatserver.access.sessions import new_totp_secret
from chatserver.app import open_storage
from chatserver.cli.common import add_unit
from chatserver.settings import Settings

# TestClient's own origin: the service's origin is always allowed.
ORIGIN = "http://testserver"
PASSWORD = "correct horse battery"


@dataclass
class Account:
    username: str
    role: str
    units: tuple[str, ...]
    otp_secret: str | None
    id: int = 0
    display_name: str = ""

    def otp(self, offset_steps: int = 0) -> str | None:
        if not self.otp_secret:
            return None
        totp = pyotp.TOTP(self.otp_secret)
        return totp.at(time.time() + offset_steps * totp.interval)


@dataclass
class Seed:
    accounts: dict[str, Account] = field(default_factory=dict)

    def __getitem__(self, username: str) -> Account:
        return self.accounts[username]


ACCOUNTS = (
    ("nurse1", "nurse", ("hc1",), "Nina Nurse"),
    ("nurse2", "nurse", ("hc1",), "Nils Nurse"),
    ("doctor1", "doctor", ("hc1",), "Doris Doctor"),
    ("manager1", "manager", ("hc1",), "Maja Manager"),
    ("admin1", "admin", ("hc1",), "Adam Admin"),
    ("nurse_hc2", "nurse", ("hc2",), "Olle Other"),
)


@functools.cache
def password_hash() -> str:
    """argon2id costs ~0.2 s a hash: hash the shared test password once."""
    return hash_password(PASSWORD)


async def seed_directory(settings: Settings) -> Seed:
    storage = open_storage(settings)
    await storage.open()
    seed = Seed()
    try:
        await add_unit(storage, "hc1", "Hälsocentralen Ett", always_open=True)
        await add_unit(storage, "hc2", "Hälsocentralen Två", always_open=True)
        for username, role, units, display in ACCOUNTS:
            secret = new_totp_secret() if settings.require_otp else None
            user = await storage.add_user(
                username=username,
                display_name=display,
                role=role,
                password_hash=password_hash(),
                totp_secret=secret,
                unit_ids=list(units),
                created_at=time.time(),
            )
            seed.accounts[username] = Account(username, role, units, secret, user.id, display)
    finally:
        await storage.close()
    return seed


def login(client: TestClient, account: Account) -> str:
    """Sign in; returns the CSRF token (the session cookie stays in the client)."""
    r = client.post(
        "/api/staff/login",
        json={"username": account.username, "password": PASSWORD, "otp": account.otp()},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def intake_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "unit_id": "hc1",
        "lang": "sv",
        "age": 40,
        "name": "Petra Patient",
        "text": "Jag har haft ont i halsen i fyra dagar och vill ha råd.",
        "would_otherwise": "physical_visit",
        "acknowledge_emergency": False,
    }
    body.update(overrides)
    return body


def intake(client: TestClient, **overrides: Any) -> dict[str, Any]:
    r = client.post("/api/contacts", json=intake_body(**overrides))
    assert r.status_code in (200, 201), r.text
    data: dict[str, Any] = r.json()
    return data


def receive_until(ws: Any, type_: str, limit: int = 20) -> dict[str, Any]:
    """Skip pushes (queues, queue, typing) until a frame of ``type_`` arrives."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == type_:
            return frame
    raise AssertionError(f"no {type_!r} frame within {limit} frames")
