"""Which e-legitimation a sign-in used, from the claim shapes brokers send
(chatserver/identity/method.py)."""

from __future__ import annotations

from typing import Any

import pytest

from chatserver.identity.method import sign_in_method

AUTHN_PROVIDER = "https://id.oidc.se/claim/authnProvider"


@pytest.mark.parametrize(
    ("claims", "method"),
    [
        # Idura (Criipto): identityscheme, and the method in acr.
        ({"identityscheme": "sebankid"}, "bankid"),
        ({"identityscheme": "sefrejaeid"}, "freja"),
        ({"acr": "urn:grn:authn:se:bankid:same-device"}, "bankid"),
        ({"acr": "urn:grn:authn:se:bankid:another-device:qr"}, "bankid"),
        ({"acr": "urn:grn:authn:se:frejaid"}, "freja"),
        (
            {"identityscheme": "sebankid", "acr": "urn:grn:authn:se:bankid:same-device"},
            "bankid",
        ),
        # The Swedish OIDC profile: the authenticating provider's entity id.
        ({AUTHN_PROVIDER: "https://idp.frejaeid.com"}, "freja"),
        ({AUTHN_PROVIDER: "https://bankid.idp.example.se/bankid"}, "bankid"),
        ({AUTHN_PROVIDER: "http://id.elegnamnden.se/loa/1.0/loa3"}, "eid"),
        # Curity-style acr, a broker's own amr entry, Signicat's idp.
        ({"acr": "urn:se:curity:authentication:bankid:bankid"}, "bankid"),
        ({"acr": "urn:se:curity:authentication:freja-eid:freja"}, "freja"),
        ({"amr": ["bankid", "mfa"]}, "bankid"),
        ({"amr": "freja"}, "freja"),
        ({"idp": "sbid"}, "bankid"),
        # RFC 8176 values say how, not which e-legitimation.
        ({"amr": ["hwk", "pin", "mfa"]}, "eid"),
        ({"acr": "http://id.elegnamnden.se/loa/1.0/loa3"}, "eid"),
        ({}, "eid"),
        # Another country's BankID is not the Swedish one.
        ({"identityscheme": "nobankid"}, "eid"),
        ({"acr": "urn:grn:authn:no:bankid"}, "eid"),
        ({"idp": "nbid"}, "eid"),
        # Disagreeing hints: unknown, never a guess.
        ({"identityscheme": "sebankid", AUTHN_PROVIDER: "https://idp.frejaeid.com"}, "eid"),
        ({"amr": ["bankid", "freja"]}, "eid"),
        # Words, not substrings: a name that merely contains the letters.
        ({"acr": "urn:example:notbankidreally"}, "eid"),
        # Not strings, or absurdly long: ignored.
        ({"identityscheme": 7, "amr": [None, {"x": 1}], "acr": 5.0}, "eid"),
        ({"acr": "bankid:" + "x" * 400}, "eid"),
    ],
)
def test_method_from_claims(claims: dict[str, Any], method: str) -> None:
    assert sign_in_method(claims) == method


def test_other_claims_are_not_read() -> None:
    """Only the documented claims count: a name or e-mail naming BankID does not."""
    assert sign_in_method({"name": "Bankid Freja", "email": "bankid@example.se"}) == "eid"
