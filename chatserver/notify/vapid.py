"""The service's VAPID key (RFC 8292): who the push services see as the sender.

The browser subscribes with the public key (``GET /api/push/key``), and the push
service accepts a message only with a token signed by the matching private key.
The key is

* ``CHATSERVER_VAPID_PRIVATE_KEY``: the private P-256 scalar, 32 bytes
  base64url (several instances behind one name must share one key, or their
  browsers' subscriptions would only work with the instance that gave the key);
* otherwise ``<data_dir>/vapid.key`` (PEM, 0600, beside ``totp.key``), made on
  first start. A new key makes every stored subscription useless: keep the file.

The token is an ES256 JWT (``aud`` the endpoint's origin, ``exp`` 12 hours on,
``sub`` a contact URI for the push service's operators), signed with joserfc.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt
from joserfc.jwk import ECKey
from pydantic import SecretStr

from chatserver.notify.subscription import b64url_decode, b64url_encode

__all__ = ["KEY_FILE", "TOKEN_LIFETIME_S", "TOKEN_REUSE_S", "VapidKey", "load_vapid"]

KEY_FILE = "vapid.key"
# RFC 8292 section 2: "exp" no more than 24 hours after the request; 12 leaves
# room for a clock off by hours and is what the common libraries send.
TOKEN_LIFETIME_S = 12 * 3600


# A signed token is reused for an hour per push service (of its 12 hours'
# life): signing costs ~0.2 ms of CPU, as much as encrypting the message.
TOKEN_REUSE_S = 3600


@dataclass(frozen=True)
class VapidKey:
    private: ec.EllipticCurvePrivateKey = field(repr=False)
    subject: str
    # audience -> (signed at, header); one entry per push service.
    _signed: dict[str, tuple[float, str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def public_key(self) -> str:
        """The uncompressed public point, base64url (the ``applicationServerKey``)."""
        point = self.private.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url_encode(point)

    def authorization(self, endpoint: str, now: float) -> str:
        """The ``Authorization: vapid t=…, k=…`` header for a POST to ``endpoint``."""
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        signed = self._signed.get(audience)
        if signed is not None and 0 <= now - signed[0] < TOKEN_REUSE_S:
            return signed[1]
        claims = {"aud": audience, "exp": int(now) + TOKEN_LIFETIME_S, "sub": self.subject}
        pem = self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        token = jwt.encode({"typ": "JWT", "alg": "ES256"}, claims, ECKey.import_key(pem))
        header = f"vapid t={token}, k={self.public_key}"
        self._signed[audience] = (now, header)
        return header


def load_vapid(data_dir: Path, configured: SecretStr | None, subject: str) -> VapidKey:
    """The configured key, else the data directory's (made 0600 if missing)."""
    if configured is not None and configured.get_secret_value().strip():
        try:
            scalar = b64url_decode(configured.get_secret_value().strip())
            if len(scalar) != 32:
                raise ValueError("length")
            key = ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
        except ValueError:
            raise ValueError(
                "CHATSERVER_VAPID_PRIVATE_KEY is not a P-256 private key (32 bytes base64url)"
            ) from None
        return VapidKey(key, subject)
    path = data_dir / KEY_FILE
    if not path.exists():
        _write_new(path, ec.generate_private_key(ec.SECP256R1()))
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey) or loaded.curve.name != "secp256r1":
        raise ValueError(f"{path} does not hold a P-256 private key")
    return VapidKey(loaded, subject)


def _write_new(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once never overwrite each other's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        f.flush()
        os.fsync(f.fileno())
