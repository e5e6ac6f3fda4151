"""The shared staff sign-in (webclient/common/signin.js) in Chromium: one form
on every staff page, texts that follow the language, and sign-in/sign-out on
/audit, the page that got its own sign-in from the shared module."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.pages import axe_clean, new_page
from tests.helpers import PASSWORD, Account, Seed
from tests.live import LiveServer

STAFF_PAGES = ("/staff", "/admin", "/manager", "/audit")


def sign_in(page: Any, account: Account) -> None:
    page.locator("#username").fill(account.username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#otp").fill(account.otp() or "")
    page.locator("#login-form").get_by_role("button", name="Logga in").click()


def test_every_staff_page_shows_the_same_form(browser: Any, live: LiveServer) -> None:
    """/staff, /admin, /manager and /audit render the identical sign-in form."""
    ctx, page, errors = new_page(browser, live.url)
    try:
        forms = {}
        for path in STAFF_PAGES:
            page.goto(path)
            page.locator("#view-login").wait_for(state="visible")
            forms[path] = page.locator("#view-login").evaluate("el => el.outerHTML")
            assert page.evaluate("document.activeElement.id") == "username"
        assert forms["/staff"].count('id="login-form"') == 1
        assert forms["/staff"].count("<input") == 3
        same = {path: html == forms["/staff"] for path, html in forms.items()}
        assert same == dict.fromkeys(STAFF_PAGES, True)
        assert (errors.errors, errors.dialogs) == ([], [])
    finally:
        ctx.close()


def test_form_and_error_follow_the_language(browser: Any, live: LiveServer, seed: Seed) -> None:
    """On /admin: missing fields, then a missing code (focus to it), then English relabels both."""
    ctx, page, errors = new_page(browser, live.url)
    try:
        page.goto("/admin")
        page.locator("#view-login").wait_for(state="visible")
        page.locator("#login-form").get_by_role("button", name="Logga in").click()
        expect(page.locator("#login-error")).to_have_text("Fyll i användarnamn och lösenord.")
        page.locator("#username").fill(seed["admin1"].username)
        page.locator("#password").fill(PASSWORD)
        page.locator("#login-form").get_by_role("button", name="Logga in").click()
        expect(page.locator("#login-error")).to_have_text(
            "Skriv engångskoden från din autentiseringsapp."
        )
        expect(page.locator("#otp")).to_be_focused()
        page.get_by_role("button", name="English").click()
        expect(page.locator("#login-heading")).to_have_text("Sign in")
        assert page.locator("label[for=otp]").inner_text() == "One-time code"
        assert page.locator("#login-error").inner_text() == (
            "Enter the one-time code from your authenticator app."
        )
        assert page.evaluate("document.documentElement.lang") == "en"
        axe_clean(page, "admin sign-in in English with error")
        assert (errors.errors, errors.dialogs) == ([], [])
    finally:
        ctx.close()


def test_audit_sign_in_search_and_sign_out(browser: Any, live: LiveServer, seed: Seed) -> None:
    """An admin signs in on /audit, finds the own sign-in in the log, signs out again."""
    ctx, page, errors = new_page(browser, live.url)
    try:
        page.goto("/audit")
        page.locator("#view-login").wait_for(state="visible")
        axe_clean(page, "audit sign-in")
        sign_in(page, seed["admin1"])
        page.locator("#view-review").wait_for(state="visible")
        assert page.locator("#user-name").inner_text() == "Adam Admin"
        expect(page.locator("#review-heading")).to_be_focused()
        page.locator("#f-user").fill("admin1")
        page.locator("#f-action").select_option("login")
        page.locator("#filters").get_by_role("button", name="Sök (Search)").click()
        expect(page.locator("#results-caption")).to_have_text(
            "Sökresultat (search): 1 händelser (events)"
        )
        row = page.locator("#results tbody tr td")
        assert [row.nth(i).inner_text() for i in (2, 3, 6, 7)] == [
            "admin1",
            "admin",
            "login",
            "ok",
        ]
        axe_clean(page, "audit results")
        # Signing out reloads /audit, so no event stays on the screen.
        with page.expect_navigation():
            page.get_by_role("button", name="Logga ut (Sign out)").click()
        page.locator("#view-login").wait_for(state="visible")
        assert page.locator("#results tbody tr").count() == 0
        assert page.locator("#logout").is_hidden()
        assert page.evaluate("fetch('/api/staff/me').then(r => r.status)") == 401
        assert [e for e in errors.errors if "401" not in e] == []
    finally:
        ctx.close()


def test_audit_refuses_a_nurse(browser: Any, live: LiveServer, seed: Seed) -> None:
    """A nurse signing in on /audit gets the accessible no-access view, no search form."""
    ctx, page, errors = new_page(browser, live.url)
    try:
        page.goto("/audit")
        page.locator("#view-login").wait_for(state="visible")
        sign_in(page, seed["nurse1"])
        page.locator("#view-denied").wait_for(state="visible")
        assert page.locator("#denied-heading").inner_text() == "Ingen behörighet (Not allowed)"
        assert page.locator("#filters").is_hidden()
        assert page.locator("#logout").is_visible()
        axe_clean(page, "audit denied")
        assert (errors.errors, errors.dialogs) == ([], [])
    finally:
        ctx.close()
