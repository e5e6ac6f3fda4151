"""Resilience and safety in Chromium: a patient offline while the nurse writes
sees every message exactly once after coming back; an XSS corpus sent both ways
(and through the intake) renders as inert text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.pages import axe_clean, new_page, patient_intake, shoot, staff_login
from tests.helpers import Seed
from tests.live import LiveServer

pytestmark = pytest.mark.browser

XSS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert('x')</script>",
    '<a href="javascript:alert(1)">klicka här</a>',
    '"><svg onload=alert(1)>',
    "<iframe src=javascript:alert(1)></iframe>",
    "{{constructor.constructor('alert(1)')()}}",
    "<b onmouseover=alert(1)>fet</b> &amp; &lt;",
]


def _start_chat(
    browser: Any, live: LiveServer, account: Any, unit: str, text: str
) -> tuple[Any, ...]:
    pctx, patient, perr = new_page(browser, live.url, width=360)
    sctx, nurse, serr = new_page(browser, live.url)
    staff_login(nurse, account)
    patient_intake(patient, text, unit=unit, name=XSS[0] if unit == "hc2" else "Petra")
    expect(patient.locator("#queue-info")).to_be_visible()
    nurse.get_by_role("button", name="Ta nästa").click()
    expect(patient.locator("#staff-info")).to_contain_text("Du chattar med")
    return pctx, patient, perr, sctx, nurse, serr


def test_offline_patient_sees_every_message_once(
    browser: Any, live: LiveServer, seed: Seed, screenshots: Path
) -> None:
    """Offline patient: the nurse's 3 messages arrive once each after reconnecting,
    and the patient's message written offline is delivered once."""
    pctx, patient, perr, sctx, nurse, serr = _start_chat(
        browser, live, seed["nurse1"], "hc1", "Jag har ont i halsen sedan fyra dagar"
    )
    reply = nurse.get_by_label("Svar till patienten")
    reply.fill("Första svaret")
    reply.press("Enter")
    expect(patient.locator(".msg--theirs .msg__body")).to_have_text(["Första svaret"])

    pctx.set_offline(True)
    expect(patient.locator("#connection")).to_contain_text("Anslutningen bröts")
    axe_clean(patient, "patient offline")
    shoot(patient, screenshots, "patient-offline", widths=(360,))
    for text in ("Andra svaret", "Tredje svaret", "Fjärde svaret"):
        reply.fill(text)
        reply.press("Enter")
    expect(nurse.locator('.msg--mine[data-state="sent"]')).to_have_count(4)
    composer = patient.get_by_label("Skriv ett meddelande")
    composer.fill("Skrivet utan nät")
    composer.press("Enter")
    expect(patient.locator('.msg[data-state="pending"] .msg__body')).to_have_text(
        ["Skrivet utan nät"]
    )

    pctx.set_offline(False)
    expect(patient.locator("#connection")).to_be_hidden(timeout=20_000)
    expect(patient.locator(".msg--theirs .msg__body")).to_have_text(
        ["Första svaret", "Andra svaret", "Tredje svaret", "Fjärde svaret"]
    )
    expect(patient.locator('.msg--mine[data-state="sent"] .msg__body')).to_have_text(
        ["Skrivet utan nät"]
    )
    expect(nurse.locator(".msg--theirs .msg__body")).to_have_text(["Skrivet utan nät"])
    seqs = patient.eval_on_selector_all("[data-seq]", "els => els.map(e => Number(e.dataset.seq))")
    assert seqs == [1, 2, 3, 4, 5]

    # A reload resumes from sessionStorage with the same messages, once each.
    patient.reload()
    expect(patient.locator(".msg__body")).to_have_text(
        ["Första svaret", "Andra svaret", "Tredje svaret", "Fjärde svaret", "Skrivet utan nät"]
    )
    assert (perr.errors, perr.dialogs, serr.errors, serr.dialogs) == ([], [], [], [])
    pctx.close()
    sctx.close()


