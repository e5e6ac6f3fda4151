"""The manager dashboard in Debian's Chromium: sign-in, figures, charts, axe."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from chatserver.settings import Settings
from tests.browser.pages import axe_violations, new_page
from tests.helpers import PASSWORD, Seed, seed_directory
from tests.live import LiveServer
from tests.stats.conftest import require_chromium
from tests.stats.fixtures import insert, spring

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seed]]:
    require_chromium()
    data_dir = tmp_path_factory.mktemp("stats-browser") / "data"
    settings = Settings(data_dir=data_dir)
    seed = asyncio.run(seed_directory(settings))
    with LiveServer(data_dir) as srv:
        users = {name: acc.id for name, acc in seed.accounts.items()}
        insert(settings, spring(users), users)
        yield srv, seed


def _sign_in(page: Any, seed: Seed, username: str) -> None:
    page.goto("/manager")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_label("Engångskod").fill(seed[username].otp() or "")
    page.get_by_role("button", name="Logga in").click()


def _show_spring(page: Any) -> None:
    page.locator("#view-dash").wait_for(state="visible")
    page.fill("#f-from", "2026-03-23")
    page.fill("#f-to", "2026-04-05")
    page.get_by_role("button", name="Visa").click()
    page.locator("#chart-busiest-hours-title").wait_for(state="attached")
    page.locator("#chart-chat-share-title").wait_for(state="attached")


def test_manager_sees_figures_charts_and_no_axe_violations(
    server: tuple[LiveServer, Seed], browser: Any
) -> None:
    """Signed in as manager: tables, SVG charts with titles, CSV links, zero axe violations."""
    live, seed = server
    ctx, page, errors = new_page(browser, live.url)
    try:
        page.goto("/manager")
        page.locator("#view-login").wait_for(state="visible")
        assert axe_violations(page) == []
        _sign_in(page, seed, "manager1")
        _show_spring(page)
        first = page.locator("section[aria-labelledby=h-summary] tbody tr").nth(0)
        # The default period's tables are already on the page: wait until the
        # chosen period's figures replace them (expect retries until it holds).
        expect(first.locator("td")).to_have_text("6")
        assert (first.locator("th").text_content(), first.locator("td").text_content()) == (
            "Kontakter",
            "6",
        )
        assert page.locator("table caption", has_text="Kanalskifte per vecka").count() == 1
        rows = page.locator("section[aria-labelledby=h-channel_shift] tbody tr")
        expect(rows).to_have_count(2)
        assert rows.nth(0).locator("td").first.text_content() == "3"
        expect(page.locator("svg[role=img] title")).to_have_count(5)  # charts load on their own
        links = page.locator("a[href^='/api/stats/tables/']")
        expect(links).to_have_count(8)
        assert page.locator("a[href^='/api/stats/export/contacts.csv']").count() == 1
        assert axe_violations(page) == []
        page.get_by_role("button", name="English").click()
        page.locator("h2", has_text="Busiest hours").wait_for()
        assert axe_violations(page) == []
        # The only console noise allowed: the 401 of /api/staff/me before sign-in.
        assert [e for e in errors.errors if "401" not in e] == []
    finally:
        ctx.close()


def test_nurse_is_refused(server: tuple[LiveServer, Seed], browser: Any) -> None:
    """A nurse signing in sees the no-access view and no statistics."""
    live, seed = server
    ctx, page, _ = new_page(browser, live.url)
    try:
        _sign_in(page, seed, "nurse1")
        page.locator("#view-denied").wait_for(state="visible")
        assert page.locator("#report table").count() == 0
        assert axe_violations(page) == []
    finally:
        ctx.close()
