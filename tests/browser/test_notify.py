"""Notifications while away in Chromium: the staff page's title count and its
remembered preferences, the patient's SMS field and notification offer, the
service worker registered at the root scope, and axe on each changed state."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from chatserver.settings import Settings
from tests.browser.conftest import require_chromium
from tests.browser.pages import axe_clean, new_page, shoot, staff_login
from tests.helpers import Seed, intake_body, seed_directory
from tests.live import LiveServer

TITLE = "Chattmottagning – personal"


@pytest.fixture(scope="module")
def notify_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Seed]]:
    """A server with an SMS gateway configured (the intake offers the phone field)."""
    require_chromium()
    data_dir = tmp_path_factory.mktemp("notify") / "data"
    with ThreadPoolExecutor(1) as pool:
        seed = pool.submit(asyncio.run, seed_directory(Settings(data_dir=data_dir))).result()
    env = {"CHATSERVER_SMS_GATEWAY_URL": "http://127.0.0.1:9/sms"}
    with LiveServer(data_dir, env=env) as server:
        yield server, seed


def test_staff_title_count_and_preferences(
    notify_live: tuple[LiveServer, Seed], browser: Any, screenshots: Path
) -> None:
    """Arrivals while the page is in the background count in the title; a
    preference survives a reload; focus clears the count."""
    live, seed = notify_live
    ctx, page, errors = new_page(browser, live.url)
    try:
        staff_login(page, seed["nurse1"])
        prefs = page.locator("#notify-prefs")
        expect(prefs).to_be_visible()
        expect(page.get_by_label("Visa antal nya i flikens titel")).to_be_checked()
        sound = page.get_by_label("Ljud när en ny patient ställer sig i kö")
        expect(sound).not_to_be_checked()
        sound.check()
        axe_clean(page, "staff notification preferences")
        shoot(page, screenshots, "notify-staff-prefs")
        page.reload()
        page.locator("#view-dash").wait_for(state="visible")
        expect(page.get_by_label("Ljud när en ny patient ställer sig i kö")).to_be_checked()
        expect(page).to_have_title(TITLE)
        # The page goes to the background (another window has the focus).
        page.evaluate(
            "() => { Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
            " document.hasFocus = () => false; }"
        )
        for n in range(2):
            r = httpx.post(f"{live.url}/api/contacts", json=intake_body(name=f"P{n}"))
            assert r.status_code == 201, r.text
        expect(page).to_have_title(f"(2) {TITLE}")
        page.evaluate(
            "() => { Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
            " window.dispatchEvent(new Event('focus')); }"
        )
        expect(page).to_have_title(TITLE)
        assert errors.errors == []
    finally:
        ctx.close()


def test_patient_phone_field_offer_and_service_worker(
    notify_live: tuple[LiveServer, Seed], browser: Any, screenshots: Path
) -> None:
    """The intake offers the SMS number; the chat offers notifications and the
    click registers the service worker at the root scope."""
    live, _seed = notify_live
    ctx, page, errors = new_page(browser, live.url)
    ctx.grant_permissions(["notifications"], origin=live.url)
    try:
        page.goto("/?unit=hc1")
        page.get_by_label("Ditt förnamn").fill("Petra")
        page.get_by_label("Ålder").fill("40")
        page.get_by_role("button", name="Inget av detta").click()
        # Shown with the free text, after the red-flag screen.
        phone = page.get_by_label("Mobilnummer för sms")
        expect(phone).to_be_visible()
        page.get_by_label("Vad gäller det? Beskriv med egna ord").fill(
            "Ont i halsen sedan i måndags."
        )
        # A landline is refused with the field's own message.
        phone.fill("08-123 456 78")
        page.get_by_role("button", name="Starta chatten").click()
        expect(page.locator("#phone-error")).to_have_text(
            "Skriv ett svenskt mobilnummer, till exempel 070-123 45 67."
        )
        axe_clean(page, "intake with a refused phone number")
        phone.fill("070-123 45 67")
        page.get_by_role("button", name="Starta chatten").click()
        offer = page.get_by_role("button", name="Meddela mig när det är min tur")
        expect(offer).to_be_visible()
        axe_clean(page, "chat with the notification offer")
        shoot(page, screenshots, "notify-patient-offer")
        offer.click()
        # Headless Chromium has no push service to reach: the subscription itself
        # fails, but the worker is registered for the whole site.
        status = page.locator("#notify-status")
        expect(status).not_to_have_text("")
        expect(status).not_to_have_text("Slår på aviseringar …")
        scope = page.evaluate(
            "async () => (await navigator.serviceWorker.getRegistration('/')).scope"
        )
        assert scope == f"{live.url}/"
        # Playwright's contexts are incognito, where Chromium has no Push API.
        assert [e for e in errors.errors if "incognito" not in e] == []
        expect(status).to_have_text("Det gick inte att slå på aviseringar just nu. Försök igen.")
    finally:
        ctx.close()
