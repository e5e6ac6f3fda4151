"""Issue 17 on the manager's side in Chromium, at 1280 and 360 px: the live
"Just nu" view follows a new patient within seconds, a chat share without
imported visit counts reads "Ingen data" (not 100 %), durations are in
minutes, and on a phone the charts give way to their tables; axe-clean."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from chatserver.settings import Settings
from tests.browser.pages import axe_clean, new_page, patient_intake, shoot
from tests.helpers import PASSWORD, Seed, seed_directory
from tests.live import LiveServer
from tests.stats.conftest import require_chromium
from tests.stats.fixtures import insert, spring

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seed]]:
    require_chromium()
    data_dir = tmp_path_factory.mktemp("manager-now") / "data"
    settings = Settings(data_dir=data_dir)
    seed = asyncio.run(seed_directory(settings))
    with LiveServer(data_dir) as srv:
        users = {name: acc.id for name, acc in seed.accounts.items()}
        insert(settings, spring(users), users)
        yield srv, seed


@pytest.fixture(scope="session")
def screenshots() -> Path:
    path = Path(__file__).resolve().parents[2] / "build" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sign_in(page: Any, seed: Seed, username: str) -> None:
    page.goto("/manager")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_label("Engångskod").fill(seed[username].otp() or "")
    page.get_by_role("button", name="Logga in").click()
    page.locator("#view-dash").wait_for(state="visible")


def _unit_figure(page: Any, name: str) -> Any:
    return page.locator(f"#now dd[data-figure={name}]").first


def test_now_view_no_data_and_minutes(
    server: tuple[LiveServer, Seed], browser: Any, screenshots: Path
) -> None:
    """ "Just nu" shows 0 waiting, then 1 within a few seconds of an intake, with the
    queue and the oldest wait in minutes; the spring period without visit imports
    shows "Ingen data" as the chat share; times are in minutes; axe-clean."""
    live, seed = server
    ctx, page, errors = new_page(browser, live.url)
    _sign_in(page, seed, "manager1")
    expect(page.get_by_role("heading", name="Just nu")).to_be_visible()
    expect(page.get_by_role("heading", name="Hälsocentralen Ett", level=3)).to_be_visible()
    expect(_unit_figure(page, "waiting")).to_have_text("0")
    expect(_unit_figure(page, "staff_online")).to_have_text("0")

    pctx, patient, _ = new_page(browser, live.url, width=360)
    patient_intake(patient, "Jag har haft ont i halsen i fyra dagar och vill ha råd.")
    expect(patient.locator("#queue-info")).to_contain_text("Du är nummer 1 i kön")
    expect(_unit_figure(page, "waiting")).to_have_text("1")  # the next read, ≤ 5 s
    expect(_unit_figure(page, "oldest")).to_have_text(re.compile(r"^\d+,\d$"))
    queue_row = page.locator("#now tbody tr").first
    expect(queue_row.locator("th")).to_have_text("Sjuksköterska")
    expect(queue_row.locator("td").first).to_have_text("1")
    pctx.close()

    page.fill("#f-from", "2026-03-23")
    page.fill("#f-to", "2026-04-05")
    page.get_by_role("button", name="Visa").click()
    rows = page.locator("section[aria-labelledby=h-channel_shift] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").last).to_have_text("Ingen data")
    expect(rows.nth(1).locator("td").last).to_have_text("Ingen data")
    durations = page.locator("section[aria-labelledby=h-durations]")
    expect(durations.get_by_role("heading", level=2)).to_have_text("Tider (minuter)")
    expect(durations.locator("thead th")).to_have_text(
        ["Mått", "Antal", "Median (min)", "90:e percentil (min)", "Medel (min)"]
    )
    first = durations.locator("tbody tr").first.locator("td")
    expect(first.nth(1)).to_have_text(re.compile(r"^(\d+,\d|–)$"))
    page.locator("#chart-chat-share-desc").wait_for(state="attached")
    expect(page.locator("#chart-chat-share-desc")).to_have_text("Inga data / No data.")
    axe_clean(page, "manager dashboard with now view (1280)")
    shoot(page, screenshots, "manager-now-dashboard", widths=(1280,))

    page.set_viewport_size({"width": 360, "height": 800})
    expect(page.locator(".stat-pair figure").first).to_be_hidden()
    expect(page.locator("section[aria-labelledby=h-outcomes] table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    axe_clean(page, "manager dashboard with now view (360)")
    shoot(page, screenshots, "manager-now-dashboard", widths=(360,))
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Right now")).to_be_visible()
    expect(rows.nth(0).locator("td").last).to_have_text("No data")
    axe_clean(page, "manager dashboard (360, English)")
    assert [e for e in errors.errors if "401" not in e] == []
    ctx.close()
