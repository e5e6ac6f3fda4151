"""Issue 17 on the patient's side in Chromium at 360 px: the page follows the
browser's language and remembers a choice; after intake the chat shows what
the patient wrote and what happens now; "Avsluta chatten" asks first; the
closing notice says the outcome and the unit's text, is focused, and the
patient can save (Blob download) or print the conversation. Axe-clean in each
state, screenshots in build/screenshots/."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from chatserver.admin.closing_texts import DEFAULTS
from chatserver.settings import Settings
from tests.browser.pages import (
    axe_clean,
    confirm_staff_close,
    new_page,
    patient_intake,
    shoot,
    staff_login,
)
from tests.helpers import Seed
from tests.live import LiveServer

pytestmark = pytest.mark.browser

TEXT = "Jag har haft ont i halsen i fyra dagar och vill ha råd."


def test_english_browser_opens_in_english_and_a_choice_is_remembered(
    browser: Any, live: LiveServer, screenshots: Path
) -> None:
    """navigator.languages en-GB: English page; "Svenska" is remembered over the browser's
    language on the next visit; a Swedish browser opens in Swedish."""
    ctx, page, errors = new_page(browser, live.url, width=360, locale="en-GB")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell us what it is about")
    expect(page.locator("#unit option").first).to_have_text("Choose a health centre")
    axe_clean(page, "patient intake, English browser")
    shoot(page, screenshots, "patient-intake-english-browser", widths=(360,))
    assert page.evaluate("localStorage.getItem('chat.lang')") is None
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Beskriv ditt ärende")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert (errors.errors, errors.dialogs) == ([], [])
    ctx.close()

    ctx, page, _ = new_page(browser, live.url, width=360, locale="sv-SE")
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    ctx.close()


def test_intake_echo_leave_confirmation_and_closing_notice(
    browser: Any, live: LiveServer, screenshots: Path
) -> None:
    """The chat opens with the patient's words and what happens now; "Avsluta chatten"
    asks in a modal dialog (Escape or "Nej" keep the chat); "Ja" ends it and the
    notice "Du har avslutat chatten" with its text is focused; the conversation can
    be saved as a file and printed."""
    ctx, page, errors = new_page(browser, live.url, width=360, height=740)
    patient_intake(page, TEXT)
    expect(page.locator("#queue-info")).to_contain_text("Du är nummer")
    expect(page.get_by_role("heading", name="Det här skrev du")).to_be_visible()
    expect(page.locator("#chat-intro-text")).to_have_text(TEXT)
    expect(page.get_by_role("heading", name="Det här händer nu")).to_be_visible()
    expect(page.locator("#chat-intro-queue")).to_contain_text("Du är nummer")
    expect(page.locator(".chat-intro__steps")).to_contain_text("ring 112")
    axe_clean(page, "patient chat after intake (echo, what happens now)")
    shoot(page, screenshots, "patient-intake-echo")
    # "Avsluta chatten" is at the top, above the messages, not by the send button.
    leave = page.locator("#leave").bounding_box()
    messages = page.locator("#messages").bounding_box()
    assert leave is not None
    assert messages is not None
    assert leave["y"] + leave["height"] <= messages["y"]

    page.get_by_role("button", name="Avsluta chatten").click()
    dialog = page.get_by_role("dialog", name="Vill du avsluta chatten?")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Nej, fortsätt chatta")).to_be_focused()
    axe_clean(page, "patient leave confirmation")
    shoot(page, screenshots, "patient-leave-confirm", widths=(360,))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Avsluta chatten")).to_be_focused()
    page.get_by_role("button", name="Avsluta chatten").click()
    page.get_by_role("button", name="Nej, fortsätt chatta").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#staff-info")).to_be_hidden()

    page.get_by_role("button", name="Avsluta chatten").click()
    page.get_by_role("button", name="Ja, avsluta chatten").click()
    heading = page.get_by_role("heading", name="Du har avslutat chatten")
    expect(heading).to_be_focused()
    expect(page.locator("#closed-text")).to_have_text(DEFAULTS["patient_left"][0])
    expect(page.locator("#staff-info")).to_have_text("Chatten är avslutad.")
    expect(page.get_by_role("button", name="Avsluta chatten")).to_be_hidden()
    assert page.evaluate(
        "(() => { const r = document.querySelector('#closed-heading').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; })()"
    )
    axe_clean(page, "patient closing notice")
    shoot(page, screenshots, "patient-closing-notice")

    with page.expect_download() as got:
        page.get_by_role("button", name="Spara chatten som fil").click()
    download = got.value
    assert re.fullmatch(r"chatt-\d{4}-\d{2}-\d{2}\.txt", download.suggested_filename)
    saved = Path(download.path()).read_text("utf-8")
    assert saved.startswith("Chatt med vården\nKopia gjord ")
    assert "— Chatten är avslutad. Tack för att du kontaktade oss." in saved
    assert "Du har avslutat chatten\n" + DEFAULTS["patient_left"][0] in saved

    # (A function given to evaluate is called: wrap the assignment in one.)
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Skriv ut chatten").click()
    assert page.evaluate("window.printed") == 1
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("#transcript-download")).to_be_hidden()
    expect(page.locator("#messages")).to_be_visible()
    expect(page.locator("#closed-heading")).to_be_visible()
    page.emulate_media(media="screen")
    assert (errors.errors, errors.dialogs) == ([], [])
    ctx.close()


def test_unit_text_for_the_outcome_in_english(
    browser: Any, live: LiveServer, seed: Seed, screenshots: Path
) -> None:
    """The nurse books a visit: the English-speaking patient reads "You have an
    appointment at the health centre" and the unit's own English text. (The
    nurse's canned-reply picker follows her language on the way.)"""
    own_sv, own_en = "Kom till Storgatan 1, plan 2.", "Come to Storgatan 1, floor 2."
    db = Settings(data_dir=live.data_dir).sqlite_path
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO closing_texts (unit_id, outcome, text_sv, text_en, updated_at)"
            " VALUES ('hc1', 'physical_visit_booked', ?, ?, ?)"
            " ON CONFLICT (unit_id, outcome) DO UPDATE SET text_sv = excluded.text_sv,"
            " text_en = excluded.text_en",
            (own_sv, own_en, time.time()),
        )
    pctx, patient, perr = new_page(browser, live.url, width=360, height=740)
    sctx, nurse, _ = new_page(browser, live.url)
    staff_login(nurse, seed["nurse2"])
    patient_intake(patient, TEXT)
    expect(patient.locator("#queue-info")).to_contain_text("Du är nummer")
    patient.get_by_role("button", name="English").click()
    expect(patient.get_by_role("heading", name="What you wrote")).to_be_visible()
    pick = nurse.get_by_role("button", name=re.compile("Ta patient nummer 1"))
    pick.click()
    expect(patient.locator("#chat-intro-next")).to_be_hidden()
    # The nurse's canned-reply picker follows her language switch (issue 17 point 9).
    picker = nurse.locator('select[data-id="canned"] option').first
    expect(picker).to_have_text("Välj snabbsvar")
    nurse.get_by_role("button", name="English").click()
    expect(picker).to_have_text("Choose a quick reply")
    nurse.get_by_role("button", name="Svenska").click()
    expect(picker).to_have_text("Välj snabbsvar")
    nurse.get_by_text("Avsluta chatten", exact=True).first.click()
    nurse.get_by_label("Utfall (krävs)").select_option("physical_visit_booked")
    nurse.get_by_role("button", name="Avsluta chatten").click()
    confirm_staff_close(nurse)
    heading = patient.get_by_role("heading", name="You have an appointment at the health centre")
    expect(heading).to_be_focused()
    expect(patient.locator("#closed-text")).to_have_text(own_en)
    axe_clean(patient, "patient closing notice with the unit's text (en)")
    shoot(patient, screenshots, "patient-closing-unit-text-en")
    patient.get_by_role("button", name="Svenska").click()
    expect(patient.get_by_role("heading", name="Du har fått en tid för besök på hälsocentralen"))
    expect(patient.locator("#closed-text")).to_have_text(own_sv)
    assert (perr.errors, perr.dialogs) == ([], [])
    pctx.close()
    sctx.close()
