"""The two steps of a sign-in with e-legitimation, for either side.

``begin`` remembers a fresh state, nonce and PKCE verifier (server side,
migration 0010, for :data:`PENDING_S`) and gives the issuer's authorization
URL. ``finish`` takes the pending sign-in of the callback's ``state`` (one
time: a replayed state finds nothing), checks it was started on this side
(an issuer mix-up finds nothing either), exchanges the code and validates the
ID token; it returns the verified claims or raises a documented error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chatserver.access.sessions import hash_secret
from chatserver.errors import Unauthenticated
from chatserver.identity.login_store import PendingLogin, put_pending, take_pending
from chatserver.identity.oidc import InvalidIdToken, RelyingParty, Side, TokenRefused
from chatserver.logs import get_logger
from chatserver.storage.plan import Database

__all__ = ["PENDING_S", "SignInFailed", "Verified", "begin", "finish"]

log = get_logger("chatserver.identity")

# A started sign-in may take this long: BankID on another device, typing a
# SITHS PIN; the OAuth 2.0 Security BCP suggests minutes, not hours.
PENDING_S = 10 * 60.0
# A ``state`` we made is 43 characters; a much longer one is not ours.
MAX_STATE_CHARS = 200


class SignInFailed(Unauthenticated):
    """A callback that signs no one in; ``reason`` is for the audit log."""

    def __init__(self, code: str, message: str, reason: str) -> None:
        super().__init__(code, message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Verified:
    claims: dict[str, Any]
    return_to: str


async def begin(rp: RelyingParty, db: Database, return_to: str, now: float) -> str:
    """Start a sign-in; returns the URL to send the browser to."""
    request = await rp.begin()
    pending = PendingLogin(
        side=rp.provider.side,
        nonce=request.nonce,
        code_verifier=request.code_verifier,
        return_to=return_to,
        expires_at=now + PENDING_S,
    )
    await db.write(put_pending(hash_secret(request.state), pending, now))
    return request.url


async def finish(rp: RelyingParty, db: Database, params: Mapping[str, str], now: float) -> Verified:
    """Complete a sign-in from the callback's query parameters."""
    side: Side = rp.provider.side
    state = params.get("state", "")
    if not state or len(state) > MAX_STATE_CHARS:
        raise SignInFailed("invalid_state", "the sign-in has expired; start again", "no state")
    pending = await db.write(take_pending(hash_secret(state)))
    if pending is None:
        raise SignInFailed(
            "invalid_state", "the sign-in was already used or has expired; start again", "unknown"
        )
    if pending.side != side:
        raise SignInFailed(
            "invalid_state", "the sign-in was started elsewhere; start again", "other side"
        )
    if now > pending.expires_at:
        raise SignInFailed("invalid_state", "the sign-in has expired; start again", "expired")
    # RFC 9207: an issuer that names itself in the response must be ours.
    iss = params.get("iss")
    if iss is not None and iss.rstrip("/") != rp.provider.issuer:
        raise SignInFailed(
            "invalid_state", "the answer came from another identity provider", "iss param"
        )
    if "error" in params:
        raise SignInFailed(
            "sign_in_failed",
            "the identity provider did not sign you in",
            f"provider: {params['error'][:60]}",
        )
    code = params.get("code", "")
    if not code:
        raise SignInFailed("sign_in_failed", "the identity provider sent no code", "no code")
    try:
        id_token = await rp.exchange(code, pending.code_verifier)
    except TokenRefused as exc:
        raise SignInFailed(
            "sign_in_failed",
            "the identity provider refused the sign-in; start again",
            f"token endpoint: {str(exc)[:60]}",
        ) from None
    try:
        claims = await rp.verify(id_token, pending.nonce)
    except InvalidIdToken as exc:
        log.warning("id_token_refused", side=side, reason=exc.reason)
        raise SignInFailed(
            "invalid_id_token",
            "the identity provider's answer could not be verified",
            exc.reason,
        ) from None
    return Verified(claims=claims, return_to=pending.return_to)
