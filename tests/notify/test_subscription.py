"""A browser's PushSubscription JSON is checked before it is stored."""

from __future__ import annotations

from typing import Any

import pytest

from chatserver.errors import InvalidInput
from chatserver.notify.allowlist import DEFAULT_PUSH_HOSTS, PushAllowlist
from chatserver.notify.subscription import b64url_decode, b64url_encode, parse_subscription
from tests.notify.keys import Browser

ALLOW = PushAllowlist.parse(DEFAULT_PUSH_HOSTS)
ENDPOINT = "https://fcm.googleapis.com/fcm/send/abc"


def refusal(data: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse_subscription(data, ALLOW)
    return info.value


def test_a_browser_subscription_is_taken() -> None:
    """Endpoint and keys come back as sent; the repr never shows the endpoint."""
    browser = Browser()
    keys = parse_subscription(browser.subscription(ENDPOINT), ALLOW)
    assert (keys.endpoint, keys.p256dh, keys.auth) == (
        ENDPOINT,
        browser.p256dh,
        b64url_encode(browser.auth),
    )
    assert "fcm" not in repr(keys)


def test_not_an_object() -> None:
    """A list is not a subscription."""
    assert refusal([]).code == "invalid_body"


def test_missing_fields_are_named() -> None:
    """Each missing member is named in ``fields``."""
    err = refusal({})
    assert err.code == "invalid_field"
    assert err.fields == {
        "endpoint": "URL of at most 2048 characters",
        "keys": "object with p256dh and auth",
        "keys.p256dh": "base64url string",
        "keys.auth": "base64url string",
    }


@pytest.mark.parametrize(
    ("p256dh", "auth", "fields"),
    [
        ("not base64!", None, {"keys.p256dh": "base64url string"}),
        (
            b64url_encode(b"\x04" + b"\x01" * 64),
            None,
            {"keys.p256dh": "uncompressed P-256 public key"},
        ),
        (
            b64url_encode(b"\x02" + b"\x01" * 32),
            None,
            {"keys.p256dh": "uncompressed P-256 public key"},
        ),
        (None, b64url_encode(b"short"), {"keys.auth": "16 bytes"}),
        (None, "a+b/", {"keys.auth": "base64url string"}),
    ],
)
def test_bad_keys_are_refused(p256dh: str | None, auth: str | None, fields: dict[str, str]) -> None:
    """A key that could never be encrypted to is refused now, naming it."""
    data = Browser().subscription(ENDPOINT)
    if p256dh is not None:
        data["keys"]["p256dh"] = p256dh
    if auth is not None:
        data["keys"]["auth"] = auth
    err = refusal(data)
    assert (err.code, err.fields) == ("invalid_field", fields)


def test_endpoint_outside_the_allowlist() -> None:
    """A well-formed subscription to another host is push_endpoint_not_allowed."""
    err = refusal(Browser().subscription("https://169.254.169.254/latest/meta-data"))
    assert (err.code, err.status) == ("push_endpoint_not_allowed", 422)


def test_base64url_round_trip_with_and_without_padding() -> None:
    """Browsers send unpadded base64url; padded is accepted too."""
    assert b64url_decode("AQID") == b"\x01\x02\x03"
    assert b64url_decode("AQ") == b"\x01"
    assert b64url_decode("AQ==") == b"\x01"
    with pytest.raises(ValueError, match="base64url"):
        b64url_decode("å")
