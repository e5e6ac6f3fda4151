"""The manager dashboard's triage-safety section in Debian's Chromium.

Contacts are made through the real HTTP API (red-flag screen answered yes and then
continued to chat anyway; all answers no), so the figures come from the real
intake path, not from hand-written rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from chatserver.settings import Settings
from tests.browser.pages import TIMEOUT_MS, PageErrors, axe_violations, new_page
from tests.helpers import PASSWORD, Seed, intake_body, seed_directory
from tests.live import LiveServer
from tests.stats.conftest import require_chromium
from triage import screening

pytestmark = pytest.mark.browser

SAFETY_URL = "**/api/stats/triage-safety?*"


def _post_contact(srv: LiveServer, **overrides: Any) -> dict[str, Any]:
    r = httpx.post(f"{srv.url}/api/contacts", json=intake_body(**overrides), timeout=10)
    # 200 for emergency advice, 201 for a contact that reached a queue.
    assert r.status_code in (200, 201), r.text
    data: dict[str, Any] = r.json()
    return data


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seed]]:
    require_chromium()
    data_dir = tmp_path_factory.mktemp("triage-safety-browser") / "data"
    settings = Settings(data_dir=data_dir)
    seed = asyncio.run(seed_directory(settings))
    with LiveServer(data_dir) as srv:
        # Screen answered yes (told to call 112), then resent acknowledged: continued.
        yes = _post_contact(srv, answers={"chest_pain_now": True})
        assert yes["status"] == "emergency"
        continued = _post_contact(
            srv,
            answers={"chest_pain_now": True},
            acknowledge_emergency=True,
            contact_id=yes["contact_id"],
        )
        assert continued["contact_id"] == yes["contact_id"]
        # Screen answered, every answer no.
        no = _post_contact(srv, answers={q.id: False for q in screening.screen(40)})
        assert no["status"] == "queued"
        yield srv, seed


@pytest.fixture(scope="module")
def manager_state(server: tuple[LiveServer, Seed], browser: Any) -> dict[str, Any]:
    """Sign in once as manager1 through the form; the tests reuse the session cookie.

    A one-time code signs in once (chatserver/access/sessions.py), so a second sign-in
    within the same 30 s step would be refused.
    """
    live, seed = server
    ctx, page, _ = new_page(browser, live.url)
    try:
        page.goto("/manager")
        page.get_by_label("Användarnamn").fill("manager1")
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_label("Engångskod").fill(seed["manager1"].otp() or "")
        page.get_by_role("button", name="Logga in").click()
        page.locator("#view-dash").wait_for(state="visible")
        state: dict[str, Any] = ctx.storage_state()
        return state
    finally:
        ctx.close()


def _open_dashboard(
    browser: Any, live: LiveServer, state: dict[str, Any]
) -> tuple[Any, Any, PageErrors]:
    """A fresh context with the manager's session, on /manager's dashboard."""
    ctx = browser.new_context(
        base_url=live.url,
        viewport={"width": 1280, "height": 900},
        storage_state=state,
        locale="sv-SE",
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    errors = PageErrors(page)
    page.goto("/manager")
    page.locator("#view-dash").wait_for(state="visible")
    return ctx, page, errors


def _show(page: Any, first: dt.date, last: dt.date, button: str = "Visa") -> None:
    page.fill("#f-from", first.isoformat())
    page.fill("#f-to", last.isoformat())
    page.get_by_role("button", name=button).click()


def _around_today() -> tuple[dt.date, dt.date]:
    """Yesterday to tomorrow in the service's time zone: today's contacts, whatever the hour."""
    today = dt.datetime.now(ZoneInfo("Europe/Stockholm")).date()
    return today - dt.timedelta(days=1), today + dt.timedelta(days=1)


def _figure(page: Any, key: str) -> Any:
    return page.locator(f"#triage-safety #ts-{key}")


def _label_of(page: Any, key: str) -> str:
    """The dt that labels the figure's value (its previous sibling)."""
    text: str = _figure(page, key).evaluate("el => el.previousElementSibling.textContent")
    return text


