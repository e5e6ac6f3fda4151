"""Issue 17, the nurse's screen in Chromium: queue rows a nurse can pick from,
five chats at 1280×800 with Send, Close and Journal in view, tabs with level
and waiting time, the shortcut help, the close confirmation, the patient's
presence, and a signed-out /staff without console errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.browser.pages import axe_clean, confirm_staff_close, new_page, shoot, staff_login
from tests.helpers import Seed, intake_body
from tests.live import LiveServer

pytestmark = pytest.mark.browser

LONG = (
    "I have had a sore throat for four days, fever in the evenings and it hurts to"
    " swallow food, I would like advice on what to do"
)
PATIENTS = [
    {"name": "Anna Andersson", "text": "Jag har ont i halsen och feber sedan i går."},
    {"name": "Erik English", "text": LONG, "lang": "en"},
    {"name": "Sara Svensson", "text": "Jag behöver förnya mitt recept på blodtrycksmedicin."},
    {"name": "Olle Olsson", "text": "Jag har utslag på armarna som kliar."},
    {"name": "Maja Månsson", "text": "Jag har ont i örat sedan tre dagar."},
]


def _intake(live: LiveServer, **fields: Any) -> dict[str, Any]:
    r = httpx.post(f"{live.url}/api/contacts", json=intake_body(**fields), timeout=10)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def _in_view(page: Any, locator: Any) -> None:
    """The element is inside the window without scrolling (bounding box)."""
    box = locator.bounding_box()
    assert box is not None
    view = page.viewport_size
    assert box["y"] >= 0, box
    assert box["y"] + box["height"] <= view["height"], (box, view)
    assert box["x"] + box["width"] <= view["width"], (box, view)


def test_signed_out_staff_page_logs_no_console_error(
    browser: Any, live: LiveServer, screenshots: Path
) -> None:
    """/staff signed out at 360 px: the form, no request that answers 401."""
    ctx, page, _ = new_page(browser, live.url, width=360, height=740)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status))
    page.goto("/staff")
    expect(page.get_by_role("heading", name="Logga in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert errors == []
    assert 401 not in statuses
    axe_clean(page, "staff signed out (360 px)")
    shoot(page, screenshots, "staff-signed-out", widths=(360,))
    ctx.close()


def test_five_chats_at_1280x800(
    browser: Any, live: LiveServer, seed: Seed, screenshots: Path
) -> None:
    """Queue rows tell who waits; five chats fit one screen; the tools are in view."""
    contacts = [_intake(live, **p) for p in PATIENTS]
    ctx, nurse, errs = new_page(browser, live.url, width=1280, height=800)
    staff_login(nurse, seed["nurse1"])

    # The queue rows: name, language, first words, level in words, tags in words.
    rows = nurse.get_by_test_id("queue-row")
    expect(rows).to_have_count(5)
    erik = rows.filter(has_text="Erik English")
    expect(erik).to_contain_text("Språk: engelska")
    expect(erik.locator(".queue__preview")).to_have_text(re.compile(r"^I have had a sore .*…$"))
    expect(erik.locator(".badge--standard, .badge--urgent, .badge--non_urgent")).to_have_count(1)
    anna = rows.filter(has_text="Anna Andersson")
    expect(anna).to_contain_text("Språk: svenska")
    expect(anna.locator(".queue__preview")).to_have_text(PATIENTS[0]["text"])
    # The words that raised the level, as on the chat's header.
    expect(anna.locator(".reasons--row")).to_contain_text("Ord:")
    tags = nurse.locator(".queue__tags .badge--tag")
    assert tags.count() > 0
    for text in tags.all_inner_texts():
        assert "_" not in text, text  # a label, not a code like mental_health
    axe_clean(nurse, "staff queue rows with previews")
    shoot(nurse, screenshots, "staff-queue-rows", widths=(1280,))

    # Five picks: five tabs, each with its level and the waiting time.
    for n in range(5):
        nurse.get_by_role("button", name="Ta nästa").first.click()
        expect(nurse.get_by_role("tab")).to_have_count(n + 1)
    tabs = nurse.get_by_role("tab")
    for i in range(5):
        expect(tabs.nth(i)).to_contain_text(re.compile(r"Normal|Brådskande|Ej brådskande|Akut"))
        expect(tabs.nth(i).get_by_test_id("tab-wait")).to_contain_text("väntar på svar")

    panel = nurse.locator(".panel:not([hidden])")
    expect(panel.get_by_test_id("chat-lang")).to_contain_text("Språk:")
    nurse.screenshot(path=str(screenshots / "staff-five-chats-1280x800.png"))
    _in_view(nurse, panel.get_by_role("button", name="Skicka", exact=True))
    _in_view(nurse, panel.locator('[data-section="close"] > summary'))
    _in_view(nurse, panel.locator('[data-section="journal"] > summary'))
    axe_clean(nurse, "staff five chats at 1280x800")

    # A reply ends the "waiting for your reply" time of that tab.
    active = nurse.get_by_role("tab", selected=True)
    panel.get_by_label("Svar till patienten").fill("Hej! Hur länge har du haft besvären?")
    panel.get_by_role("button", name="Skicka", exact=True).click()
    expect(active.get_by_test_id("tab-wait")).to_have_count(0)

    # The shortcut help: `?` opens an accessible dialog, Esc closes it.
    nurse.locator("#queues-heading").focus()
    nurse.keyboard.press("?")
    help_dialog = nurse.get_by_role("dialog", name="Kortkommandon")
    expect(help_dialog).to_be_visible()
    expect(help_dialog).to_contain_text("Ta nästa patient")
    axe_clean(nurse, "staff shortcut help")
    nurse.screenshot(path=str(screenshots / "staff-shortcut-help-1280x800.png"))
    nurse.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    # Alt+3 goes to the third chat.
    nurse.keyboard.press("Alt+3")
    expect(tabs.nth(2)).to_have_attribute("aria-selected", "true")
    expect(tabs.nth(2)).to_be_focused()

    # Close asks first: cancel keeps the chat, confirm ends it.
    panel = nurse.locator(".panel:not([hidden])")
    panel.locator('[data-section="close"] > summary').click()
    panel.get_by_label("Utfall (krävs)").select_option("resolved_in_chat")
    panel.get_by_role("button", name="Avsluta chatten").click()
    confirm = nurse.get_by_role("dialog", name="Avsluta chatten?")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("Löst i chatten")
    axe_clean(nurse, "staff close confirmation")
    nurse.screenshot(path=str(screenshots / "staff-close-confirm-1280x800.png"))
    confirm.get_by_role("button", name="Avbryt").click()
    expect(confirm).to_be_hidden()
    expect(panel.get_by_role("button", name="Avsluta chatten")).to_be_focused()
    expect(tabs.nth(2)).not_to_contain_text("avslutad")
    panel.get_by_role("button", name="Avsluta chatten").click()
    confirm_staff_close(nurse)
    expect(tabs.nth(2)).to_contain_text("avslutad")

    # The patient's presence: gone shows in the tab and the header; leaving too.
    target = contacts[4]
    name = PATIENTS[4]["name"]
    tab = nurse.get_by_role("tab", name=re.compile(name))
    ws_url = f"{live.ws_url}/ws/patient"
    with connect(ws_url, origin=live.origin) as ws:  # type: ignore[arg-type]
        ws.send(f'{{"type": "hello", "token": "{target["patient_token"]}", "last_seq": 0}}')
        ws.recv(timeout=10)
    expect(tab).to_contain_text("ej ansluten")
    tab.click()
    panel = nurse.locator(".panel:not([hidden])")
    expect(panel.get_by_test_id("presence")).to_have_text("Patienten är inte ansluten just nu")
    with connect(ws_url, origin=live.origin) as ws:  # type: ignore[arg-type]
        ws.send(f'{{"type": "hello", "token": "{target["patient_token"]}", "last_seq": 0}}')
        ws.recv(timeout=10)
        expect(panel.get_by_test_id("presence")).to_be_hidden()
        ws.send('{"type": "leave"}')
        expect(tab).to_contain_text("Patienten har lämnat")
    axe_clean(nurse, "staff chat the patient left")
    assert errs.errors == []
    ctx.close()
