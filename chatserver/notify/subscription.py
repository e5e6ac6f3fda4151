"""A browser's ``PushSubscription`` JSON, checked (pure).

``{"endpoint", "keys": {"p256dh", "auth"}}`` as ``PushSubscription.toJSON()``
gives it (``expirationTime`` and other members are ignored). ``p256dh`` must be
an uncompressed P-256 point and ``auth`` 16 bytes (RFC 8291 section 3), both
base64url; anything else could never be encrypted to, so it is refused now
(422 ``invalid_field`` with ``fields``) rather than failing at every send.
An endpoint outside the allowlist is 422 ``push_endpoint_not_allowed``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from chatserver.errors import InvalidInput
from chatserver.notify.allowlist import MAX_ENDPOINT_CHARS, PushAllowlist, endpoint_allowed

__all__ = ["PushKeys", "b64url_decode", "b64url_encode", "parse_subscription"]

AUTH_BYTES = 16  # RFC 8291 section 3.2: the authentication secret is 16 octets
P256_POINT_BYTES = 65  # 0x04 || X || Y


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; ValueError for anything else."""
    if not text.isascii() or any(c in text for c in "+/ \n"):
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class PushKeys:
    """A checked subscription: endpoint and the browser's keys (base64url text)."""

    __slots__ = ("auth", "endpoint", "p256dh")

    def __init__(self, endpoint: str, p256dh: str, auth: str) -> None:
        self.endpoint = endpoint
        self.p256dh = p256dh
        self.auth = auth

    def __repr__(self) -> str:  # the endpoint is a capability: never in a log line
        return "PushKeys(<redacted>)"


def _key(value: Any, name: str, fields: dict[str, str]) -> bytes | None:
    if not isinstance(value, str) or not value or len(value) > 200:
        fields[f"keys.{name}"] = "base64url string"
        return None
    try:
        return b64url_decode(value)
    except ValueError:
        fields[f"keys.{name}"] = "base64url string"
        return None


def parse_subscription(data: Any, allow: PushAllowlist) -> PushKeys:
    """The subscription in ``data``, or :class:`InvalidInput` saying what is wrong."""
    if not isinstance(data, dict):
        raise InvalidInput("invalid_body", "the body must be a JSON object")
    fields: dict[str, str] = {}
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > MAX_ENDPOINT_CHARS:
        fields["endpoint"] = f"URL of at most {MAX_ENDPOINT_CHARS} characters"
    keys = data.get("keys")
    if not isinstance(keys, dict):
        fields["keys"] = "object with p256dh and auth"
        keys = {}
    p256dh = _key(keys.get("p256dh"), "p256dh", fields)
    auth = _key(keys.get("auth"), "auth", fields)
    if p256dh is not None and not _on_curve(p256dh):
        fields["keys.p256dh"] = "uncompressed P-256 public key"
    if auth is not None and len(auth) != AUTH_BYTES:
        fields["keys.auth"] = f"{AUTH_BYTES} bytes"
    if fields:
        raise InvalidInput("invalid_field", "the push subscription is not valid", fields=fields)
    assert isinstance(endpoint, str)
    if not endpoint_allowed(endpoint, allow):
        raise InvalidInput(
            "push_endpoint_not_allowed",
            "the push endpoint is not one of the allowed push services",
            fields={"endpoint": "not an allowed push service"},
        )
    return PushKeys(endpoint, keys["p256dh"], keys["auth"])


def _on_curve(point: bytes) -> bool:
    if len(point) != P256_POINT_BYTES or point[0] != 4:
        return False
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return False
    return True
