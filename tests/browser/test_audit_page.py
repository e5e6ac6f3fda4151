"""The log review page (/audit) in Chromium (issue 17 point 8): the chain
check's result stays visible, the action filter is a labelled select of the
known actions in both languages, times are Swedish local time to the second,
the page fits 360 px, and axe finds nothing on /audit (360 and 1280 px) and on
/admin at 360 px."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.pages import axe_clean, new_page, shoot
from tests.helpers import PASSWORD, Seed
from tests.live import LiveServer

pytestmark = pytest.mark.browser

LOCAL = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@pytest.fixture(scope="module")
def page(browser: Any, live: LiveServer, seed: Seed) -> Iterator[Any]:
    """One admin signed in on /audit for the module (a TOTP code signs in once)."""
    ctx, pg, errors = new_page(browser, live.url)
    pg.goto("/audit")
    pg.locator("#username").fill("admin1")
    pg.locator("#password").fill(PASSWORD)
    pg.locator("#otp").fill(seed["admin1"].otp() or "")
    pg.locator("#login-form button[type=submit]").click()
    pg.locator("#view-review").wait_for(state="visible")
    try:
        yield pg
        assert errors.errors == []
    finally:
        ctx.close()


def _width_fits(pg: Any) -> bool:
    return bool(pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_verify_result_stays_visible(page: Any) -> None:
    """The chain check's result stays beside its button, also after a search."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Kontrollera kedjan").click()
    result = page.locator("#verify-result")
    result.filter(has_text="Kedjan är hel").wait_for()
    text = result.inner_text()
    assert re.fullmatch(
        r"Kedjan är hel: \d+ händelser \(chain intact\), kontrollerad \(checked\) " + LOCAL.pattern,
        text,
    ), text
    page.get_by_role("button", name="Sök (Search)").click()
    page.locator("#results tbody tr").first.wait_for()
    page.wait_for_timeout(500)  # a late clearing would have happened by now
    assert (result.is_visible(), result.inner_text()) == (True, text)


def test_action_filter_is_a_labelled_select_of_known_actions(page: Any) -> None:
    """ "Händelse (Action)" is a select with every known action in sv and en;
    choosing one filters the search and the CSV link."""
    select = page.get_by_label("Händelse (Action)")
    assert select.evaluate("el => el.tagName") == "SELECT"
    labels = select.locator("option").all_inner_texts()
    assert labels[0] == "Alla händelser (All actions)"
    assert "Tog kontakt (Picked contact)" in labels
    assert "FHIR-export (FHIR export)" in labels
    groups = select.locator("optgroup").evaluate_all("els => els.map(e => e.label)")
    assert groups[0] == "Inloggning och konto (Sign-in and account)"
    select.select_option("login")
    page.get_by_role("button", name="Sök (Search)").click()
    cells = page.locator("#results tbody td:nth-child(7)")
    # The new result is in: a login row shown (an empty table while the search
    # is on its way would pass the second check alone) and no other action.
    expect(cells.first).to_have_text("login")
    expect(cells.filter(has_not_text="login")).to_have_count(0)
    actions = cells.all_inner_texts()
    assert len(actions) >= 1
    assert set(actions) == {"login"}
    assert "action=login" in (page.locator("#csv").get_attribute("href") or "")
    select.select_option("")
    assert "action=" not in (page.locator("#csv").get_attribute("href") or "")


def test_times_are_swedish_local_time_to_the_second(page: Any) -> None:
    """Each event's time is its UTC instant in Europe/Stockholm, "YYYY-MM-DD hh:mm:ss"."""
    page.get_by_label("Händelse (Action)").select_option("")
    page.get_by_role("button", name="Sök (Search)").click()
    page.locator("#results tbody tr").first.wait_for()
    shown = page.locator("#results tbody td:nth-child(2)").all_inner_texts()
    events = page.request.get("/api/audit/events").json()["events"]
    zone = ZoneInfo("Europe/Stockholm")
    expected = [
        datetime.fromisoformat(e["at"].replace("Z", "+00:00"))
        .astimezone(zone)
        .strftime("%Y-%m-%d %H:%M:%S")
        for e in events
    ]
    assert shown[: len(expected)] == expected[: len(shown)]
    assert all(LOCAL.fullmatch(t) for t in shown)
    header = page.locator("#results thead th").nth(1).inner_text()
    assert header == "Tid (svensk tid) (Time (Swedish time))"


def test_audit_page_fits_360_and_is_axe_clean(page: Any, screenshots: Path) -> None:
    """At 360 px nothing is wider than the screen (events as cards); axe finds
    nothing at 360 and 1280 px."""
    page.get_by_role("button", name="Sök (Search)").click()
    page.locator("#results tbody tr").first.wait_for()
    page.get_by_role("button", name="Kontrollera kedjan").click()
    page.locator("#verify-result").filter(has_text="Kedjan är hel").wait_for()
    page.set_viewport_size({"width": 360, "height": 800})
    assert _width_fits(page)
    first = page.locator("#results tbody tr").first
    assert first.locator("td").first.evaluate("el => getComputedStyle(el).display") == "grid"
    axe_clean(page, "audit-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert _width_fits(page)
    axe_clean(page, "audit-1280")
    shoot(page, screenshots, "audit")


def test_admin_page_at_360_is_axe_clean(page: Any, screenshots: Path) -> None:
    """/admin at 360 px: the units table scrolls in a focusable labelled region,
    the page itself is not wider than the screen, and axe finds nothing."""
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto("/admin")
    page.locator("#units-table tbody tr").first.wait_for()
    region = page.locator("#sec-units .table-wrap")
    named = [region.get_attribute(a) for a in ("role", "aria-labelledby", "tabindex")]
    assert named == ["region", "h-units", "0"]
    assert _width_fits(page)
    axe_clean(page, "admin-360")
    shoot(page, screenshots, "admin-narrow", widths=(360,))
    page.set_viewport_size({"width": 1280, "height": 900})
