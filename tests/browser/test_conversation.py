"""A whole conversation in Chromium: patient intake → queue → nurse picks →
messages both ways → notes, canned reply, override, journal → close → survey;
axe-clean in every state, with screenshots."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

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


def test_whole_conversation(browser: Any, live: LiveServer, seed: Seed, screenshots: Path) -> None:
    """Patient and nurse chat from intake to survey; every state passes axe."""
    pctx, patient, perr = new_page(browser, live.url, width=360, height=740)
    sctx, nurse, serr = new_page(browser, live.url)

    staff_login(nurse, seed["nurse1"])
    expect(nurse.locator("#queue-list")).to_contain_text("0 väntar")
    axe_clean(nurse, "staff queues (empty)")

    patient_intake(patient, "Jag har haft ont i halsen i fyra dagar och vill ha råd.")
    expect(patient.locator("#queue-info")).to_contain_text("Du är nummer 1 i kön")
    axe_clean(patient, "patient waiting")
    shoot(patient, screenshots, "patient-waiting")

    # The queue push reaches the dashboard; the nurse picks that contact by keyboard.
    pick = nurse.get_by_role("button", name=re.compile("Ta patient nummer 1"))
    expect(pick).to_be_visible()
    expect(nurse.locator(".queue h2")).to_contain_text("1 väntar")
    axe_clean(nurse, "staff queues (waiting)")
    shoot(nurse, screenshots, "staff-queues")
    pick.focus()
    nurse.keyboard.press("Enter")
    reply = nurse.get_by_label("Svar till patienten")
    expect(reply).to_be_focused()
    expect(patient.locator("#staff-info")).to_have_text("Du chattar med Nina Nurse.")
    expect(patient.locator(".msg--notice")).to_have_text(["Nina Nurse har anslutit till chatten."])

    # Patient → nurse, with the typing indicator first.
    composer = patient.get_by_label("Skriv ett meddelande")
    composer.press_sequentially("Det gör ont")
    expect(nurse.locator(".typing")).to_have_text("Petra skriver …")
    composer.fill("Det gör fortfarande ont i halsen.")
    composer.press("Enter")
    expect(patient.locator('.msg--mine[data-state="sent"] .msg__body')).to_have_text(
        ["Det gör fortfarande ont i halsen."]
    )
    expect(nurse.locator(".msg--theirs .msg__body")).to_have_text(
        ["Det gör fortfarande ont i halsen."]
    )

    # A canned reply made on the dashboard, inserted and sent.
    nurse.get_by_text("Hantera snabbsvar").click()
    nurse.get_by_label("Rubrik").fill("Egenvård hals")
    nurse.get_by_label("Text", exact=True).fill("Drick varmt och vila rösten.")
    nurse.get_by_role("button", name="Lägg till snabbsvar").click()
    canned = nurse.get_by_label("Snabbsvar", exact=True)
    expect(canned.locator("option")).to_have_text(["Välj snabbsvar", "Egenvård hals"])
    canned.select_option(label="Egenvård hals")
    nurse.get_by_role("button", name="Infoga").click()
    expect(reply).to_have_value("Drick varmt och vila rösten.")
    reply.press("Enter")
    expect(patient.locator(".msg--theirs .msg__body")).to_have_text(
        ["Drick varmt och vila rösten."]
    )
    expect(patient.locator(".msg--theirs .msg__who")).to_have_text(["Nina Nurse"])
    nurse.get_by_label("Svar till patienten").fill("Har du feber?")
    nurse.get_by_label("Svar till patienten").press("Enter")
    expect(patient.locator(".msg--theirs .msg__body")).to_have_count(2)

    # An internal note stays on the dashboard.
    nurse.get_by_label("Ny anteckning").fill("Misstänkt halsfluss, ingen andningspåverkan.")
    nurse.get_by_role("button", name="Spara anteckning").click()
    expect(nurse.locator(".notes li")).to_contain_text(["Misstänkt halsfluss"])

    # Triage override needs a reason.
    nurse.get_by_text("Ändra triagenivå").click()
    nurse.get_by_label("Ny nivå").select_option("urgent")
    nurse.get_by_label("Skäl (krävs)").fill("Svårt att svälja vätska")
    nurse.get_by_role("button", name="Ändra nivå").click()
    expect(nurse.locator(".panel__triage")).to_contain_text("Brådskande")

    axe_clean(patient, "patient chatting")
    axe_clean(nurse, "staff chat")
    shoot(patient, screenshots, "patient-chatting")
    shoot(nurse, screenshots, "staff-chat")

    # The journal note: reason, triage, exchange, notes, outcome — in Swedish.
    nurse.get_by_text("Journalanteckning", exact=True).click()
    journal_box = nurse.get_by_label("Text att klistra in i journalen (på svenska)")
    expect(journal_box).to_have_value(re.compile("Skäl: Svårt att svälja vätska"))
    journal = journal_box.input_value()
    assert "Kontaktorsak: Jag har haft ont i halsen i fyra dagar och vill ha råd." in journal
    assert (
        "Triage ändrad från Normal till Brådskande av Nina Nurse. Skäl: Svårt att svälja vätska"
        in journal
    )
    assert "Sammanfattning av chatten (3 meddelanden):" in journal
    assert "Patient: Det gör fortfarande ont i halsen." in journal
    assert "Nina Nurse: Drick varmt och vila rösten." in journal
    assert "- Nina Nurse: Misstänkt halsfluss, ingen andningspåverkan." in journal
    assert journal.endswith("Utfall: Pågår")
    nurse.get_by_role("button", name="Kopiera").click()
    expect(nurse.locator(".copied")).to_have_text("Kopierad.")

    # Closing needs an outcome.
    nurse.get_by_text("Avsluta chatten", exact=True).first.click()
    nurse.get_by_role("button", name="Avsluta chatten").click()
    expect(nurse.get_by_role("alert").filter(has_text="Välj ett utfall")).to_have_text(
        "Välj ett utfall innan du avslutar."
    )
    expect(nurse.get_by_label("Utfall (krävs)")).to_be_focused()
    nurse.get_by_label("Utfall (krävs)").select_option("resolved_in_chat")
    nurse.get_by_role("button", name="Avsluta chatten").click()
    confirm_staff_close(nurse)
    expect(nurse.locator(".msg--notice").last).to_have_text("Chatten är avslutad: Löst i chatten.")
    expect(nurse.get_by_label("Text att klistra in i journalen (på svenska)")).to_have_value(
        re.compile("Utfall: Löst i chatten$")
    )

    expect(patient.locator("#staff-info")).to_have_text("Chatten är avslutad.")
    expect(patient.locator("#view-survey")).to_be_visible()
    expect(patient.locator("#composer")).to_be_hidden()
    # The patient never saw the note or the override.
    assert "halsfluss" not in patient.content()
    assert "Svårt att svälja vätska" not in patient.content()
    axe_clean(patient, "patient closed + survey")
    shoot(patient, screenshots, "patient-closed-survey")

    patient.get_by_role("button", name="Skicka svar").click()
    expect(patient.locator("#survey-error")).to_have_text("Välj en siffra från 1 till 5.")
    patient.get_by_label("4").check()
    patient.get_by_label("Vill du lägga till något? (frivilligt)").fill("Snabbt svar, tack!")
    patient.get_by_role("button", name="Skicka svar").click()
    expect(patient.locator("#survey-thanks")).to_have_text("Tack för ditt svar!")
    axe_clean(patient, "patient survey answered")

    # A reload resumes from sessionStorage: the closed chat, no second survey.
    patient.reload()
    expect(patient.locator("#survey-thanks")).to_have_text("Tack för ditt svar!")
    expect(patient.locator(".msg--theirs .msg__body")).to_have_count(2)
    token = patient.evaluate("JSON.parse(sessionStorage.getItem('chat.session')).token")
    assert token not in patient.url
    r = patient.request.post(
        "/api/contacts/survey",
        data=json.dumps({"rating": 1}),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    assert r.status == 409

    # The session ends elsewhere: the dashboard goes back to sign-in with a message.
    csrf = nurse.evaluate("fetch('/api/staff/me').then(r => r.json()).then(d => d.csrf_token)")
    nurse.evaluate(
        "t => fetch('/api/staff/logout', {method: 'POST', headers: {'x-csrf-token': t}})", csrf
    )
    expect(nurse.locator("#session-msg")).to_have_text("Din session har gått ut. Logga in igen.")
    expect(nurse.locator("#view-login")).to_be_visible()

    assert (perr.errors, perr.dialogs, serr.errors, serr.dialogs) == ([], [], [], [])
    pctx.close()
    sctx.close()
