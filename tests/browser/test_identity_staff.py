"""Staff sign-in with SITHS in Chromium, against a real OpenID Connect
provider: "Logga in med SITHS" on every staff page's form, and a nurse who
signs in with it on /staff comes back signed in (no one-time code asked) and
sees the queues; a nurse whose HSA-id has no account lands on a readable page
(403, audited); axe-clean."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.oidc_live import OidcLive, authorize, block_cdn, oidc_live, siths_sign_in
from tests.browser.pages import axe_clean, new_page, shoot
from tests.helpers import PASSWORD

pytestmark = pytest.mark.browser

STAFF_PAGES = ("/staff", "/manager", "/admin", "/audit")


@pytest.fixture(scope="module")
def rp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcLive]:
    with oidc_live(tmp_path_factory) as live:
        yield live


def test_every_staff_form_offers_siths(rp: OidcLive, browser: Any, screenshots: Path) -> None:
    """/staff, /manager, /admin and /audit: the SITHS link comes back to that page."""
    ctx, page, errors = new_page(browser, rp.url, width=360, height=740)
    try:
        for path in STAFF_PAGES:
            page.goto(path)
            page.locator("#view-login").wait_for(state="visible")
            siths = page.get_by_role("link", name="Logga in med SITHS")
            expect(siths).to_be_visible()
            assert siths.get_attribute("href") == f"/auth/staff/login?return_to=%2F{path[1:]}"
            # The password form stays (accounts without a SITHS card).
            expect(page.locator("#otp")).to_be_visible()
        page.goto("/staff")
        expect(page.get_by_role("link", name="Logga in med SITHS")).to_be_visible()
        axe_clean(page, "staff sign-in with SITHS")
        shoot(page, screenshots, "staff-signin-siths")
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("link", name="Sign in with SITHS")).to_be_visible()
        expect(page.locator("#siths-hint")).to_have_text(
            "With the SITHS card no one-time code is needed."
        )
        axe_clean(page, "staff sign-in with SITHS (en)")
        page.get_by_role("button", name="Svenska").click()
        assert (errors.errors, errors.dialogs) == ([], [])
    finally:
        ctx.close()


def test_nurse_signs_in_with_siths(rp: OidcLive, browser: Any) -> None:
    """Back from the IdP the dashboard shows at once: no one-time code, the queues load."""
    ctx, page, errors = new_page(browser, rp.url)
    try:
        asked = []
        page.on(
            "request", lambda r: asked.append(r.url) if r.url.endswith("/api/staff/login") else None
        )
        siths_sign_in(page, rp, "/staff")
        expect(page).to_have_url(f"{rp.url}/staff")
        page.locator("#view-dash").wait_for(state="visible")
        expect(page.locator("#view-login")).to_be_hidden()
        expect(page.locator("#queue-list")).to_contain_text("väntar")
        expect(page.locator("#logout")).to_be_visible()
        assert asked == []  # no password (and so no one-time code) was sent
        # Signing out shows the form again, SITHS included.
        page.locator("#logout").click()
        page.locator("#view-login").wait_for(state="visible")
        expect(page.get_by_role("link", name="Logga in med SITHS")).to_be_visible()
        assert (errors.errors, errors.dialogs) == ([], [])
    finally:
        ctx.close()


def test_unknown_siths_card_gets_a_readable_page(
    rp: OidcLive, browser: Any, screenshots: Path
) -> None:
    """A nurse whose HSA-id no account has: the callback answers 403 with a page in
    words (Swedish, English below) and a way back to /staff, not a JSON body; the
    attempt is audited with the HSA-id, which the page does not show."""
    unknown = "SE2321000016-7777"
    rp.staff.set_user("okand", {"employeeHsaId": unknown, "name": "Olga Okänd"})
    ctx, page, errors = new_page(browser, rp.url, width=360, height=740)
    try:
        block_cdn(page)
        page.goto("/staff")
        page.get_by_role("link", name="Logga in med SITHS").click()
        with page.expect_response(lambda r: "/auth/staff/callback" in r.url) as answer:
            authorize(page, "okand")
        assert answer.value.status == 403
        assert answer.value.headers["content-type"].startswith("text/html")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("Inget konto för ditt SITHS-kort")
        expect(page.locator("main")).to_contain_text(
            "Ditt SITHS-kort är inte kopplat till något konto här."
        )
        expect(page.locator("main")).to_contain_text("Kontakta din administratör.")
        expect(page.get_by_role("heading", level=2)).to_have_text("No account for your SITHS card")
        text = page.locator("body").inner_text()
        assert unknown not in text
        assert "Olga" not in text
        axe_clean(page, "staff sign-in refused (unknown SITHS card)")
        shoot(page, screenshots, "staff-signin-unknown-account")
        page.get_by_role("link", name="Till inloggningen").click()
        expect(page).to_have_url(f"{rp.url}/staff")
        page.locator("#view-login").wait_for(state="visible")
        assert (errors.errors, errors.dialogs) == ([], [])
    finally:
        ctx.close()
    # Audited as before, with the HSA-id (an administrator's review).
    admin = rp.seed["admin1"]
    with httpx.Client(base_url=rp.url, headers={"origin": rp.url}, timeout=10) as c:
        r = c.post(
            "/api/staff/login",
            json={"username": admin.username, "password": PASSWORD, "otp": admin.otp()},
        )
        assert r.status_code == 200, r.text
        found = c.get("/api/audit/events", params={"action": "oidc_sign_in"}).json()["events"]
    refused = [e for e in found if e["result"] == "unknown_account"]
    assert [e["detail"]["hsa_id"] for e in refused] == [unknown]
