"""The OpenID Connect relying party: one :class:`RelyingParty` per issuer.

The authorization code flow with PKCE (S256), ``state`` and ``nonce``, with
Authlib for the OAuth 2.0 client (authorization URL, code exchange) and joserfc
(Authlib's JOSE library) for the ID token. The discovery document and the JWKS
come from the issuer and are cached; an ID token signed with a key id the cache
does not know makes one JWKS refetch (key rotation), at most once per
:data:`JWKS_REFETCH_MIN_S`, so forged key ids cannot make us hammer the issuer.

:func:`validate_id_token` is pure: the token, the keys, the expected issuer,
audience and nonce and the time in, the claims or :class:`InvalidIdToken` out.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from chatserver.errors import ServiceUnavailable

__all__ = [
    "CLOCK_SKEW_S",
    "InvalidIdToken",
    "LoginRequest",
    "Provider",
    "RelyingParty",
    "TokenRefused",
    "validate_id_token",
]

Side = Literal["patient", "staff"]

# Clock skew allowed on exp/iat: NTP-synchronised servers differ by well under
# a second; a minute covers a badly set broker without accepting stale tokens.
CLOCK_SKEW_S = 60
# How long the discovery document is trusted before it is fetched again: it
# changes with a broker's redeploy, not per sign-in.
DISCOVERY_TTL_S = 3600.0
# An unknown key id refetches the JWKS at most this often (rotation is rare;
# a flood of forged tokens must not become a flood of JWKS requests).
JWKS_REFETCH_MIN_S = 10.0
# A broker answering slower than this is treated as down (503): BankID's own
# wait happens in the browser, not in these back-channel calls.
HTTP_TIMEOUT_S = 10.0
# Signature algorithms accepted on ID tokens (the Swedish OIDC profile asks
# for RS256; ES256/PS256 are allowed by it). Never "none" or HMAC.
ID_TOKEN_ALGORITHMS = ("RS256", "PS256", "ES256")
# The nonce, state and PKCE verifier carry 256 random bits.
RANDOM_BYTES = 32


class InvalidIdToken(Exception):
    """The ID token is not to be trusted; ``reason`` says why (logged, never the token)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class TokenRefused(Exception):
    """The token endpoint refused the code (used, expired, or not ours)."""


@dataclass(frozen=True, slots=True)
class Provider:
    """One configured issuer: who it serves, how we are registered with it."""

    side: Side
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str = "openid profile"


@dataclass(frozen=True, slots=True)
class LoginRequest:
    """What one sign-in remembers until its callback, and where to send the browser."""

    state: str
    nonce: str
    code_verifier: str
    url: str


def _unavailable(side: Side) -> ServiceUnavailable:
    who = "e-legitimation" if side == "patient" else "SITHS"
    return ServiceUnavailable(
        "identity_unavailable",
        f"sign-in with {who} is not reachable right now; try again in a while",
    )


def validate_id_token(
    token: str,
    keys: KeySet,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    now: float,
    leeway: int = CLOCK_SKEW_S,
) -> dict[str, Any]:
    """The claims of a valid ID token, or :class:`InvalidIdToken`.

    Checks the signature against ``keys`` (by ``kid``), then ``iss``, ``aud``
    (and ``azp`` with several audiences), ``exp`` and ``iat`` within ``leeway``
    seconds, and ``nonce`` (OpenID Connect Core 3.1.3.7).
    """
    try:
        decoded = jwt.decode(token, keys, algorithms=list(ID_TOKEN_ALGORITHMS))
    except JoseError as exc:
        raise InvalidIdToken(f"signature: {type(exc).__name__}") from None
    except ValueError:
        raise InvalidIdToken("malformed") from None
    claims = dict(decoded.claims)
    registry = jwt.JWTClaimsRegistry(
        now=int(now),
        leeway=leeway,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise InvalidIdToken(f"claims: {exc.error}: {exc.description}") from None
    iat = claims["iat"]
    if not isinstance(iat, int | float) or iat > now + leeway:
        raise InvalidIdToken("claims: iat in the future")
    aud = claims["aud"]
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != client_id:
        raise InvalidIdToken("claims: azp")
    got = claims.get("nonce")
    if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
        raise InvalidIdToken("claims: nonce")
    return claims


def _kid_of(token: str) -> str | None:
    try:
        headers = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError):
        raise InvalidIdToken("malformed") from None
    kid = headers.get("kid")
    return kid if isinstance(kid, str) else None


