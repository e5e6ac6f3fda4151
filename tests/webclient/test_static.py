"""The client is safe under the strict CSP: no inline script or style, no
event-handler attributes, no HTML sinks or eval, every asset local."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

WEB = Path(__file__).resolve().parents[2] / "webclient"
HTML = ["index.html", "staff.html", "accessibility.html", "access-log.html"]
JS = sorted(WEB.rglob("*.js"))

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE = re.compile(r"<style\b|\sstyle=", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
EXTERNAL = re.compile(r"""(?:src|href)=["'](?:https?:)?//""", re.I)
SINKS = re.compile(
    r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(|"
    r"setTimeout\(\s*['\"`]"
)


def test_html_has_no_inline_code_or_external_assets() -> None:
    """No inline <script>, <style>, style= or on*= attributes; no CDN URLs."""
    for name in HTML:
        html = (WEB / name).read_text("utf-8")
        found = (
            INLINE_SCRIPT.findall(html),
            STYLE.findall(html),
            HANDLER.findall(html),
            EXTERNAL.findall(html),
        )
        assert found == ([], [], [], []), name


def test_js_never_builds_html_or_evaluates_strings() -> None:
    """No innerHTML/outerHTML/insertAdjacentHTML/document.write/eval in the modules."""
    assert len(JS) >= 12
    offenders = [p.name for p in JS if SINKS.search(p.read_text("utf-8"))]
    assert offenders == []


def test_every_page_links_the_accessibility_statement() -> None:
    """Each page has a link to /tillganglighet."""
    assert [n for n in HTML if 'href="/tillganglighet"' not in (WEB / n).read_text("utf-8")] == []


def test_pages_and_assets_served_with_csp(client: TestClient) -> None:
    """Pages are HTML with the strict CSP; modules and styles have the right types."""
    for path in ("/", "/staff", "/tillganglighet", "/atkomstlogg"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert "script-src 'self'" in r.headers["content-security-policy"]
    js = client.get("/static/patient/app.js")
    assert js.status_code == 200
    assert js.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript")
    css = client.get("/static/common/styles.css")
    assert css.headers["content-type"].split(";")[0] == "text/css"
    sv = client.get("/static/i18n/sv.json")
    assert sv.headers["content-type"] == "application/json"
