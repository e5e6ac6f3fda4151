"""/admin "Texter vid avslut" in Chromium: the built-in text is shown, the unit's
own text is saved (as the API then says) and reset; axe-clean; screenshots."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from chatserver.admin.closing_texts import DEFAULTS
from chatserver.settings import Settings
from tests.browser.conftest import SCREENSHOTS, require_chromium
from tests.browser.pages import axe_clean, new_page, shoot
from tests.helpers import Seed, seed_directory
from tests.live import LiveServer

from .test_admin_page import chromium, sign_in

pytestmark = pytest.mark.browser
__all__ = ["chromium"]  # the module's browser fixture, shared


@pytest.fixture(scope="module")
def admin_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seed]]:
    require_chromium()
    data_dir = tmp_path_factory.mktemp("closing-page") / "data"
    settings = Settings(data_dir=data_dir)
    with ThreadPoolExecutor(1) as pool:
        seed = pool.submit(asyncio.run, seed_directory(settings)).result()
    with LiveServer(data_dir) as server:
        yield server, seed


def test_closing_texts_section(admin_live: tuple[LiveServer, Seed], chromium: Any) -> None:
    """Choose unit and outcome, read the default, save an own text, reset it."""
    srv, seed = admin_live
    ctx, page, errors = new_page(chromium, srv.url)
    sign_in(page, seed["admin1"])
    page.locator("#view-dash").wait_for(state="visible")
    section = page.locator("#sec-closing")
    expect(section.get_by_role("heading", name="Texter vid avslut")).to_be_visible()
    section.get_by_label("Enhet").select_option("hc1")
    section.get_by_label("Utfall").select_option("physical_visit_booked")
    sv, en = DEFAULTS["physical_visit_booked"]
    expect(section.get_by_label("Text på svenska")).to_have_value(sv)
    expect(section.get_by_label("Text på engelska")).to_have_value(en)
    expect(page.locator("#closing-state")).to_have_text("Standardtexten visas för patienten.")
    expect(section.get_by_role("button", name="Återställ standardtexten")).to_be_disabled()
    axe_clean(page, "admin closing texts (default)")

    section.get_by_label("Text på svenska").fill("Kom till Storgatan 1, plan 2.")
    section.get_by_label("Text på engelska").fill("Come to Storgatan 1, floor 2.")
    section.get_by_role("button", name="Spara texten").click()
    expect(page.locator("#closing-state")).to_have_text("Enhetens egen text visas för patienten.")
    listed = page.request.get(f"{srv.url}/api/admin/units/hc1/closing-texts").json()["texts"]
    own = next(t for t in listed if t["outcome"] == "physical_visit_booked")
    assert (own["sv"], own["en"], own["custom"]) == (
        "Kom till Storgatan 1, plan 2.",
        "Come to Storgatan 1, floor 2.",
        True,
    )
    axe_clean(page, "admin closing texts (own text)")
    section.scroll_into_view_if_needed()
    shoot(page, Path(SCREENSHOTS), "admin-closing-texts", widths=(1280,))

    section.get_by_role("button", name="Återställ standardtexten").click()
    expect(page.locator("#closing-state")).to_have_text("Standardtexten visas för patienten.")
    expect(section.get_by_label("Text på svenska")).to_have_value(sv)
    assert (errors.errors, errors.dialogs) == ([], [])
    ctx.close()
