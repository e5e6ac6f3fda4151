"""Helpers for the browser tests: contexts, axe checks, screenshots, sign-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe

from tests.helpers import PASSWORD, Account

# WCAG 2.1 A and AA rules (issue point 4).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
# Every wait in the browser tests scales from this (slow CI machines).
TIMEOUT_MS = 10_000

_axe = Axe()
# Filled by axe_clean(): state name → number of violations (printed in the report).
AXE_RESULTS: dict[str, int] = {}


class PageErrors:
    """Collects uncaught page errors, console errors and dialogs (XSS would fire one)."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)

        def on_dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

    def _console(self, msg: Any) -> None:
        # Expected HTTP errors (401 before sign-in, 409 unit closed) are logged by
        # Chromium as "Failed to load resource"; the page handles them.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.errors.append(msg.text)


def new_page(
    browser: Any, base_url: str, width: int = 1280, height: int = 900, locale: str = "sv-SE"
) -> tuple[Any, Any, PageErrors]:
    """A context whose browser speaks ``locale`` (Swedish unless a test says
    otherwise: a page opens in the browser's language, common/i18n.js)."""
    ctx = browser.new_context(
        base_url=base_url, viewport={"width": width, "height": height}, locale=locale
    )
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    return ctx, page, PageErrors(page)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    result = _axe.run(page, options=AXE_OPTIONS)
    violations: list[dict[str, Any]] = result.response["violations"]
    return violations


def axe_clean(page: Any, state: str) -> None:
    """Assert zero WCAG 2.1 A/AA violations in the page's current state."""
    violations = axe_violations(page)
    AXE_RESULTS[state] = len(violations)
    summary = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    assert summary == [], f"{state}: {summary}"


def shoot(page: Any, directory: Path, name: str, widths: tuple[int, ...] = (360, 1280)) -> None:
    """Full-page screenshots of the current state at each width."""
    original = page.viewport_size
    for width in widths:
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(directory / f"{name}-{width}.png"), full_page=True)
    if original:
        page.set_viewport_size(original)


def staff_login(page: Any, account: Account) -> None:
    page.goto("/staff")
    page.get_by_label("Användarnamn").fill(account.username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_label("Engångskod").fill(account.otp() or "")
    page.get_by_role("button", name="Logga in").click()
    page.locator("#view-dash").wait_for(state="visible")


def patient_intake(
    page: Any, text: str, *, unit: str = "hc1", name: str = "Petra", age: str = "40"
) -> None:
    page.goto(f"/?unit={unit}")
    page.locator("#view-intake").wait_for(state="visible")
    page.get_by_label("Ditt förnamn").fill(name)
    page.get_by_label("Ålder").fill(age)
    # The red-flag screen comes before the free text ("None of this" is enabled once
    # the questions are shown).
    page.get_by_role("button", name="Inget av detta").click()
    described = page.get_by_label("Vad gäller det? Beskriv med egna ord")
    described.wait_for(state="visible")
    described.fill(text)
    page.get_by_label("Besökt hälsocentralen").check()
    page.get_by_role("button", name="Starta chatten").click()


def confirm_staff_close(page: Any) -> None:
    """The staff "Avsluta chatten" asks first (issue 17): confirm in its dialog."""
    dialog = page.get_by_role("dialog", name="Avsluta chatten?")
    dialog.get_by_role("button", name="Ja, avsluta chatten").click()
    dialog.wait_for(state="hidden")
