"""Patient pages in Chromium: intake in both languages, unit by link, the
emergency advice (112, 90101) and continuing anyway, unit closed and queue full
with alternatives, the accessibility statement and staff sign-in; axe-clean
with screenshots at 360 and 1280 px."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.pages import axe_clean, new_page, patient_intake, shoot
from tests.helpers import PASSWORD, Seed
from tests.live import LiveServer

pytestmark = pytest.mark.browser


def test_intake_in_swedish_and_english(browser: Any, live: LiveServer, screenshots: Path) -> None:
    """Swedish by default, English on the switch (lang attribute follows); both axe-clean."""
    ctx, page, errors = new_page(browser, live.url, width=360)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beskriv ditt ärende")
    # Live units are listed; the pilot unit is not.
    expect(page.get_by_label("Hälsocentral", exact=True).locator("option")).to_have_text(
        ["Välj hälsocentral", "Hälsocentralen Ett", "Hälsocentralen Två", "Vårdcentralen Full"]
    )
    page.get_by_text("Så hanterar vi dina uppgifter").click()
    expect(page.get_by_text("patientdatalagen")).to_be_visible()
    axe_clean(page, "patient intake (sv)")
    shoot(page, screenshots, "patient-intake-sv")
    # The page fits a 360 px screen without sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Missing fields are named next to the field, focus goes to the first.
    page.get_by_role("button", name="Starta chatten").click()
    expect(page.locator("#unit-error")).to_have_text("Välj en hälsocentral.")
    expect(page.get_by_label("Hälsocentral", exact=True)).to_be_focused()
    expect(page.locator("#age-error")).to_have_text("Skriv din ålder med siffror (0–120).")
    axe_clean(page, "patient intake with errors")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us what it is about")
    expect(page.get_by_role("button", name="Svenska")).to_have_attribute("lang", "sv")
    # Texts made by the page (the unit list, field errors) follow the language too.
    expect(page.locator("#unit option").first).to_have_text("Choose a health centre")
    expect(page.locator("#unit-error")).to_have_text("Choose a health centre.")
    axe_clean(page, "patient intake (en)")
    shoot(page, screenshots, "patient-intake-en")
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert (errors.errors, errors.dialogs) == ([], [])
    ctx.close()


def test_pilot_unit_by_link(browser: Any, live: LiveServer) -> None:
    """/?unit=pilot1 preselects the pilot unit, which the plain list does not show."""
    ctx, page, _ = new_page(browser, live.url)
    page.goto("/?unit=pilot1")
    select = page.get_by_label("Hälsocentral", exact=True)
    expect(select.locator("option")).to_have_text(["Pilotcentralen"])
    expect(select).to_have_value("pilot1")
    page.goto("/?unit=nosuch")
    expect(page.locator("#unit-error")).to_have_text(
        "Hälsocentralen i länken finns inte. Välj en i listan."
    )
    ctx.close()


def test_emergency_advice_then_continue(browser: Any, live: LiveServer, screenshots: Path) -> None:
    """Chest pain: 112 advice first, nothing queued; "not acute" queues it first in line."""
    ctx, page, errors = new_page(browser, live.url, width=360)
    posts: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            posts.append(json.loads(r.post_data or "{}"))
            if r.url.endswith("/api/contacts") and r.method == "POST"
            else None
        ),
    )
    patient_intake(page, "Jag har ont i bröstet och svårt att andas sedan en timme")
    expect(page.get_by_role("heading", name="Ring 112 nu")).to_be_visible()
    expect(page.get_by_role("heading", name="Ring 112 nu")).to_be_focused()
    link = page.get_by_role("link", name="Ring 112 – larmnummer")
    expect(link).to_have_attribute("href", "tel:112")
    expect(link).to_have_class(re.compile("phone-link--emergency"))
    axe_clean(page, "emergency advice")
    shoot(page, screenshots, "patient-emergency")

    page.get_by_role("button", name="Det är inte akut – fortsätt till chatten").click()
    expect(page.locator("#queue-info")).to_contain_text("Du är nummer 1 i kön")
    assert [p["acknowledge_emergency"] for p in posts] == [False, True]
    assert posts[1]["contact_id"]
    # The patient may end the chat while waiting; then the survey is offered.
    page.get_by_role("button", name="Avsluta chatten").click()
    page.get_by_role("button", name="Ja, avsluta chatten").click()
    expect(page.locator("#staff-info")).to_have_text("Chatten är avslutad.")
    expect(page.get_by_role("heading", name="Vad tyckte du om chatten?")).to_be_visible()
    assert (errors.errors, errors.dialogs) == ([], [])
    ctx.close()


def test_suicidal_thoughts_show_the_suicide_line(browser: Any, live: LiveServer) -> None:
    """Suicidal thoughts: 112 and Självmordslinjen 90101, both as call links."""
    ctx, page, _ = new_page(browser, live.url)
    patient_intake(page, "Jag vill inte leva längre och tänker ta livet av mig")
    expect(page.locator("#emergency-numbers a")).to_have_text(
        ["Ring 112 – larmnummer", "Självmordslinjen 90101 – dygnet runt"]
    )
    expect(page.get_by_role("link", name="Självmordslinjen 90101 – dygnet runt")).to_have_attribute(
        "href", "tel:90101"
    )
    ctx.close()


def test_queue_full_and_unit_closed(browser: Any, live: LiveServer, screenshots: Path) -> None:
    """409 queue_full (real) and unit_closed show the reason and 1177/112 alternatives."""
    ctx, page, errors = new_page(browser, live.url, width=360)
    patient_intake(page, "Jag har ont i halsen sedan fyra dagar", unit="full1")
    expect(page.get_by_role("heading", name="Kön är full just nu")).to_be_visible()
    expect(page.locator("#alternatives a")).to_have_text(
        ["Ring 112 vid livshotande tillstånd.", "Ring 1177 för sjukvårdsrådgivning dygnet runt."]
    )
    expect(page.locator("#alternatives a").nth(1)).to_have_attribute("href", "tel:1177")
    axe_clean(page, "queue full")
    shoot(page, screenshots, "patient-queue-full")

    # Opening hours belong to another module; the answer's shape is the contract.
    body = {
        "error": {
            "code": "unit_closed",
            "message": "closed",
            "next_open": "2026-11-30T08:00:00+01:00",
            "alternatives": [
                {"phone": "1177", "sv": "Ring 1177.", "en": "Call 1177."},
                {"phone": "112", "sv": "Ring 112.", "en": "Call 112."},
            ],
        }
    }
    page.route(
        "**/api/contacts",
        lambda route: route.fulfill(
            status=409, content_type="application/json", body=json.dumps(body)
        ),
    )
    page.get_by_role("button", name="Tillbaka").click()
    page.get_by_label("Vad gäller det? Beskriv med egna ord").fill("Ont i halsen")
    page.get_by_label("Ålder").fill("40")
    page.get_by_label("Ditt förnamn").fill("Petra")
    page.get_by_role("button", name="Starta chatten").click()
    expect(page.get_by_role("heading", name="Chatten är stängd just nu")).to_be_visible()
    expect(page.locator("#alternatives a")).to_have_text(["Ring 1177.", "Ring 112."])
    expect(page.locator("#unavailable-opens")).to_have_text("Chatten öppnar igen måndag 08:00.")
    axe_clean(page, "unit closed")
    shoot(page, screenshots, "patient-unit-closed")
    assert (errors.errors, errors.dialogs) == ([], [])
    ctx.close()


def test_accessibility_statement(browser: Any, live: LiveServer, screenshots: Path) -> None:
    """/tillganglighet is reachable from the pages, in both languages, axe-clean."""
    ctx, page, errors = new_page(browser, live.url)
    page.goto("/")
    page.get_by_role("link", name="Tillgänglighetsredogörelse").click()
    expect(page).to_have_url(re.compile("/tillganglighet$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Tillgänglighetsredogörelse")
    axe_clean(page, "accessibility statement (sv)")
    shoot(page, screenshots, "accessibility-statement")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
    axe_clean(page, "accessibility statement (en)")
    page.get_by_role("button", name="Svenska").click()
    assert (errors.errors, errors.dialogs) == ([], [])
    ctx.close()


def test_staff_sign_in_errors(
    browser: Any, live: LiveServer, seed: Seed, screenshots: Path
) -> None:
    """Wrong password and a missing code get clear messages; the form is axe-clean."""
    ctx, page, errors = new_page(browser, live.url, width=360)
    page.goto("/staff")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    axe_clean(page, "staff sign-in")
    shoot(page, screenshots, "staff-sign-in")
    page.get_by_label("Användarnamn").fill("nurse2")
    page.get_by_label("Lösenord").fill("wrong password")
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("#login-error")).to_have_text("Fel användarnamn eller lösenord.")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("#login-error")).to_have_text(
        "Skriv engångskoden från din autentiseringsapp."
    )
    expect(page.get_by_label("Engångskod")).to_be_focused()
    axe_clean(page, "staff sign-in with error")
    assert (errors.errors, errors.dialogs) == ([], [])
    ctx.close()
