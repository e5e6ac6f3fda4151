"""A browser's side of Web Push, for tests: its key pair and auth secret, and
the decryption of what the service sent (RFC 8291, with http_ece)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from chatserver.notify.subscription import b64url_encode


@dataclass
class Browser:
    """One subscribed browser: ``subscription(endpoint)`` is its PushSubscription JSON."""

    private: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url_encode(
            self.private.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscription(self, endpoint: str) -> dict[str, Any]:
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url_encode(self.auth)},
        }

    def decrypt(self, body: bytes) -> bytes:
        plain: bytes = http_ece.decrypt(
            body, private_key=self.private, auth_secret=self.auth, version="aes128gcm"
        )
        return plain