def test_xss_corpus_renders_as_text(browser: Any, live: LiveServer, seed: Seed) -> None:
    """Markup in the intake, the name and messages both ways stays text: no dialog,
    no injected element, exact text shown."""
    pctx, patient, perr, sctx, nurse, serr = _start_chat(
        browser, live, seed["nurse_hc2"], "hc2", XSS[3] + " ont i halsen"
    )
    expect(nurse.locator(".panel__intake")).to_have_text(XSS[3] + " ont i halsen")
    expect(nurse.locator(".panel__title")).to_have_text(f"{XSS[0]}, 40 år")
    expect(nurse.locator(".tab__name")).to_have_text([XSS[0]])

    composer = patient.get_by_label("Skriv ett meddelande")
    reply = nurse.get_by_label("Svar till patienten")
    for payload in XSS:
        composer.fill(payload)
        composer.press("Enter")
        reply.fill(payload)
        reply.press("Enter")
    expect(nurse.locator(".msg--theirs .msg__body")).to_have_text(XSS)
    expect(patient.locator(".msg--theirs .msg__body")).to_have_text(XSS)
    expect(patient.locator('.msg--mine[data-state="sent"] .msg__body')).to_have_text(XSS)
    expect(nurse.locator('.msg--mine[data-state="sent"] .msg__body')).to_have_text(XSS)

    # The journal note carries the text verbatim, in a textarea (never markup).
    nurse.get_by_text("Journalanteckning", exact=True).click()
    expect(nurse.locator("textarea[id^=journal]")).to_have_value(re.compile(re.escape(XSS[1])))

    injected = "img, script:not([src]), svg, iframe, a[href^='javascript']"
    for page in (patient, nurse):
        page.mouse.move(200, 300)
        assert page.locator(f".messages {injected}, .panel__head {injected}").count() == 0
        assert page.evaluate("typeof window.__xss") == "undefined"
    assert (perr.dialogs, serr.dialogs) == ([], [])
    assert (perr.errors, serr.errors) == ([], [])
    pctx.close()
    sctx.close()


def test_tabs_unread_and_red_flag_alert(browser: Any, live: LiveServer, seed: Seed) -> None:
    """A red-flag arrival marks the title; two chats sit in tabs, an unseen patient
    message shows an unread marker, arrow keys switch tabs and clear it."""
    sctx, nurse, serr = new_page(browser, live.url)
    staff_login(nurse, seed["nurse2"])
    actx, patient_a, aerr = new_page(browser, live.url, width=360)
    patient_intake(
        patient_a, "Jag har ont i bröstet och svårt att andas sedan en timme", name="Anna"
    )
    patient_a.get_by_role("button", name="Det är inte akut – fortsätt till chatten").click()
    expect(patient_a.locator("#queue-info")).to_be_visible()
    expect(nurse).to_have_title(re.compile(r"^\(!\) Ny patient med röd flagga i kön"))
    expect(nurse.locator(".queue .badge--flag")).to_have_text(["Röd flagga"])
    bctx, patient_b, berr = new_page(browser, live.url, width=360)
    patient_intake(patient_b, "Jag behöver förnya mitt recept på astmamedicin", name="Bertil")

    nurse.get_by_role("button", name="Ta nästa").click()
    # A tab: the name, the level in words, the wait for a reply (issue 17).
    expect(nurse.locator(".tab__name")).to_have_text(["Anna"])
    expect(nurse).to_have_title("Chattmottagning – personal")
    nurse.get_by_role("button", name="Ta nästa").click()
    expect(nurse.locator(".tab__name")).to_have_text(["Anna", "Bertil"])
    expect(nurse.get_by_role("tab", name="Bertil")).to_have_attribute("aria-selected", "true")

    composer = patient_a.get_by_label("Skriv ett meddelande")
    composer.fill("Nu känns det bättre")
    composer.press("Enter")
    anna = nurse.get_by_role("tab", name=re.compile("^Anna"))
    expect(anna.locator(".tab__unread")).to_have_text("1")
    expect(anna).to_contain_text("1 olästa")
    axe_clean(nurse, "staff two chats, unread marker")
    nurse.get_by_role("tab", name="Bertil").focus()
    nurse.keyboard.press("ArrowLeft")
    expect(anna).to_be_focused()
    expect(anna).to_have_attribute("aria-selected", "true")
    expect(anna.locator(".tab__unread")).to_have_count(0)
    expect(nurse.locator(".panel:not([hidden]) .msg--theirs .msg__body")).to_have_text(
        ["Nu känns det bättre"]
    )
    assert (serr.errors, aerr.errors, berr.errors) == ([], [], [])
    for ctx in (sctx, actx, bctx):
        ctx.close()
