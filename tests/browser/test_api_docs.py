"""/api/docs in Chromium: the API reference renders under the service's CSP
(no console error), links every operation to its section, and is axe-clean."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.browser.pages import axe_clean, new_page
from tests.live import LiveServer


def test_api_reference_page(browser: Any, live: LiveServer, screenshots: Path) -> None:
    """Every operation of /openapi.json is listed and reachable by its link."""
    doc = httpx.get(f"{live.url}/openapi.json", timeout=10).json()
    count = sum(
        1
        for item in doc["paths"].values()
        for m in ("get", "post", "put", "patch", "delete")
        if m in item
    )
    ctx, page, errors = new_page(browser, live.url)
    page.goto("/api/docs")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hälsocentralchatt HTTP API")
    nav = page.get_by_role("navigation", name="Operations")
    expect(nav.get_by_role("link")).to_have_count(count)
    nav.get_by_role("link", name="POST /api/contacts", exact=True).click()
    expect(page).to_have_url(f"{live.url}/api/docs#post_api_contacts")
    section = page.locator("#post_api_contacts")
    expect(section.get_by_role("heading", level=3)).to_have_text("POST /api/contacts")
    expect(section.get_by_role("table", name="Responses")).to_contain_text("unknown_unit")
    axe_clean(page, "API reference")
    # The page is long (every schema): the viewport only, not full_page.
    page.screenshot(path=str(screenshots / "api-docs-1280.png"))
    assert (errors.errors, errors.dialogs) == ([], [])
    ctx.close()
