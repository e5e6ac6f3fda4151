"""Browser tests: Debian's Chromium driven by Playwright against a real server.

One server and one browser per module keep the suite fast; each test opens its
own contexts (patient, nurse). Without Chromium the tests skip locally and
FAIL when ``CI=true``. Screenshots go to ``build/screenshots/``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from chatserver.app import open_storage
from chatserver.cli.common import add_unit
from chatserver.settings import Settings
from tests.helpers import Seed, seed_directory
from tests.live import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"

# Playwright's expect() retries for 5 s by default; a loaded 2-core CI machine
# running two workers can take longer to render a pushed update.
expect.set_options(timeout=15_000)


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


async def _seed(settings: Settings) -> Seed:
    seed = await seed_directory(settings)
    storage = open_storage(settings)
    await storage.open()
    try:
        # A pilot unit (reachable only by ?unit=ID) and one whose queue is full.
        await add_unit(storage, "pilot1", "Pilotcentralen", always_open=True, rollout="pilot")
        await add_unit(storage, "full1", "Vårdcentralen Full", always_open=True)
    finally:
        await storage.close()
    return seed


@pytest.fixture(scope="module")
def live_seed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seed]]:
    require_chromium()
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    settings = Settings(data_dir=data_dir)
    # Playwright's sync API runs an event loop in this thread: seed on another.
    with ThreadPoolExecutor(1) as pool:
        seed = pool.submit(asyncio.run, _seed(settings)).result()
    with sqlite3.connect(settings.sqlite_path) as db:
        db.execute("UPDATE queues SET max_waiting = 0 WHERE unit_id = 'full1'")
    with LiveServer(data_dir) as server:
        yield server, seed


@pytest.fixture(scope="module")
def live(live_seed: tuple[LiveServer, Seed]) -> LiveServer:
    return live_seed[0]


@pytest.fixture(scope="module")
def seed(live_seed: tuple[LiveServer, Seed]) -> Seed:
    return live_seed[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="module", autouse=True)
def _axe_report() -> Iterator[None]:
    """Write the axe result of every checked state to build/axe-results.json."""
    from tests.browser.pages import AXE_RESULTS  # noqa: PLC0415

    yield
    path = SCREENSHOTS.parent / "axe-results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**previous, **AXE_RESULTS}, indent=1, ensure_ascii=False))
