"""A real OpenID Connect provider for the sign-in tests: ``oidc-provider-mock``
run as its own process on a free loopback port (one per test session and
side), and an app configured as its relying party.

The provider is a real Authlib authorization server: discovery, JWKS, RS256 ID
tokens, one-time codes. Users and their claims are set over its HTTP API
(``PUT /users/{sub}``); its consent form is "submitted" by a POST of ``sub``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed
from tests.live import START_TIMEOUT_S

PUBLIC_URL = "http://testserver"
PNR_CLAIM = "https://id.oidc.se/claim/personalIdentityNumber"


@dataclass(frozen=True)
class Issuer:
    """One running provider process."""

    url: str

    def set_user(self, sub: str, claims: dict[str, object]) -> None:
        r = httpx.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        assert r.status_code == 204, r.text

    def authorize(self, authorize_url: str, sub: str) -> str:
        """The user ``sub`` consents: the provider's redirect back to us (a URL)."""
        r = httpx.post(authorize_url, data={"sub": sub}, timeout=10)
        assert r.status_code == 302, r.text
        return r.headers["location"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(log: Path) -> tuple[subprocess.Popen[bytes], Issuer]:
    port = _free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port)],
            stdout=out,
            stderr=out,
            env={**os.environ, "NO_COLOR": "1"},
        )
    issuer = Issuer(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{issuer.url}/.well-known/openid-configuration").status_code == 200:
                return proc, issuer
        except httpx.TransportError:
            time.sleep(0.05)
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"the OIDC provider did not start: {log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def issuers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Issuer, Issuer]]:
    """Two providers: the patients' broker and the staff IdP (different keys, issuers)."""
    logs = tmp_path_factory.mktemp("oidc")
    started = [_start(logs / "patient.log"), _start(logs / "staff.log")]
    try:
        yield started[0][1], started[1][1]
    finally:
        for proc, _ in started:
            proc.terminate()
            proc.wait(timeout=10)


@pytest.fixture
def patient_issuer(issuers: tuple[Issuer, Issuer]) -> Issuer:
    return issuers[0]


@pytest.fixture
def staff_issuer(issuers: tuple[Issuer, Issuer]) -> Issuer:
    return issuers[1]


def oidc_settings(base: Settings, patient: str, staff: str) -> Settings:
    return base.model_copy(
        update={
            "public_url": PUBLIC_URL,
            "patient_oidc_issuer": patient,
            "patient_oidc_client_id": "chat-patient",
            "patient_oidc_client_secret": SecretStr("patient-secret"),
            "staff_oidc_issuer": staff,
            "staff_oidc_client_id": "chat-staff",
            "staff_oidc_client_secret": SecretStr("staff-secret"),
        }
    )


@pytest.fixture
def oidc_client(
    settings: Settings, seed: Seed, patient_issuer: Issuer, staff_issuer: Issuer
) -> Iterator[TestClient]:
    """An in-memory app that is the relying party of both providers."""
    app = create_app(oidc_settings(settings, patient_issuer.url, staff_issuer.url))
    with TestClient(app, headers={"origin": ORIGIN}, follow_redirects=False) as c:
        yield c


def callback_path(url: str) -> str:
    """The path and query of a redirect to our callback."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL, url
    return f"{parts.path}?{parts.query}"
