"""Sending one Web Push message (RFC 8030) with ``aes128gcm`` encryption (RFC 8291).

The payload is encrypted to the browser's key with http_ece (a fresh sender key
and salt per message) and POSTed to the subscription's endpoint with a VAPID
``Authorization`` (:mod:`.vapid`). No redirect is followed (the endpoint was
checked against the allowlist; a redirect could lead anywhere) and the proxy
environment variables are not read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import http_ece
import httpx
from cryptography.hazmat.primitives.asymmetric import ec

from chatserver.notify.subscription import b64url_decode
from chatserver.notify.vapid import VapidKey
from chatserver.storage.reach import Subscription

__all__ = ["GONE", "PushOutcome", "encrypt", "send_push"]

# The push service's answer that the subscription no longer exists (RFC 8030
# section 7.3: 404 and 410): the subscription is deleted.
GONE = frozenset({404, 410})


@dataclass(frozen=True, slots=True)
class PushOutcome:
    """The push service's HTTP status, or ``error`` (a timeout, refused connection)."""

    status: int | None
    error: str | None = None

    @property
    def gone(self) -> bool:
        return self.status in GONE

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def encrypt(plaintext: bytes, sub: Subscription) -> bytes:
    """``plaintext`` as an ``aes128gcm`` body for ``sub`` (header, salt and keyid included)."""
    sender = ec.generate_private_key(ec.SECP256R1())
    body: bytes = http_ece.encrypt(
        plaintext,
        salt=os.urandom(16),
        private_key=sender,
        dh=b64url_decode(sub.p256dh),
        auth_secret=b64url_decode(sub.auth),
        version="aes128gcm",
    )
    return body


async def send_push(
    client: httpx.AsyncClient,
    vapid: VapidKey,
    sub: Subscription,
    plaintext: bytes,
    *,
    now: float,
    ttl_s: int,
    urgency: str,
) -> PushOutcome:
    """POST one message; never raises for the network or the push service."""
    headers = {
        "Authorization": vapid.authorization(sub.endpoint, now),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(ttl_s),
        "Urgency": urgency,
    }
    try:
        body = encrypt(plaintext, sub)
        resp = await client.post(sub.endpoint, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return PushOutcome(None, type(exc).__name__)
    except ValueError as exc:  # a stored key that cannot be encrypted to
        return PushOutcome(None, type(exc).__name__)
    return PushOutcome(resp.status_code)
