"""An identified patient in Chromium, against real OpenID Connect providers:
sign-in with "Logga in med BankID / Freja", a whole chat with a nurse signed
in with SITHS, "Mina chattar" and resuming after the tab was closed, the
access log ("Vem har läst mina uppgifter"), and a unit that requires
identification; axe-clean in every new state."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.oidc_live import (
    PNR_CLAIM,
    REQUIRED_UNIT,
    OidcLive,
    authorize,
    block_cdn,
    oidc_live,
    patient_sign_in,
    siths_sign_in,
)
from tests.browser.pages import axe_clean, confirm_staff_close, new_page, shoot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def rp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcLive]:
    with oidc_live(tmp_path_factory) as live:
        yield live


def _intake(page: Any, text: str, age: str = "44") -> None:
    """The intake of a signed-in patient (the first name is filled in from the sign-in)."""
    page.get_by_label("Ålder").fill(age)
    page.get_by_role("button", name="Inget av detta").click()
    described = page.get_by_label("Vad gäller det? Beskriv med egna ord")
    described.wait_for(state="visible")
    described.fill(text)
    page.get_by_role("button", name="Starta chatten").click()


def _nurse_picks(nurse: Any) -> None:
    pick = nurse.get_by_role("button", name=re.compile("Ta patient nummer 1"))
    expect(pick).to_be_visible()
    pick.click()
    expect(nurse.get_by_label("Svar till patienten")).to_be_focused()


def _nurse_says(nurse: Any, text: str) -> None:
    reply = nurse.get_by_label("Svar till patienten")
    reply.fill(text)
    reply.press("Enter")


def _patient_says(patient: Any, text: str) -> None:
    composer = patient.get_by_label("Skriv ett meddelande")
    composer.fill(text)
    composer.press("Enter")


def _nurse_closes(nurse: Any) -> None:
    nurse.get_by_text("Avsluta chatten", exact=True).first.click()
    nurse.get_by_label("Utfall (krävs)").select_option("resolved_in_chat")
    nurse.get_by_role("button", name="Avsluta chatten").click()
    confirm_staff_close(nurse)
    expect(nurse.locator(".msg--notice").last).to_have_text("Chatten är avslutad: Löst i chatten.")


def _staff_identity_view(nurse: Any) -> None:
    """The nurse sees the verified identity; the personnummer only when asked for."""
    identity = nurse.get_by_test_id("identity")
    expect(identity).to_contain_text("Identifierad med BankID")
    expect(nurse.get_by_test_id("personnummer")).to_have_count(0)
    nurse.get_by_test_id("show-personnummer").click()
    expect(nurse.get_by_test_id("personnummer")).to_contain_text("19811218")


def test_identified_chat_and_access_log(rp: OidcLive, browser: Any, screenshots: Path) -> None:
    """Sign in, chat with a SITHS-signed-in nurse until closed, then read the access log."""
    pctx, patient, perr = new_page(browser, rp.url, width=360, height=740)
    sctx, nurse, serr = new_page(browser, rp.url)
    try:
        patient.goto("/?unit=hc1")
        sign_in = patient.get_by_role("link", name="Logga in med BankID / Freja")
        expect(sign_in).to_be_visible()
        expect(patient.locator("#signin")).to_contain_text("chatta utan att logga in")
        # Anonymous chat is offered beside the sign-in.
        expect(patient.get_by_label("Ditt förnamn")).to_be_visible()
        assert sign_in.get_attribute("href") == "/auth/patient/login?return_to=%2F%3Funit%3Dhc1"
        axe_clean(patient, "patient start with sign-in")
        shoot(patient, screenshots, "patient-start-signin")
        assert patient.evaluate("document.documentElement.scrollWidth") <= 360

        patient_sign_in(patient, rp, "anna", "Anna Andersson")
        expect(patient).to_have_url(re.compile(r"/\?unit=hc1$"))
        expect(patient.locator("#signed-in")).to_contain_text("Inloggad som Anna Andersson")
        expect(patient.locator("#signin")).to_be_hidden()
        expect(patient.get_by_label("Ditt förnamn")).to_have_value("Anna")
        mychats = patient.get_by_role("region", name="Mina chattar")
        expect(mychats).to_contain_text("Du har inga chattar ännu.")
        axe_clean(patient, "patient signed in, no chats")

        _intake(patient, "Jag har haft ont i ryggen i en vecka.")
        expect(patient.locator("#queue-info")).to_contain_text("Du är nummer 1 i kön")
        expect(mychats).to_be_hidden()

        # The nurse signs in with SITHS: no one-time code, the dashboard at once.
        siths_sign_in(nurse, rp)
        nurse.locator("#view-dash").wait_for(state="visible")
        _nurse_picks(nurse)
        expect(patient.locator("#staff-info")).to_have_text("Du chattar med Nina Nurse.")
        _staff_identity_view(nurse)

        _patient_says(patient, "Det strålar ner i benet.")
        expect(nurse.locator(".msg--theirs .msg__body")).to_have_text(["Det strålar ner i benet."])
        _nurse_says(nurse, "Har du svårt att kissa?")
        expect(patient.locator(".msg--theirs .msg__body")).to_have_text(["Har du svårt att kissa?"])
        _nurse_closes(nurse)
        expect(patient.locator("#staff-info")).to_have_text("Chatten är avslutad.")

        # A new chat: the start page lists the closed one (not resumable).
        patient.get_by_role("button", name="Starta en ny chatt").click()
        expect(mychats.locator("li")).to_have_count(1)
        expect(mychats.locator("li")).to_contain_text("Avslutad")
        expect(mychats.get_by_role("button", name="Fortsätt chatten")).to_have_count(0)
        axe_clean(patient, "patient signed in with Mina chattar")
        shoot(patient, screenshots, "patient-mychats")

        # "Vem har läst mina uppgifter": the nurse's pick, in words.
        mychats.get_by_role("link", name="Vem har läst mina uppgifter").click()
        expect(patient).to_have_url(re.compile(r"/atkomstlogg$"))
        expect(patient.get_by_role("heading", level=1)).to_have_text("Vem har läst mina uppgifter")
        entries = patient.locator("#access-log-list > li")
        picked = entries.filter(has_text="Tog emot din chatt och läste den")
        expect(picked).to_have_count(1)
        expect(picked).to_contain_text("Nina Nurse")
        expect(picked).to_contain_text("Sjuksköterska")
        expect(picked).to_contain_text("Hälsocentralen Ett")
        expect(entries.filter(has_text="Avslutade din chatt")).to_have_count(1)
        # No internal action codes reach the page.
        assert (
            re.search(r"\b(pick|close|sync|personnummer_read)\b", entries.first.inner_text())
            is None
        )
        expect(patient.locator("#access-log-status")).to_contain_text("Antal händelser:")
        axe_clean(patient, "patient access log")
        shoot(patient, screenshots, "patient-access-log")
        assert patient.evaluate("document.documentElement.scrollWidth") <= 360
        patient.get_by_role("button", name="English").click()
        expect(picked).to_have_count(0)
        expect(entries.filter(has_text="Took your chat and read it")).to_contain_text("Nurse")
        expect(patient.locator("html")).to_have_attribute("lang", "en")
        axe_clean(patient, "patient access log (en)")
        patient.get_by_role("button", name="Svenska").click()
        assert (perr.errors, perr.dialogs, serr.errors, serr.dialogs) == ([], [], [], [])
    finally:
        pctx.close()
        sctx.close()


def test_resume_after_closing_the_tab(rp: OidcLive, browser: Any) -> None:
    """The tab closes mid-chat; a new one resumes it from "Mina chattar" with the messages."""
    pctx, patient, perr = new_page(browser, rp.url, width=360, height=740)
    sctx, nurse, serr = new_page(browser, rp.url)
    try:
        patient.goto("/?unit=hc1")
        patient_sign_in(patient, rp, "bertil", "Bertil Berg", pnr="198112789873")
        _intake(patient, "Jag behöver förnya mitt recept på blodtrycksmedicin.", age="61")
        expect(patient.locator("#queue-info")).to_contain_text("i kön")
        siths_sign_in(nurse, rp)
        nurse.locator("#view-dash").wait_for(state="visible")
        _nurse_picks(nurse)
        _nurse_says(nurse, "Vilken medicin gäller det?")
        expect(patient.locator(".msg--theirs .msg__body")).to_have_text(
            ["Vilken medicin gäller det?"]
        )
        _patient_says(patient, "Enalapril 10 mg.")
        expect(nurse.locator(".msg--theirs .msg__body")).to_have_text(["Enalapril 10 mg."])

        # The tab is closed (its sessionStorage is gone); the session cookie stays.
        patient.close()
        patient = pctx.new_page()
        patient.goto("/")
        expect(patient.locator("#signed-in")).to_contain_text("Inloggad som Bertil Berg")
        expect(patient.locator("#signed-in-open")).to_be_visible()
        mychats = patient.get_by_role("region", name="Mina chattar")
        expect(mychats.locator("li")).to_have_count(1)
        expect(mychats.locator("li")).to_contain_text("Pågår")
        axe_clean(patient, "patient signed in with an open chat")
        mychats.get_by_role("button", name="Fortsätt chatten").click()

        expect(patient.locator("#view-chat")).to_be_visible()
        expect(patient.locator("#staff-info")).to_have_text("Du chattar med Nina Nurse.")
        expect(patient.locator(".msg--theirs .msg__body")).to_have_text(
            ["Vilken medicin gäller det?"]
        )
        expect(patient.locator(".msg--mine .msg__body")).to_have_text(["Enalapril 10 mg."])
        _patient_says(patient, "Jag tar en tablett på morgonen.")
        expect(nurse.locator(".msg--theirs .msg__body")).to_have_text(
            ["Enalapril 10 mg.", "Jag tar en tablett på morgonen."]
        )
        _nurse_says(nurse, "Då förnyar jag det.")
        expect(patient.locator(".msg--theirs .msg__body")).to_have_text(
            ["Vilken medicin gäller det?", "Då förnyar jag det."]
        )
        # A reload keeps the resumed chat (the tab's session holds the new token).
        patient.reload()
        expect(patient.locator(".msg--theirs .msg__body")).to_have_count(2)
        _nurse_closes(nurse)
        expect(patient.locator("#staff-info")).to_have_text("Chatten är avslutad.")
        assert (perr.errors, serr.errors) == ([], [])
    finally:
        pctx.close()
        sctx.close()


def test_unit_requiring_identification(rp: OidcLive, browser: Any, screenshots: Path) -> None:
    """A unit that requires e-legitimation offers no anonymous chat, and the API refuses one."""
    unit_id, unit_name = REQUIRED_UNIT
    ctx, page, errors = new_page(browser, rp.url, width=360, height=740)
    try:
        page.goto(f"/?unit={unit_id}")
        expect(page.get_by_label("Hälsocentral", exact=True)).to_contain_text(unit_name)
        required = page.locator("#signin-required")
        expect(required).to_be_visible()
        expect(required).to_contain_text("tar bara emot chattar från den som har loggat in")
        expect(page.get_by_role("link", name="Logga in med BankID / Freja")).to_be_visible()
        expect(page.get_by_label("Ditt förnamn")).to_be_hidden()
        expect(page.get_by_role("button", name="Starta chatten")).to_be_hidden()
        expect(page.locator("#signin-anonymous")).to_be_hidden()
        axe_clean(page, "patient start, identification required")
        shoot(page, screenshots, "patient-identification-required")

        # A direct anonymous intake is refused; nothing is stored.
        r = rp.post(
            "/api/contacts",
            {
                "unit_id": unit_id,
                "lang": "sv",
                "age": 30,
                "name": "Ingen",
                "text": "Jag vill chatta utan att logga in.",
                "would_otherwise": "unknown",
                "acknowledge_emergency": False,
            },
        )
        assert (r.status_code, r.json()["error"]["code"]) == (401, "identification_required")

        # Signed in, the form is offered.
        patient_sign_in(page, rp, "cecilia", "Cecilia Ceder")
        expect(page.locator("#signin-required")).to_be_hidden()
        expect(page.get_by_label("Ditt förnamn")).to_have_value("Cecilia")
        expect(page.get_by_label("Ålder")).to_be_visible()
        assert (errors.errors, errors.dialogs) == ([], [])
    finally:
        ctx.close()


def test_access_log_signs_in_first(rp: OidcLive, browser: Any) -> None:
    """Without a session the access log offers the sign-in, which comes back to it."""
    ctx, page, errors = new_page(browser, rp.url, width=360, height=740)
    try:
        page.goto("/atkomstlogg")
        expect(page.locator("#access-log-signin")).to_contain_text(
            "Logga in med BankID eller Freja"
        )
        expect(page.locator("#access-log-list")).to_be_hidden()
        axe_clean(page, "patient access log, signed out")
        rp.patient.set_user("david", {PNR_CLAIM: "195001012383", "name": "David Dahl"})
        block_cdn(page)
        page.get_by_role("link", name="Logga in med BankID / Freja").click()
        authorize(page, "david")
        expect(page).to_have_url(re.compile(r"/atkomstlogg$"))
        expect(page.locator("#access-log-status")).to_have_text(
            "Ingen i vården har läst eller ändrat dina uppgifter i chatten ännu."
        )
        expect(page.locator("#access-log-signin")).to_be_hidden()
        assert (errors.errors, errors.dialogs) == ([], [])
    finally:
        ctx.close()
