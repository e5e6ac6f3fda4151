"""A real ``chatserver serve`` that is the OpenID Connect relying party of two
real provider processes (``oidc-provider-mock``, started as in
tests/identity/conftest.py): the patients' broker (BankID / Freja) and the
staff's SITHS identity provider. For the browser tests of the sign-in pages.

The server listens on a port chosen before it starts, so that
``CHATSERVER_PUBLIC_URL`` (the redirect URIs) is the address the browser uses.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from chatserver.app import open_storage
from chatserver.cli.common import add_unit
from chatserver.identity.login_store import set_hsa_id
from chatserver.settings import Settings
from tests.browser.conftest import require_chromium
from tests.helpers import Seed, seed_directory
from tests.identity.conftest import PNR_CLAIM, Issuer, _free_port
from tests.identity.conftest import _start as start_provider
from tests.live import LiveServer

__all__ = [
    "HSA_ID",
    "PNR",
    "PNR_CLAIM",
    "REQUIRED_UNIT",
    "OidcLive",
    "authorize",
    "block_cdn",
    "oidc_live",
    "patient_sign_in",
    "siths_sign_in",
]

# A valid personnummer (Skatteverket's test series) and an HSA-id.
PNR = "198112189876"
HSA_ID = "SE2321000016-1003"
# A unit whose patients must sign in (the others follow the global "optional").
REQUIRED_UNIT = ("req1", "Vårdcentralen Legitimation")
# The provider's authorize page links a stylesheet from a CDN: never fetched.
_CDN = re.compile(r"^https?://cdn\.jsdelivr\.net/")


@dataclass(frozen=True)
class OidcLive:
    server: LiveServer
    seed: Seed
    patient: Issuer
    staff: Issuer

    @property
    def url(self) -> str:
        return self.server.url

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """A request without any session (as an anonymous patient's script)."""
        return httpx.post(f"{self.url}{path}", json=body, headers={"origin": self.url}, timeout=10)


async def _seed(settings: Settings) -> Seed:
    seed = await seed_directory(settings)
    storage = open_storage(settings)
    await storage.open()
    try:
        await add_unit(storage, *REQUIRED_UNIT, always_open=True, identification="required")
        # Nina Nurse has a SITHS card.
        await storage.write(set_hsa_id(seed["nurse1"].username, HSA_ID))
    finally:
        await storage.close()
    return seed


@contextmanager
def oidc_live(
    tmp_path_factory: pytest.TempPathFactory, env: dict[str, str] | None = None
) -> Iterator[OidcLive]:
    """Two providers and a seeded server that trusts them (skips without Chromium)."""
    require_chromium()
    base = tmp_path_factory.mktemp("oidc-browser")
    data_dir = base / "data"
    settings = Settings(data_dir=data_dir)
    # Playwright's sync API runs an event loop in this thread: seed on another.
    with ThreadPoolExecutor(1) as pool:
        seed = pool.submit(asyncio.run, _seed(settings)).result()
    providers = [start_provider(base / "patient.log"), start_provider(base / "staff.log")]
    try:
        patient, staff = providers[0][1], providers[1][1]
        port = _free_port()
        server = LiveServer(
            data_dir,
            {
                "CHATSERVER_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "CHATSERVER_PATIENT_OIDC_ISSUER": patient.url,
                "CHATSERVER_PATIENT_OIDC_CLIENT_ID": "chat-patient",
                "CHATSERVER_PATIENT_OIDC_CLIENT_SECRET": "patient-secret",
                "CHATSERVER_STAFF_OIDC_ISSUER": staff.url,
                "CHATSERVER_STAFF_OIDC_CLIENT_ID": "chat-staff",
                "CHATSERVER_STAFF_OIDC_CLIENT_SECRET": "staff-secret",
                **(env or {}),
            },
        )
        server.start(port)
        try:
            yield OidcLive(server, seed, patient, staff)
        finally:
            server.stop()
    finally:
        for proc, _ in providers:
            proc.terminate()
            proc.wait(timeout=10)


def block_cdn(page: Any) -> None:
    """The provider's pages load nothing from the internet (before going there)."""
    page.context.route(_CDN, lambda route: route.abort())


def authorize(page: Any, sub: str) -> None:
    """On the provider's authorize page (reached by a sign-in link): consent as ``sub``."""
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def patient_sign_in(
    page: Any, live: OidcLive, sub: str, name: str, pnr: str = PNR, scheme: str = "sebankid"
) -> None:
    """Sign in with "Logga in med BankID / Freja" on the page showing it (the
    broker says which e-legitimation in ``identityscheme``, as Idura does)."""
    live.patient.set_user(sub, {PNR_CLAIM: pnr, "name": name, "identityscheme": scheme})
    block_cdn(page)
    page.get_by_role("link", name="Logga in med BankID / Freja").click()
    authorize(page, sub)
    page.locator("#signed-in").wait_for(state="visible")


def siths_sign_in(page: Any, live: OidcLive, path: str = "/staff", sub: str = "nina") -> None:
    """Open ``path`` and sign in with the SITHS card of Nina Nurse."""
    live.staff.set_user(sub, {"employeeHsaId": HSA_ID, "name": "Nina Nurse"})
    block_cdn(page)
    page.goto(path)
    page.get_by_role("link", name="Logga in med SITHS").click()
    authorize(page, sub)