def test_manager_sees_triage_safety_in_both_languages(
    server: tuple[LiveServer, Seed], browser: Any, manager_state: dict[str, Any]
) -> None:
    """Screens answered 2, yes 1, continued 1; axe clean; English labels after the switch."""
    ctx, page, errors = _open_dashboard(browser, server[0], manager_state)
    try:
        _show(page, *_around_today())
        section = page.get_by_role("region", name="Triagesäkerhet")
        expect(section.get_by_role("heading", level=2, name="Triagesäkerhet")).to_be_visible()
        expect(_figure(page, "screens_answered")).to_have_text("2")
        expect(_figure(page, "screens_yes")).to_have_text("1")
        expect(_figure(page, "screens_yes_continued")).to_have_text("1")
        expect(_figure(page, "followups_asked")).to_have_text("0")
        expect(_figure(page, "model_raised")).to_have_text("0")
        # No raised contacts: no false-alarm rate to show.
        expect(_figure(page, "model_false_alarm_rate")).to_have_text("–")
        assert _label_of(page, "screens_answered") == "Besvarade frågor"
        assert _label_of(page, "screens_yes") == "Svarade ja och uppmanades ringa 112"
        assert _label_of(page, "screens_yes_continued") == "Fortsatte ändå till chatten"
        assert section.get_by_role("heading", level=3).count() == 3
        # Every figure carries its one-line explanation.
        assert section.locator("dd.figures__hint").count() == section.locator("dt").count() == 8
        assert axe_violations(page) == []

        page.get_by_role("button", name="English").click()
        section = page.get_by_role("region", name="Triage safety")
        expect(section.get_by_role("heading", level=2, name="Triage safety")).to_be_visible()
        assert _label_of(page, "screens_answered") == "Questions answered"
        assert _label_of(page, "screens_yes") == "Answered yes, told to call 112"
        assert _label_of(page, "screens_yes_continued") == "Continued to chat anyway"
        expect(section.get_by_role("heading", level=3, name="Safety model")).to_be_visible()
        expect(_figure(page, "screens_answered")).to_have_text("2")
        assert axe_violations(page) == []

        # Readable at 360 px: nothing in the section is wider than the section.
        page.set_viewport_size({"width": 360, "height": 800})
        overflow = page.locator("#triage-safety").evaluate("el => el.scrollWidth - el.clientWidth")
        assert overflow <= 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert axe_violations(page) == []
        assert errors.errors == []
    finally:
        ctx.close()


def test_refetches_for_the_period_and_shows_a_failure(
    server: tuple[LiveServer, Seed], browser: Any, manager_state: dict[str, Any]
) -> None:
    """A new period is fetched again (empty: zeros); a failed request shows an alert."""
    ctx, page, _ = _open_dashboard(browser, server[0], manager_state)
    try:
        around = _around_today()
        _show(page, *around)
        expect(_figure(page, "screens_answered")).to_have_text("2")

        with page.expect_request(SAFETY_URL) as request:
            _show(page, dt.date(2025, 1, 1), dt.date(2025, 1, 31))
        assert "from=2025-01-01&to=2025-01-31" in request.value.url
        assert "unit=hc1" in request.value.url
        expect(_figure(page, "screens_answered")).to_have_text("0")
        expect(_figure(page, "screens_yes_continued")).to_have_text("0")

        page.route(SAFETY_URL, lambda route: route.fulfill(status=500, json={}))
        _show(page, *around)
        alert = page.locator("#triage-safety [role=alert]")
        expect(alert).to_have_text("Triagesäkerheten kunde inte hämtas. Försök igen med Visa.")
        # No figures of an earlier period are left beside the error.
        assert page.locator("#triage-safety dl").count() == 0
        # The rest of the dashboard is unaffected.
        expect(page.locator("section[aria-labelledby=h-summary]")).to_be_visible()
        assert axe_violations(page) == []
        page.get_by_role("button", name="English").click()
        expect(alert).to_have_text("Triage safety could not be loaded. Try again with Show.")

        page.unroute(SAFETY_URL)
        page.get_by_role("button", name="Show").click()
        expect(_figure(page, "screens_answered")).to_have_text("2")
        assert page.locator("#triage-safety [role=alert]").count() == 0
    finally:
        ctx.close()