class RelyingParty:
    """The client of one issuer: discovery and JWKS cached, the flow's three steps."""

    def __init__(
        self,
        provider: Provider,
        clock: Callable[[], float],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.provider = provider
        self.clock = clock
        self._transport = transport
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    def _client(self) -> AsyncOAuth2Client:
        p = self.provider
        return AsyncOAuth2Client(
            client_id=p.client_id,
            client_secret=p.client_secret,
            scope=p.scope,
            redirect_uri=p.redirect_uri,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT_S,
            transport=self._transport,
        )

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, transport=self._transport) as http:
                r = await http.get(url, headers={"accept": "application/json"})
            r.raise_for_status()
            data = r.json()
        except (httpx.HTTPError, ValueError):
            raise _unavailable(self.provider.side) from None
        if not isinstance(data, dict):
            raise _unavailable(self.provider.side)
        return data

    async def metadata(self) -> dict[str, Any]:
        """The issuer's discovery document (OpenID Connect Discovery 1.0), cached."""
        now = self.clock()
        if self._metadata is not None and now - self._metadata_at < DISCOVERY_TTL_S:
            return self._metadata
        url = f"{self.provider.issuer}/.well-known/openid-configuration"
        data = await self._get_json(url)
        needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
        # The document must name the configured issuer exactly (Discovery 4.3):
        # otherwise a broker could speak for another one.
        if data.get("issuer") != self.provider.issuer or not all(
            isinstance(data.get(k), str) for k in needed
        ):
            raise _unavailable(self.provider.side)
        self._metadata, self._metadata_at = data, now
        return data

    async def _fetch_keys(self) -> KeySet:
        meta = await self.metadata()
        data = await self._get_json(str(meta["jwks_uri"]))
        try:
            keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
        except (JoseError, ValueError, KeyError, TypeError):
            raise _unavailable(self.provider.side) from None
        self._keys, self._keys_at = keys, self.clock()
        return keys

    async def keys_for(self, token: str) -> KeySet:
        """The JWKS to check ``token`` with; refetched once for an unknown ``kid``."""
        kid = _kid_of(token)
        keys = self._keys if self._keys is not None else await self._fetch_keys()
        unknown = kid is not None and not _has_kid(keys, kid)
        if unknown and self.clock() - self._keys_at >= JWKS_REFETCH_MIN_S:
            keys = await self._fetch_keys()
        return keys

    async def begin(self) -> LoginRequest:
        """A fresh state, nonce and PKCE verifier, and the authorization URL."""
        meta = await self.metadata()
        state = secrets.token_urlsafe(RANDOM_BYTES)
        nonce = secrets.token_urlsafe(RANDOM_BYTES)
        verifier = secrets.token_urlsafe(RANDOM_BYTES)
        async with self._client() as client:
            url, _ = client.create_authorization_url(
                str(meta["authorization_endpoint"]),
                state=state,
                code_verifier=verifier,
                nonce=nonce,
            )
        return LoginRequest(state=state, nonce=nonce, code_verifier=verifier, url=str(url))

    async def exchange(self, code: str, code_verifier: str) -> str:
        """The ID token for an authorization code (back channel, PKCE verifier)."""
        meta = await self.metadata()
        try:
            async with self._client() as client:
                token = await client.fetch_token(
                    str(meta["token_endpoint"]), code=code, code_verifier=code_verifier
                )
        except OAuthError as exc:
            raise TokenRefused(str(exc.error)) from None
        except (httpx.HTTPError, ValueError):
            raise _unavailable(self.provider.side) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise TokenRefused("no id_token")
        return id_token

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The claims of ``id_token`` (:func:`validate_id_token` with the issuer's keys)."""
        keys = await self.keys_for(id_token)
        return validate_id_token(
            id_token,
            keys,
            issuer=self.provider.issuer,
            client_id=self.provider.client_id,
            nonce=nonce,
            now=self.clock(),
        )


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(k.kid == kid for k in keys.keys)
