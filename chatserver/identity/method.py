"""Which e-legitimation a patient signed in with, from the ID token's claims.

The broker says it in one of several ways, none of them standard; this pure
function reads them all (docs/identity.md, "Which e-legitimation"):

- ``identityscheme`` (Idura, formerly Criipto): ``sebankid``, ``sefrejaeid``;
- ``https://id.oidc.se/claim/authnProvider`` (Swedish OIDC profile): the
  identity provider that authenticated the person, usually its entity id
  (e.g. ``https://idp.frejaeid.com``);
- ``acr``: brokers name the method there
  (``urn:grn:authn:se:bankid:same-device``,
  ``urn:se:curity:authentication:bankid:...``);
- ``amr`` (RFC 8176: a list): the standard values (``hwk``, ``pin``, ``mfa``,
  ...) say how, not which e-legitimation, but brokers add theirs (``bankid``);
- ``idp`` (Signicat and others): ``sbid`` for Swedish BankID.

Each value is split into words at every character that is not a letter or a
digit and the words are matched exactly, so ``nobankid`` (Norwegian BankID) is
not Swedish BankID, and a value with a country word other than ``se``
(``urn:grn:authn:no:bankid``) counts for nothing. Hints that disagree give
``eid``: the method is then unknown, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from chatserver.core.identification import IdentityMethod

__all__ = ["METHOD_CLAIMS", "sign_in_method"]

# The claims that may name the method, most specific first.
METHOD_CLAIMS = (
    "identityscheme",
    "https://id.oidc.se/claim/authnProvider",
    "acr",
    "amr",
    "idp",
)

_WORD = re.compile(r"[a-z0-9]+")
_BANKID = frozenset({"bankid", "sebankid", "sbid", "mobilebankid"})
_FREJA = frozenset({"freja", "frejaeid", "sefrejaeid", "frejaid", "frejaeidplus"})
# Country words of brokers' URNs other than Sweden's: another country's
# BankID (Norway's) is not the Swedish one.
_OTHER_COUNTRY = frozenset({"no", "dk", "fi", "nbid", "nobankid"})
# A value longer than this is not a method name or an entity id.
_MAX_CHARS = 300
# Entries of an ``amr`` list looked at.
_MAX_AMR = 20


def sign_in_method(claims: Mapping[str, Any]) -> IdentityMethod:
    """``bankid``, ``freja``, or ``eid`` when the claims do not say (or disagree)."""
    found = {m for m in map(_method_of, _values(claims)) if m is not None}
    if len(found) == 1:
        return found.pop()
    return "eid"


def _values(claims: Mapping[str, Any]) -> Iterator[str]:
    for name in METHOD_CLAIMS:
        raw = claims.get(name)
        items = raw[:_MAX_AMR] if isinstance(raw, list) else [raw]
        for item in items:
            if isinstance(item, str) and item and len(item) <= _MAX_CHARS:
                yield item


def _method_of(value: str) -> IdentityMethod | None:
    words = set(_WORD.findall(value.lower()))
    if words & _OTHER_COUNTRY:
        return None
    bankid = bool(words & _BANKID)
    freja = bool(words & _FREJA)
    if bankid == freja:  # neither, or both in one value
        return None
    return "bankid" if bankid else "freja"
