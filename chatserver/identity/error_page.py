"""A readable page for a sign-in that went wrong, for a browser.

The sign-in routes (``/auth/{side}/login`` and ``/auth/{side}/callback``) are
reached by a browser following a link or the identity provider's redirect, so
an error there would otherwise show a raw JSON body. When the request's
``Accept`` prefers ``text/html`` (a browser's navigation does; an API client
sending ``application/json`` or ``*/*`` does not), the error is this page
instead, with the same status: what happened and what to do, in Swedish with
English below, and a link back (patients: the start page; staff: ``/staff``).

Served under the pages' CSP: no script, the shared stylesheet only. Every text
is a constant of this module, escaped; nothing of the request (token, code,
``state``, personnummer, HSA-id) is echoed.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from starlette.responses import HTMLResponse

from chatserver.errors import ChatError
from chatserver.identity.oidc import Side

__all__ = ["prefers_html", "render", "response"]


@dataclass(frozen=True, slots=True)
class Words:
    heading: str
    happened: str
    todo: str


# code → (Swedish, English); a code not listed gets FALLBACK.
_PATIENT_RETRY_SV = "Gå till startsidan och välj Logga in med BankID / Freja igen."
_PATIENT_RETRY_EN = "Go to the start page and choose Sign in with BankID / Freja again."
_STAFF_RETRY_SV = "Gå till inloggningen och välj Logga in med SITHS igen."
_STAFF_RETRY_EN = "Go to the sign-in page and choose Sign in with SITHS again."

TEXTS: dict[str, tuple[Words, Words]] = {
    "unknown_account": (
        Words(
            "Inget konto för ditt SITHS-kort",
            "Ditt SITHS-kort är inte kopplat till något konto här.",
            "Kontakta din administratör. Tills dess kan du logga in med användarnamn,"
            " lösenord och engångskod om du har det.",
        ),
        Words(
            "No account for your SITHS card",
            "Your SITHS card is not linked to any account here.",
            "Contact your administrator. Until then you can sign in with user name,"
            " password and one-time code if you have them.",
        ),
    ),
    "invalid_state": (
        Words(
            "Inloggningen gick inte att slutföra",
            "Inloggningen tog för lång tid eller avbröts.",
            "Försök igen.",
        ),
        Words(
            "The sign-in could not be completed",
            "The sign-in took too long or was interrupted.",
            "Please try again.",
        ),
    ),
    "sign_in_failed": (
        Words(
            "Du är inte inloggad",
            "Inloggningen avbröts eller godkändes inte av inloggningstjänsten.",
            "Försök igen.",
        ),
        Words(
            "You are not signed in",
            "The sign-in was cancelled or not approved by the sign-in service.",
            "Please try again.",
        ),
    ),
    "invalid_id_token": (
        Words(
            "Du är inte inloggad",
            "Svaret från inloggningstjänsten gick inte att kontrollera, så vi loggade inte in dig.",
            "Försök igen. Händer det igen, vänta en stund innan du försöker på nytt.",
        ),
        Words(
            "You are not signed in",
            "The answer from the sign-in service could not be verified, so we did not sign you in.",
            "Please try again. If it happens again, wait a while before trying again.",
        ),
    ),
    "invalid_personnummer": (
        Words(
            "Du är inte inloggad",
            "Inloggningstjänsten skickade inget giltigt personnummer.",
            "Du kan chatta utan att logga in om mottagningen tillåter det, eller ringa"
            " 1177 för sjukvårdsrådgivning.",
        ),
        Words(
            "You are not signed in",
            "The sign-in service sent no valid Swedish personal identity number.",
            "You can chat without signing in if the health centre allows it, or call"
            " 1177 for medical advice.",
        ),
    ),
    "identity_unavailable": (
        Words(
            "Inloggningen fungerar inte just nu",
            "Inloggningstjänsten svarar inte just nu.",
            "Försök igen om en stund.",
        ),
        Words(
            "Sign-in is not working right now",
            "The sign-in service is not answering right now.",
            "Please try again in a while.",
        ),
    ),
    "rate_limited": (
        Words(
            "För många inloggningar",
            "Många inloggningar har startats från din anslutning på kort tid.",
            "Vänta en minut och försök igen.",
        ),
        Words(
            "Too many sign-ins",
            "Many sign-ins were started from your connection in a short time.",
            "Wait a minute and try again.",
        ),
    ),
    "invalid_field": (
        Words(
            "Inloggningen gick inte att starta",
            "Länken till inloggningen var felaktig.",
            "Gå tillbaka och försök igen.",
        ),
        Words(
            "The sign-in could not be started",
            "The link to the sign-in was not valid.",
            "Go back and try again.",
        ),
    ),
    "not_found": (
        Words(
            "Inloggningen finns inte här",
            "Inloggning med e-legitimation är inte inställd för den här tjänsten.",
            "Gå tillbaka till startsidan.",
        ),
        Words(
            "Sign-in is not available here",
            "Sign-in with e-identification is not set up for this service.",
            "Go back to the start page.",
        ),
    ),
}
FALLBACK = (
    Words("Inloggningen misslyckades", "Inloggningen gick inte att slutföra.", "Försök igen."),
    Words("Sign-in failed", "The sign-in could not be completed.", "Please try again."),
)
# Codes whose advice is to start the sign-in again: the side's own hint follows.
RETRY = {"invalid_state", "sign_in_failed", "invalid_id_token"}

# Where each side goes back to, and what the page is called there.
BACK = {
    "patient": ("/", "Till startsidan", "To the start page", "Chatta med vården"),
    "staff": ("/staff", "Till inloggningen", "To the sign-in page", "Chattmottagning"),
}


def _q(part: str) -> float:
    """The q value of one Accept entry's parameters (1 when absent, 0 when malformed)."""
    for param in part.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def prefers_html(accept: str) -> bool:
    """Whether an ``Accept`` header names HTML and ranks it above JSON.

    HTML must be named (``text/html`` or ``application/xhtml+xml``); JSON's rank
    is ``application/json``'s, else ``application/*``'s, else ``*/*``'s. A tie,
    ``*/*`` alone, or no header: JSON (API clients and tests keep their bodies).
    """
    html = 0.0
    ranks: dict[str, float] = {}
    for part in accept.split(",")[:50]:
        media = part.split(";", 1)[0].strip().lower()
        if not media:
            continue
        q = _q(part)
        if media in ("text/html", "application/xhtml+xml"):
            html = max(html, q)
        else:
            ranks[media] = max(ranks.get(media, 0.0), q)
    json = next((ranks[m] for m in ("application/json", "application/*", "*/*") if m in ranks), 0.0)
    return html > 0.0 and html > json


