"""The optional "it's your turn" SMS: the patient's number, and the gateway.

The patient may give a Swedish mobile number at intake (``phone`` on ``POST
/api/contacts``, an extension). :func:`normalise_mobile` accepts the ways
people write one (``070-123 45 67``, ``+46 70 123 45 67``, ``0046701234567``)
and returns E.164 (``+46701234567``); anything else is 422 ``invalid_field``
naming ``phone``. Swedish mobile numbers are ``07`` + one of ``0 2 3 6 9`` +
seven digits (PTS numbering plan; 071 is machine-to-machine, 074 and 077/078
are not mobile).

The gateway is 46elks-style: a form POST of ``from``, ``to`` and ``message``
with HTTP basic authentication (``CHATSERVER_SMS_GATEWAY_URL``, ``_USER``,
``_PASSWORD``, ``_FROM``). Without a URL, SMS is off and the intake form does
not offer the field. The text names neither the patient nor the complaint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from chatserver.errors import InvalidInput

__all__ = ["SmsGateway", "normalise_mobile", "sms_text"]

_MOBILE = re.compile(r"^7[02369]\d{7}$")
_SEPARATORS = re.compile(r"[\s\-().]")
# Longer than any way of writing a Swedish number with separators.
MAX_PHONE_CHARS = 32

_TEXTS = {
    "sv": ("Det är din tur i vårdchatten. Öppna chatten för att fortsätta.", "Öppna chatten: "),
    "en": ("It is your turn in the care chat. Open the chat to continue.", "Open the chat: "),
}


def normalise_mobile(raw: object) -> str:
    """``raw`` as an E.164 Swedish mobile number, or 422 naming ``phone``."""
    if not isinstance(raw, str) or len(raw) > MAX_PHONE_CHARS:
        raise InvalidInput(
            "invalid_field",
            "phone is not a Swedish mobile number",
            fields={"phone": "Swedish mobile number"},
        )
    digits = _SEPARATORS.sub("", raw)
    if digits.startswith("+46"):
        national = digits[3:]
    elif digits.startswith("0046"):
        national = digits[4:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        national = ""
    if not national.isascii() or not _MOBILE.match(national):
        raise InvalidInput(
            "invalid_field",
            "phone is not a Swedish mobile number",
            fields={"phone": "Swedish mobile number, e.g. 070-123 45 67"},
        )
    return "+46" + national


def sms_text(lang: str, public_url: str | None) -> str:
    """The "your turn" text; with the service's address, the link last (so that no
    punctuation sticks to it)."""
    text, open_at = _TEXTS.get(lang, _TEXTS["sv"])
    if public_url:
        return f"{text.rsplit('. ', 1)[0]}. {open_at}{public_url}/"
    return text


@dataclass(frozen=True)
class SmsGateway:
    """A 46elks-style HTTP SMS gateway."""

    url: str
    user: str
    password: str
    sender: str

    async def send(self, client: httpx.AsyncClient, to: str, message: str) -> int | str:
        """The gateway's HTTP status, or the name of the network error."""
        try:
            resp = await client.post(
                self.url,
                data={"from": self.sender, "to": to, "message": message},
                auth=(self.user, self.password),
            )
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return resp.status_code
