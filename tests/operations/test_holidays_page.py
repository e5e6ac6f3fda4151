"""/admin "Helgdagar" under the opening hours, in Chromium: the unit's next
public holidays are listed, the checkbox opts the unit out (as the API then
says) and back in; axe-clean; a screenshot."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from chatserver.cli.common import add_unit, with_storage
from chatserver.settings import Settings
from tests.browser.conftest import SCREENSHOTS, require_chromium
from tests.browser.pages import axe_clean, new_page, shoot
from tests.helpers import Seed, seed_directory
from tests.live import LiveServer

from .test_admin_page import admin_unit, chromium, sign_in

pytestmark = pytest.mark.browser
__all__ = ["chromium"]  # the module's browser fixture, shared


async def _seed(settings: Settings) -> Seed:
    seed = await seed_directory(settings)
    storage = await with_storage(settings)
    try:
        await add_unit(storage, "hc3", "Hälsocentralen Tre", always_open=False)
    finally:
        await storage.close()
    return seed


@pytest.fixture(scope="module")
def admin_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seed]]:
    require_chromium()
    data_dir = tmp_path_factory.mktemp("holidays-page") / "data"
    settings = Settings(data_dir=data_dir)
    with ThreadPoolExecutor(1) as pool:
        seed = pool.submit(asyncio.run, _seed(settings)).result()
    with LiveServer(data_dir) as server:
        yield server, seed


def test_holidays_section(admin_live: tuple[LiveServer, Seed], chromium: Any) -> None:
    srv, seed = admin_live
    ctx, page, errors = new_page(chromium, srv.url)
    sign_in(page, seed["admin1"])
    page.locator("#view-dash").wait_for(state="visible")
    page.locator("#hours-unit").select_option("hc3")
    form = page.locator("#holidays-form")
    expect(form.get_by_role("heading", name="Helgdagar")).to_be_visible()
    follow = form.get_by_label("Stängt på helgdagar")
    expect(follow).to_be_checked()
    expect(page.locator("#holidays-state")).to_have_text(
        "Enheten är stängd på helgdagar (om inte ett undantag öppnar dagen)."
    )
    listed = page.get_by_role("list", name="Nästa helgdagar").get_by_role("listitem")
    expect(listed).to_have_count(5)
    first = admin_unit(page, srv.url, "hc3")["next_holidays"][0]
    expect(listed.first).to_contain_text(first["name"])
    axe_clean(page, "admin holidays (following)")
    form.scroll_into_view_if_needed()
    shoot(page, Path(SCREENSHOTS), "admin-holidays", widths=(1280,))

    follow.uncheck()
    form.get_by_role("button", name="Spara helgdagar").click()
    expect(page.locator("#holidays-state")).to_have_text(
        "Enheten följer sitt veckoschema även på helgdagar."
    )
    assert admin_unit(page, srv.url, "hc3")["public_holidays"] is False
    expect(follow).not_to_be_checked()
    follow.check()
    form.get_by_role("button", name="Spara helgdagar").click()
    expect(page.locator("#holidays-state")).to_contain_text("stängd på helgdagar")
    assert admin_unit(page, srv.url, "hc3")["public_holidays"] is True

    page.locator("#hours-unit").select_option("hc1")  # always open
    expect(page.locator("#holidays-state")).to_have_text(
        "Enheten är alltid öppen; helgdagarna används inte."
    )
    assert (errors.errors, errors.dialogs) == ([], [])
    ctx.close()
