"""A sign-in that fails reads as a page in a browser (docs/identity.md, "When a
sign-in fails"): same status, Swedish then English, a link back, under the
pages' CSP, nothing of the request echoed; an API client keeps its JSON body."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from chatserver.app import create_app
from chatserver.audit import AuditQuery, audit_log_of
from chatserver.http.security_headers import CSP
from chatserver.identity.error_page import FALLBACK, TEXTS, prefers_html, render
from chatserver.settings import Settings
from tests.helpers import ORIGIN, Seed
from tests.identity.conftest import PNR_CLAIM, Issuer, callback_path, oidc_settings
from tests.security.conftest import state_of

# What Chromium and Firefox send when following a link or a redirect.
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
HTML = {"accept": BROWSER}
PNR = "198112189876"
UNKNOWN_HSA_ID = "SE2321000016-9999"


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),
        ("text/html", True),
        ("application/xhtml+xml", True),
        ("TEXT/HTML; charset=utf-8", True),
        ("", False),
        ("*/*", False),
        ("application/json", False),
        ("application/json, text/html", False),  # a tie: JSON
        ("text/html;q=0.5, application/json", False),
        ("text/html;q=0.9, application/*;q=0.5", True),
        ("text/html;q=0", False),
        ("text/html;q=abc", False),
        ("text/html;q=2", False),
        (",,;", False),
    ],
)
def test_prefers_html(accept: str, html: bool) -> None:
    """HTML only when named and ranked above JSON (application/json, else */*)."""
    assert prefers_html(accept) is html


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.mark.parametrize("side", ["patient", "staff"])
@pytest.mark.parametrize("code", [*TEXTS, "something_else"])
def test_every_page_is_bilingual_and_static(side: str, code: str) -> None:
    """Each code's page: Swedish h1, English h2 (lang=en), its words, a link back;
    no script, no inline style, only the shared stylesheet."""
    html = render(code, side)  # type: ignore[arg-type]
    page = _parse(html)
    tags = [t for t, _ in page.tags]
    assert "script" not in tags
    assert "style" not in tags
    assert not [a for _, a in page.tags if "style" in a or any(k.startswith("on") for k in a)]
    assert [a["href"] for t, a in page.tags if t == "link" and a.get("rel") == "stylesheet"] == [
        "/static/common/styles.css"
    ]
    assert tags.count("h1") == 1
    assert ("html", {"lang": "sv"}) in page.tags
    assert any(t == "section" and a.get("lang") == "en" for t, a in page.tags)
    sv, en = TEXTS.get(code, FALLBACK)
    text = " ".join("".join(page.text).split())
    for words in (sv, en):
        for part in (words.heading, words.happened, words.todo):
            assert part in text
    back = "/" if side == "patient" else "/staff"
    links = [a["href"] for t, a in page.tags if t == "a" and a.get("class") == "btn btn--primary"]
    assert links == [back, back]


def test_the_texts_are_plain() -> None:
    """The words need no escaping (and get it anyway); the code is shown escaped."""
    for sv, en in [*TEXTS.values(), FALLBACK]:
        for words in (sv, en):
            for part in (words.heading, words.happened, words.todo):
                assert not re.search(r"[<>&\"]", part), part
    assert "<b>" not in render("<b>x</b>", "patient")
    assert "&lt;b&gt;x&lt;/b&gt;" in render("<b>x</b>", "patient")


def _authorize(c: TestClient, issuer: Issuer, side: str, sub: str) -> str:
    r = c.get(f"/auth/{side}/login")
    assert r.status_code == 302, r.text
    return callback_path(issuer.authorize(r.headers["location"], sub))


def _audits(c: TestClient) -> list[tuple[str, dict[str, object]]]:
    store = audit_log_of(state_of(c)).store
    found = c.portal.call(store.query, AuditQuery(action="oidc_sign_in"))  # type: ignore[union-attr]
    return [(e.result, {k: v for k, v in e.detail.items() if k != "address"}) for e in found]


def _is_page(r: object, status: int) -> str:
    assert r.status_code == status  # type: ignore[attr-defined]
    headers = r.headers  # type: ignore[attr-defined]
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"] == CSP
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    body: str = r.text  # type: ignore[attr-defined]
    assert "<script" not in body
    return body


def test_unknown_account_in_a_browser(
    oidc_client: TestClient, staff_issuer: Issuer, seed: Seed
) -> None:
    """A SITHS card without an account: 403, the page in words with a link to /staff,
    the HSA-id neither shown nor lost (audited as before); no session."""
    c = oidc_client
    staff_issuer.set_user("siths-x", {"employeeHsaId": UNKNOWN_HSA_ID, "name": "Okänd Person"})
    callback = _authorize(c, staff_issuer, "staff", "siths-x")
    body = _is_page(c.get(callback, headers=HTML), 403)
    assert "Ditt SITHS-kort är inte kopplat till något konto här." in body
    assert "Kontakta din administratör." in body
    assert "Your SITHS card is not linked to any account here." in body
    assert 'href="/staff"' in body
    query = parse_qs(urlsplit(callback).query)
    for secret in (UNKNOWN_HSA_ID, "Okänd", query["code"][0], query["state"][0]):
        assert secret not in body
    assert _audits(c) == [("unknown_account", {"side": "staff", "hsa_id": UNKNOWN_HSA_ID})]
    assert c.get("/api/staff/me").status_code == 401


def test_api_clients_keep_the_json_body(oidc_client: TestClient, staff_issuer: Issuer) -> None:
    """Accept: application/json (or */*, or none): the documented JSON error."""
    c = oidc_client
    staff_issuer.set_user("siths-y", {"employeeHsaId": UNKNOWN_HSA_ID})
    r = c.get(
        _authorize(c, staff_issuer, "staff", "siths-y"), headers={"accept": "application/json"}
    )
    assert (r.status_code, r.json()["error"]["code"]) == (403, "unknown_account")
    r = c.get("/auth/patient/callback?state=nope&code=x", headers={"accept": "*/*"})
    assert (r.status_code, r.json()["error"]["code"]) == (401, "invalid_state")


def test_replayed_patient_callback_in_a_browser(
    oidc_client: TestClient, patient_issuer: Issuer
) -> None:
    """The callback used twice (back button): 401 "took too long or was interrupted",
    a link to the start page; neither the code, the state nor the personnummer shown."""
    c = oidc_client
    patient_issuer.set_user("anna", {PNR_CLAIM: PNR, "name": "Anna Andersson"})
    callback = _authorize(c, patient_issuer, "patient", "anna")
    assert c.get(callback, headers=HTML).status_code == 303
    c.cookies.clear()
    body = _is_page(c.get(callback, headers=HTML), 401)
    assert "Inloggningen tog för lång tid eller avbröts." in body
    assert "Försök igen." in body
    assert 'href="/"' in body
    query = parse_qs(urlsplit(callback).query)
    for secret in (PNR, "Anna", query["code"][0], query["state"][0]):
        assert secret not in body
    assert [result for result, _ in _audits(c)] == ["ok", "invalid_state"]


def test_invalid_personnummer_in_a_browser(oidc_client: TestClient, patient_issuer: Issuer) -> None:
    """A broker that sends a wrong number: 401, in words; the number is not echoed."""
    c = oidc_client
    patient_issuer.set_user("bo", {PNR_CLAIM: "198112189877", "name": "Bo Berg"})
    body = _is_page(c.get(_authorize(c, patient_issuer, "patient", "bo"), headers=HTML), 401)
    assert "Inloggningstjänsten skickade inget giltigt personnummer." in body
    assert "198112189877" not in body
    assert _audits(c) == [("invalid_personnummer", {"side": "patient"})]


def test_provider_error_in_a_browser(oidc_client: TestClient) -> None:
    """The patient cancelled at the broker (error=access_denied): 401 sign_in_failed,
    the provider's own words not echoed."""
    c = oidc_client
    state = parse_qs(urlsplit(c.get("/auth/patient/login").headers["location"]).query)["state"][0]
    r = c.get(
        "/auth/patient/callback",
        params={"state": state, "error": "access_denied", "error_description": "<i>x</i>"},
        headers=HTML,
    )
    body = _is_page(r, 401)
    assert "Inloggningen avbröts eller godkändes inte av inloggningstjänsten." in body
    assert "access_denied" not in body
    assert "<i>" not in body