def _section(words: Words, hint: str, back: tuple[str, str], code: str, lang: str) -> str:
    href, label = back
    heading_id = f"error-heading-{lang}"
    tag = "h1" if lang == "sv" else "h2"
    code_label = "Felkod" if lang == "sv" else "Error code"
    attrs = ' lang="en"' if lang == "en" else ""
    return (
        f'    <section class="card"{attrs} aria-labelledby="{heading_id}">\n'
        f'      <{tag} id="{heading_id}">{escape(words.heading)}</{tag}>\n'
        f'      <p class="lead">{escape(words.happened)}</p>\n'
        f"      <p>{escape(words.todo)}{' ' + escape(hint) if hint else ''}</p>\n"
        f'      <p><a class="btn btn--primary" href="{escape(href)}">{escape(label)}</a></p>\n'
        f'      <p class="hint">{code_label}: <code>{escape(code)}</code></p>\n'
        "    </section>\n"
    )


def render(code: str, side: Side) -> str:
    """The page for error ``code`` on ``side`` (Swedish, then English)."""
    sv, en = TEXTS.get(code, FALLBACK)
    href, back_sv, back_en, brand = BACK[side]
    retry = code in RETRY
    if side == "patient":
        hint_sv, hint_en = (_PATIENT_RETRY_SV, _PATIENT_RETRY_EN) if retry else ("", "")
        footer = (
            '    <p>Sjukvårdsrådgivning dygnet runt: ring <a href="tel:1177">1177</a>.'
            ' Vid livshotande tillstånd: ring <a href="tel:112">112</a>.</p>\n'
            '    <p lang="en">Medical advice day and night: call <a href="tel:1177">1177</a>.'
            ' If a life is in danger: call <a href="tel:112">112</a>.</p>\n'
        )
    else:
        hint_sv, hint_en = (_STAFF_RETRY_SV, _STAFF_RETRY_EN) if retry else ("", "")
        footer = ""
    footer += '    <p><a href="/tillganglighet">Tillgänglighetsredogörelse</a></p>\n'
    return (
        "<!doctype html>\n"
        '<html lang="sv">\n'
        "<head>\n"
        '  <meta charset="utf-8">\n'
        '  <meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '  <meta name="robots" content="noindex">\n'
        f"  <title>{escape(sv.heading)} – {escape(brand)}</title>\n"
        '  <link rel="icon" href="/static/common/icon.svg" type="image/svg+xml">\n'
        '  <link rel="stylesheet" href="/static/common/styles.css">\n'
        "</head>\n"
        "<body>\n"
        '  <a class="skip-link" href="#main">Hoppa till innehållet</a>\n'
        '  <header class="topbar">\n'
        '    <p class="brand"><span class="brand__mark" aria-hidden="true">+</span>'
        f" <span>{escape(brand)}</span></p>\n"
        "  </header>\n"
        '  <main id="main" class="page">\n'
        + _section(sv, hint_sv, (href, back_sv), code, "sv")
        + _section(en, hint_en, (href, back_en), code, "en")
        + "  </main>\n"
        '  <footer class="footer">\n' + footer + "  </footer>\n"
        "</body>\n"
        "</html>\n"
    )


def response(exc: ChatError, side: Side) -> HTMLResponse:
    """``exc`` as the page, with its status (and ``Retry-After`` when it has one)."""
    headers = {"cache-control": "no-store", "vary": "Accept"}
    retry_after = exc.extra.get("retry_after_s")
    if isinstance(retry_after, int):
        headers["retry-after"] = str(retry_after)
    return HTMLResponse(render(exc.code, side), status_code=exc.status, headers=headers)
