"""Fixtures: the seeded directory plus the hand-made contacts of fixtures.py."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed
from tests.stats.fixtures import autumn, insert, spring


@pytest.fixture
def stats_client(settings: Settings, seed: Seed) -> Iterator[TestClient]:
    """An app whose hc1 holds the spring and autumn DST fixtures."""
    users = {name: acc.id for name, acc in seed.accounts.items()}
    app = create_app(settings)
    with TestClient(app, headers={"origin": ORIGIN}) as c:
        # The app's start applied every migration; the fixtures go in after.
        insert(settings.sqlite_path, spring(users) + autumn(), users)
        yield c


CHROMIUM = Path("/usr/bin/chromium")


def require_chromium() -> None:
    """Skip locally without Chromium; fail in CI (CI=true) so it is never silently lost."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is missing")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, for the dashboard tests of this directory."""
    require_chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield b
        finally:
            b.close()
