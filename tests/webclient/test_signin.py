"""The staff pages share one sign-in module: its texts exist in both languages,
no page repeats the form's markup, and the pages stay within the strict CSP."""

from __future__ import annotations

import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[2] / "webclient"
SIGNIN = WEB / "common" / "signin.js"
STAFF_HTML = ["staff.html", "admin.html", "manager.html", "audit.html"]
PLACEHOLDER = '<section id="view-login" class="view card narrow" hidden></section>'
# Quoted text keys of the module: data-i18n attributes and the error map.
KEY = re.compile(r"'((?:login|error)\.[a-z_]+)'")


def test_signin_texts_exist_in_both_languages() -> None:
    """Every login.*/error.* key signin.js uses is defined in sv.json and en.json."""
    keys = set(KEY.findall(SIGNIN.read_text("utf-8")))
    sv = json.loads((WEB / "i18n" / "sv.json").read_text("utf-8"))
    en = json.loads((WEB / "i18n" / "en.json").read_text("utf-8"))
    assert len(keys) == 13
    assert (sorted(keys - set(sv)), sorted(keys - set(en))) == ([], [])


def test_pages_hold_only_the_placeholder() -> None:
    """Each staff page has the empty login section and none of the form's markup."""
    for name in STAFF_HTML:
        html = (WEB / name).read_text("utf-8")
        found = (html.count(PLACEHOLDER), html.count('id="login-form"'), html.count('id="otp"'))
        assert found == (1, 0, 0), name


def test_staff_pages_have_no_inline_code() -> None:
    """No inline <script>, <style> or style= in the staff pages (strict CSP)."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=", re.I)
    found = {name: inline.findall((WEB / name).read_text("utf-8")) for name in STAFF_HTML}
    assert found == {name: [] for name in STAFF_HTML}


def test_pages_import_the_shared_module() -> None:
    """The four page scripts sign in through common/signin.js, none through its own fetch."""
    scripts = ["staff/app.js", "admin/app.js", "manager/app.js", "audit/audit.js"]
    for name in scripts:
        js = (WEB / name).read_text("utf-8")
        assert ("/common/signin.js" in js, "/api/staff/login" in js) == (True, False), name