def test_unreachable_broker_in_a_browser(settings: Settings, seed: Seed) -> None:
    """The broker down when the button is clicked: 503, "try again in a while"."""
    app = create_app(oidc_settings(settings, "http://127.0.0.1:9", "http://127.0.0.1:9"))
    with TestClient(app, headers={"origin": ORIGIN}, follow_redirects=False) as c:
        body = _is_page(c.get("/auth/patient/login", headers=HTML), 503)
        assert "Inloggningstjänsten svarar inte just nu." in body
        body = _is_page(c.get("/auth/staff/login", headers=HTML), 503)
        assert 'href="/staff"' in body
        assert [result for result, _ in _audits(c)] == ["identity_unavailable"] * 2


def test_bad_return_to_in_a_browser(oidc_client: TestClient) -> None:
    """return_to to another site: 422 as a page, the address not echoed."""
    r = oidc_client.get(
        "/auth/patient/login", params={"return_to": "https://evil.example/"}, headers=HTML
    )
    body = _is_page(r, 422)
    assert "evil.example" not in body


def test_not_configured_in_a_browser(client: TestClient) -> None:
    """Without the settings: 404 as a page (and JSON for an API client)."""
    body = _is_page(client.get("/auth/staff/callback", headers=HTML), 404)
    assert 'href="/staff"' in body
    assert client.get("/auth/staff/callback").json()["error"]["code"] == "not_found"
