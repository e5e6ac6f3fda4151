"""The ID token checks and the JWKS cache, on tokens made here with joserfc
(the provider cannot be asked for a bad token)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, OctKey, RSAKey

from chatserver.errors import ServiceUnavailable
from chatserver.identity.oidc import (
    CLOCK_SKEW_S,
    InvalidIdToken,
    Provider,
    RelyingParty,
    validate_id_token,
)
from chatserver.identity.return_to import safe_return_to

ISSUER = "https://broker.example"
CLIENT = "chat-patient"
NONCE = "n-0S6_WzA2Mj"
NOW = 1_800_000_000.0

KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # same kid, wrong key
ROTATED_KEY = RSAKey.generate_key(2048, parameters={"kid": "k2"})


def _public(*keys: RSAKey) -> KeySet:
    return KeySet.import_key_set(KeySet(list(keys)).as_dict(private=False))


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "user-1",
        "iat": int(NOW),
        "exp": int(NOW) + 300,
        "nonce": NONCE,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _token(claims: dict[str, Any], key: RSAKey = KEY, alg: str = "RS256") -> str:
    return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


def _check(token: str, keys: KeySet | None = None) -> dict[str, Any]:
    return validate_id_token(
        token, keys or _public(KEY), issuer=ISSUER, client_id=CLIENT, nonce=NONCE, now=NOW
    )


def test_valid_token() -> None:
    """A token signed by the issuer's key with the expected claims is accepted."""
    assert _check(_token(_claims()))["sub"] == "user-1"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        (_claims(iss="https://other.example"), "claims: invalid_claim: Invalid claim: 'iss'"),
        (_claims(aud="someone-else"), "claims: invalid_claim: Invalid claim: 'aud'"),
        (_claims(exp=int(NOW) - CLOCK_SKEW_S - 1), "claims: expired_token: The token is expired"),
        (
            _claims(iat=int(NOW) + CLOCK_SKEW_S + 5),
            "claims: invalid_claim: The token was issued in the future",
        ),
        (_claims(nonce=None), "claims: nonce"),
        (_claims(nonce="another"), "claims: nonce"),
        (_claims(aud=[CLIENT, "x"]), "claims: azp"),
        (_claims(sub=None), "claims: missing_claim: Missing claim: 'sub'"),
        (_claims(exp=None), "claims: missing_claim: Missing claim: 'exp'"),
    ],
)
def test_bad_claims_are_refused(claims: dict[str, Any], reason: str) -> None:
    """Wrong iss/aud, expired, issued in the future, no or wrong nonce: refused with a reason."""
    with pytest.raises(InvalidIdToken) as caught:
        _check(_token(claims))
    assert caught.value.reason == reason


def test_clock_skew_is_allowed() -> None:
    """exp just passed and iat just ahead, within the skew: accepted."""
    claims = _claims(exp=int(NOW) - CLOCK_SKEW_S + 5, iat=int(NOW) + CLOCK_SKEW_S - 5)
    assert _check(_token(claims))["nonce"] == NONCE


def test_forged_signature_is_refused() -> None:
    """A token signed with another key under the issuer's kid: refused."""
    with pytest.raises(InvalidIdToken) as caught:
        _check(_token(_claims(), OTHER_KEY))
    assert caught.value.reason == "signature: BadSignatureError"


def test_hmac_with_public_key_is_refused() -> None:
    """HS256 (a key-confusion attempt) is not an accepted algorithm."""
    secret = OctKey.import_key(b"0123456789abcdef0123456789abcdef", {"kid": "k1"})
    token = jwt.encode({"alg": "HS256", "kid": "k1"}, _claims(), secret)
    with pytest.raises(InvalidIdToken):
        _check(token)


def test_unsigned_token_is_refused() -> None:
    """alg none and garbage are refused."""
    for token in ("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.", "not-a-jwt"):
        with pytest.raises(InvalidIdToken):
            _check(token)


class _Issuer:
    """The discovery and JWKS endpoints of a broker, in memory, counting JWKS fetches."""

    def __init__(self) -> None:
        self.keys: list[Any] = [KEY]
        self.jwks_fetches = 0
        self.down = False

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        if request.url.path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/jwks",
                },
            )
        self.jwks_fetches += 1
        return httpx.Response(200, json=KeySet(list(self.keys)).as_dict(private=False))


def _rp(issuer: _Issuer, clock: list[float]) -> RelyingParty:
    provider = Provider("patient", ISSUER, CLIENT, "secret", "https://chat.example/cb")
    return RelyingParty(provider, lambda: clock[0], httpx.MockTransport(issuer.handle))


def test_key_rotation_refetches_jwks_once() -> None:
    """A token with a new kid refetches the JWKS; a known kid does not."""
    issuer, clock = _Issuer(), [NOW]
    rp = _rp(issuer, clock)
    assert asyncio.run(rp.verify(_token(_claims()), NONCE))["sub"] == "user-1"
    assert asyncio.run(rp.verify(_token(_claims()), NONCE))["sub"] == "user-1"
    assert issuer.jwks_fetches == 1
    issuer.keys = [ROTATED_KEY]
    clock[0] += 60
    assert asyncio.run(rp.verify(_token(_claims(), ROTATED_KEY), NONCE))["sub"] == "user-1"
    assert issuer.jwks_fetches == 2


def test_unknown_kid_refetch_is_rate_limited() -> None:
    """Forged kids refetch at most once per interval, then fail as unverifiable."""
    issuer, clock = _Issuer(), [NOW]
    rp = _rp(issuer, clock)
    forged = RSAKey.generate_key(2048, parameters={"kid": "forged"})
    for _ in range(3):
        with pytest.raises(InvalidIdToken):
            asyncio.run(rp.verify(_token(_claims(), forged), NONCE))
    assert issuer.jwks_fetches == 1


def test_broker_down_is_unavailable() -> None:
    """Discovery unreachable: ServiceUnavailable identity_unavailable (503)."""
    issuer, clock = _Issuer(), [NOW]
    issuer.down = True
    with pytest.raises(ServiceUnavailable) as caught:
        asyncio.run(_rp(issuer, clock).begin())
    assert (caught.value.status, caught.value.code) == (503, "identity_unavailable")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "/"),
        ("", "/"),
        ("/chat", "/chat"),
        ("/chat?unit=hc1#top", "/chat?unit=hc1#top"),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("\\\\evil.example", None),
        ("https://evil.example", None),
        ("javascript:alert(1)", None),
        ("chat", None),
        ("/\tchat", None),
        ("/ch at", None),
        ("/" + "a" * 600, None),
    ],
)
def test_return_to(value: str | None, expected: str | None) -> None:
    """Only same-origin absolute paths; the default when absent."""
    assert safe_return_to(value, "/") == expected
