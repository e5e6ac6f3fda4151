"""Issue 21 in Chromium: a nurse cannot close a chat over a patient message her
page has not shown. The close frame the page sends carries ``last_seen_seq``;
the server refuses with ``unseen_messages`` (after a ``history`` with the
message); the page shows the message and the notice, keeps the chat open, and
the next close (with the new ``last_seen_seq``) goes through.

To make "not shown yet" deterministic, the nurse's socket is routed through
Playwright: every frame passes both ways except the live ``message`` frame of
one patient message, which is held back from the page (as a frame lost in the
pick race or a Redis outage would be)."""

from __future__ import annotations

import json
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
)
from tests.helpers import PASSWORD, Account, Seed
from tests.live import LiveServer

pytestmark = pytest.mark.browser

UNSEEN_NOTICE = "Patienten har skrivit något nytt – läs innan du avslutar."
HIDDEN = "En sak till: jag fick utslag på armen i går kväll."


def sign_in(page: Any, account: Account) -> None:
    """The staff sign-in form by its ids (common/signin.js keeps them stable)."""
    page.goto("/staff")
    page.locator("#username").fill(account.username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#otp").fill(account.otp() or "")
    page.locator("#login-form").get_by_role("button", name="Logga in").click()
    page.locator("#view-dash").wait_for(state="visible")


class RoutedStaffSocket:
    """The nurse page's /ws/staff through Playwright: frames the page sends are
    recorded; a live ``message`` frame whose body is ``hide`` never reaches it."""

    def __init__(self, page: Any, hide: str) -> None:
        self.hide = hide
        self.sent: list[dict[str, Any]] = []
        self.held_back: list[dict[str, Any]] = []
        page.route_web_socket("**/ws/staff", self._route)

    def _route(self, ws: Any) -> None:
        server = ws.connect_to_server()

        def to_server(payload: str | bytes) -> None:
            if isinstance(payload, str):
                self.sent.append(json.loads(payload))
            server.send(payload)

        def to_page(payload: str | bytes) -> None:
            if isinstance(payload, str):
                frame = json.loads(payload)
                if frame.get("type") == "message" and frame.get("body") == self.hide:
                    self.held_back.append(frame)
                    return
            ws.send(payload)

        ws.on_message(to_server)
        server.on_message(to_page)

    def closes(self) -> list[dict[str, Any]]:
        return [f for f in self.sent if f.get("type") == "close"]


def test_close_refused_over_an_unseen_message(
    browser: Any, live: LiveServer, seed: Seed, screenshots: Path
) -> None:
    sctx, nurse, serr = new_page(browser, live.url)
    routed = RoutedStaffSocket(nurse, HIDDEN)
    pctx, patient, perr = new_page(browser, live.url, width=360)

    sign_in(nurse, seed["nurse1"])
    patient_intake(patient, "Jag har haft ont i halsen i fyra dagar och vill ha råd.")
    expect(patient.locator("#queue-info")).to_be_visible()
    nurse.get_by_role("button", name="Ta nästa").click()
    expect(patient.locator("#staff-info")).to_contain_text("Du chattar med")

    composer = patient.get_by_label("Skriv ett meddelande")
    composer.fill("Det gör ont när jag sväljer.")
    composer.press("Enter")
    panel = nurse.locator(".panel:not([hidden])")
    expect(panel.locator(".msg--theirs .msg__body")).to_have_text(["Det gör ont när jag sväljer."])
    shown_seq = max(
        nurse.eval_on_selector_all("[data-seq]", "els => els.map(e => Number(e.dataset.seq))")
    )

    # The second message is stored (the patient's page has its ack) but its
    # live frame never reaches the nurse's page.
    composer.fill(HIDDEN)
    composer.press("Enter")
    expect(patient.locator('.msg--mine[data-state="sent"] .msg__body')).to_have_text(
        ["Det gör ont när jag sväljer.", HIDDEN]
    )
    # Playwright delivers the routed frames while it waits: wait on the page.
    for _ in range(200):
        if routed.held_back:
            break
        nurse.wait_for_timeout(50)
    assert [f["body"] for f in routed.held_back] == [HIDDEN]
    expect(panel.locator(".msg__body").filter(has_text=HIDDEN)).to_have_count(0)

    # Close: the frame says what the page has shown; the server refuses.
    panel.get_by_text("Avsluta chatten", exact=True).first.click()
    panel.get_by_label("Utfall (krävs)").select_option("resolved_in_chat")
    panel.get_by_role("button", name="Avsluta chatten").click()
    confirm_staff_close(nurse)
    notice = panel.locator("[data-close-unseen]")
    expect(notice).to_have_text(UNSEEN_NOTICE)
    first = routed.closes()[0]
    assert first["last_seen_seq"] == shown_seq
    assert first["outcome"] == "resolved_in_chat"

    # The unseen message is in the transcript now (from the history), with the
    # notice after it; the chat is still open and the reply form is there.
    expect(panel.locator(".msg--theirs .msg__body")).to_have_text(
        ["Det gör ont när jag sväljer.", HIDDEN]
    )
    expect(panel.locator(".msg--notice .msg__body")).to_contain_text([UNSEEN_NOTICE])
    expect(panel.get_by_label("Svar till patienten")).to_be_visible()
    expect(nurse.get_by_role("tab", name="Petra").locator(".tab__name")).to_have_text("Petra")
    expect(patient.locator("#staff-info")).to_contain_text("Du chattar med")
    axe_clean(nurse, "staff close refused, unseen message")
    shoot(nurse, screenshots, "staff-close-unseen", widths=(1280,))

    # Closing again says the newer seq, and this time the chat closes.
    hidden_seq = max(
        nurse.eval_on_selector_all("[data-seq]", "els => els.map(e => Number(e.dataset.seq))")
    )
    assert hidden_seq > shown_seq
    panel.get_by_role("button", name="Avsluta chatten").click()
    confirm_staff_close(nurse)
    expect(panel.locator(".msg--notice .msg__body").last).to_have_text(
        "Chatten är avslutad: Löst i chatten."
    )
    assert routed.closes()[-1]["last_seen_seq"] == hidden_seq
    expect(notice).to_be_hidden()
    expect(patient.locator("#staff-info")).to_have_text("Chatten är avslutad.")

    assert (serr.errors, serr.dialogs, perr.errors, perr.dialogs) == ([], [], [], [])
    pctx.close()
    sctx.close()
