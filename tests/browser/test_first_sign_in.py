"""A nurse's first sign-in in Chromium (issue 20, point 4): the forced password
change (a weak one refused with its feedback), then enrolling their own TOTP
key (the code computed from the key the page shows), then the dashboard; and
"Mitt konto" with the session list. axe finds no violations on the new forms."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyotp
from playwright.sync_api import expect

from chatserver.app import open_storage
from chatserver.settings import Settings
from tests.browser.pages import axe_clean, new_page
from tests.helpers import PASSWORD, password_hash
from tests.live import LiveServer

NEW_PASSWORD = "lingon tundra kompass 42"


async def _new_account(settings: Settings, username: str) -> None:
    storage = open_storage(settings)
    await storage.open()
    try:
        await storage.add_user(
            username=username,
            display_name="Frida Första",
            role="nurse",
            password_hash=password_hash(),
            totp_secret=None,
            unit_ids=["hc1"],
            created_at=time.time(),
            must_change_password=True,
        )
    finally:
        await storage.close()


def test_first_sign_in_password_then_totp_then_dashboard(browser: Any, live: LiveServer) -> None:
    # Playwright's sync API runs an event loop in this thread: write on another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _new_account(Settings(data_dir=live.data_dir), "forsta")).result()
    ctx, page, errors = new_page(browser, live.url)
    try:
        page.goto("/staff")
        page.locator("#view-login").wait_for(state="visible")
        page.locator("#username").fill("forsta")
        page.locator("#password").fill(PASSWORD)
        page.locator("#login-form").get_by_role("button", name="Logga in").click()

        heading = page.locator("#setup-heading")
        expect(heading).to_have_text("Välj ett eget lösenord")
        expect(heading).to_be_focused()
        expect(page.locator("#login-form")).to_be_hidden()
        axe_clean(page, "first sign-in: password change")
        setup = page.locator("#account-setup")

        setup.get_by_label("Nuvarande lösenord").fill(PASSWORD)
        setup.get_by_label("Nytt lösenord", exact=True).fill("Sommar2020")
        setup.get_by_label("Upprepa det nya lösenordet").fill("Sommar2020")
        setup.get_by_role("button", name="Spara lösenordet").click()
        error = page.locator("#setup-password-error")
        expect(error).to_contain_text("Lösenordet är för lätt att gissa.")
        expect(error.locator("ul[lang=en] li").first).to_be_visible()
        axe_clean(page, "first sign-in: weak password refused")

        setup.get_by_label("Nytt lösenord", exact=True).fill(NEW_PASSWORD)
        setup.get_by_label("Upprepa det nya lösenordet").fill(NEW_PASSWORD)
        setup.get_by_role("button", name="Spara lösenordet").click()

        expect(heading).to_have_text("Lägg in din engångskodsnyckel")
        secret_text = page.locator("#setup-secret").inner_text()
        secret = secret_text.replace(" ", "")
        assert all(len(g) <= 4 for g in secret_text.split(" "))
        uri = page.locator("#setup-uri").get_attribute("href") or ""
        assert pyotp.parse_uri(uri).secret == secret
        axe_clean(page, "first sign-in: TOTP enrolment")

        setup.get_by_label("Engångskod från appen").fill("000000")
        if pyotp.TOTP(secret).verify("000000", valid_window=1):  # pragma: no cover - 1 in 10^5
            setup.get_by_label("Engångskod från appen").fill("999999")
        setup.get_by_role("button", name="Aktivera").click()
        expect(page.locator("#setup-otp-error")).to_contain_text("Fel kod.")
        setup.get_by_label("Engångskod från appen").fill(pyotp.TOTP(secret).now())
        setup.get_by_role("button", name="Aktivera").click()

        expect(page.locator("#view-dash")).to_be_visible()
        expect(page.locator("#account-setup")).to_have_count(0)

        page.get_by_role("button", name="Mitt konto").click()
        dialog = page.get_by_role("dialog", name="Mitt konto")
        expect(dialog).to_be_visible()
        expect(dialog.locator(".account__session")).to_have_count(1)
        expect(dialog.locator(".account__current")).to_have_text("Den här inloggningen")
        axe_clean(page, "account dialog: my sessions")
        dialog.get_by_role("button", name="Stäng").click()
        expect(dialog).to_be_hidden()
        assert errors.errors == []
    finally:
        ctx.close()
